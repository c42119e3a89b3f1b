/** The cache stampede across OS processes, shared by bench/cache.ts and the demo. */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Cluster, Redis } from 'ioredis';
import { spawnTsx } from '../harness/line-child.js';
import type { CacheLib } from './cache-libs.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const PROCESSES = 4;
const PER_PROCESS = 250;
const FACTORY_MS = 50;

/**
 * The stampede: 4 processes (bench/cache-worker.ts) each make 250 concurrent getOrSet calls of one
 * cold key at once (a 50 ms factory that counts its runs in Redis). Returns the factory runs in all
 * and the slowest answer in ms.
 */
export async function stampede(lib: CacheLib, url: string, prefix: string, name: string): Promise<{ runs: number; slowest: number }> {
  const n = `${name}${lib}`;
  const workers = Array.from({ length: PROCESSES }, () => {
    const worker = spawnTsx(join(HERE, 'cache-worker.ts'), ['--lib', lib, '--url', url, '--prefix', prefix, '--name', n, '--key', 'cold', '--count', String(PER_PROCESS), '--factory-ms', String(FACTORY_MS)], resolve(HERE, '..'));
    return { child: worker.child, ready: worker.line('ready'), result: worker.line('{') };
  });
  await Promise.all(workers.map((w) => w.ready));
  for (const w of workers) w.child.stdin.write('go\n');
  const results = (await Promise.all(workers.map((w) => w.result))).map((line) => JSON.parse(line) as { slowest: number; answered: number });
  if (results.some((r) => r.answered !== PER_PROCESS)) throw new Error(`${lib}: not every stampede call got the factory's value`);
  const raw = url.startsWith('redis+cluster://') ? new Cluster(url.slice('redis+cluster://'.length).split(',').map((hp) => ({ host: hp.slice(0, hp.lastIndexOf(':')), port: Number(hp.slice(hp.lastIndexOf(':') + 1)) }))) : new Redis(url);
  try {
    return { runs: Number(await raw.get(`{${prefix}:${n}}:factory-runs`)), slowest: Math.max(...results.map((r) => r.slowest)) };
  } finally {
    raw.disconnect();
  }
}
