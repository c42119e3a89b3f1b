import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TOPOLOGIES, connectionUrl, useTopology } from '../harness/topologies.js';
import { everyIndexFields, everyIndexOptions } from './fixtures.js';
import { actualIndexes, expectedIndexes } from './index-oracle.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const WORKER = join(HERE, 'fixtures', 'store-worker.ts');
const POOL = Array.from({ length: 40 }, (_, i) => `o${String(i)}`);

function runWorker(args: readonly string[]): Promise<void> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER, ...args], { cwd: resolve(HERE, '../..'), stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolveRun();
      else reject(new Error(`store worker exited with ${String(code)}: ${stderr}`));
    });
  });
}

for (const topology of TOPOLOGIES) {
  for (const partitions of [1, 3]) {
    describe(`concurrent writers from several processes (${topology}, ${String(partitions)} partitions)`, () => {
      const redis = useTopology(topology);

      it('leave every index exactly as the final objects require', async () => {
        const workers = [11, 22, 33, 44].map((seed) => runWorker([connectionUrl(topology), redis.prefix, String(partitions), '800', String(seed)]));
        await Promise.all(workers);
        const Model = redis.kickass().model('thing', everyIndexFields, { ...everyIndexOptions, partitions });
        const rows = (await Model.getMany(POOL)).filter((row) => row !== null);
        expect(rows.length).toBeGreaterThan(0);
        const tags = Model.internals.partitions.map((p) => p.tag);
        const expected = expectedIndexes(rows, (id) => Model.keysOf(id).tag, partitions === 1);
        const actual = await actualIndexes(redis.client, tags);
        expect(actual).toEqual(expected);
        const report = await Model.verify();
        expect(report.problems).toEqual([]);
        expect(report.ok).toBe(true);
      }, 180_000);
    });
  }
}
