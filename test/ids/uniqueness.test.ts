import { spawn } from 'node:child_process';
import type { ChildProcess, ChildProcessByStdio } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closeClient } from '../../src/core/connection.js';
import type { RedisClient } from '../../src/core/connection.js';
import { KeyBuilder } from '../../src/core/keys.js';
import { decodeId, makeLayout } from '../../src/ids/id-layout.js';
import { incrementalCounterKey, workerLeaseKeys } from '../../src/ids/keys.js';
import { TOPOLOGIES, connect, connectionUrl, deletePrefix, randomPrefix } from '../harness/topologies.js';
import type { Topology } from '../harness/topologies.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../..');
const WORKER = join(HERE, 'fixtures', 'id-worker.ts');

const PROCESSES = 8;
const PER_PROCESS = 200_000;
const BLOCK_SIZE = 1000;
const TOTAL = PROCESSES * PER_PROCESS;
const NAME = 'orders';
/** A canonical positive decimal integer: what both generators print. */
const DECIMAL = /^[1-9][0-9]*$/;

const running = new Set<ChildProcess>();

/** A worker started with `--barrier`: it has leased/connected and waits for "go" on stdin. */
interface BarrierWorker {
  readonly child: ChildProcessByStdio<Writable, Readable, Readable>;
  readonly ready: Promise<void>;
  readonly exited: Promise<void>;
}

function startWorker(args: readonly string[]): BarrierWorker {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  running.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<void>((resolveExit, rejectExit) => {
    child.on('error', rejectExit);
    child.on('close', (code, signal) => {
      running.delete(child);
      if (code === 0) resolveExit();
      else rejectExit(new Error(`id-worker ${args.join(' ')} exited with ${String(code ?? signal)}:\n${stderr}`));
    });
  });
  const ready = new Promise<void>((resolveReady, rejectReady) => {
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk;
      if (stdout.includes('ready\n')) resolveReady();
    });
    exited.then(() => {
      rejectReady(new Error(`id-worker exited before it was ready:\n${stderr}`));
    }, rejectReady);
  });
  // Settled either way by the caller; keep unobserved rejections from surfacing twice.
  ready.catch(() => undefined);
  exited.catch(() => undefined);
  return { child, ready, exited };
}

/**
 * Starts PROCESSES workers on one prefix and generator name, waits until each has connected (and
 * leased its worker id), releases them all at once, and returns each process's ids in the order
 * it handed them out, as the decimal lines it wrote.
 */
async function generateInParallel(topology: Topology, prefix: string, kind: 'incremental' | 'time-ordered', dir: string): Promise<string[][]> {
  const files = Array.from({ length: PROCESSES }, (_, i) => join(dir, `${kind}-${String(i)}.txt`));
  const workers = files.map((out) =>
    startWorker([
      '--connection', connectionUrl(topology),
      '--prefix', prefix,
      '--kind', kind,
      '--name', NAME,
      '--count', String(PER_PROCESS),
      '--block-size', String(BLOCK_SIZE),
      '--out', out,
      '--barrier',
    ]),
  );
  await Promise.all(workers.map((w) => w.ready));
  for (const w of workers) w.child.stdin.end('go\n');
  await Promise.all(workers.map((w) => w.exited));
  return Promise.all(
    files.map(async (file) => {
      const lines = (await readFile(file, 'utf8')).split('\n');
      expect(lines.pop()).toBe(''); // every line, the last included, ends with \n
      return lines;
    }),
  );
}

/** Up to `limit` messages; collected in loops so 1.6M checks do not each call expect(). */
class Problems {
  readonly list: string[] = [];
  count = 0;
  add(message: string): void {
    this.count++;
    if (this.list.length < 10) this.list.push(message);
  }
}

for (const topology of TOPOLOGIES) {
  describe(`ids are unique across ${String(PROCESSES)} OS processes (${topology})`, () => {
    let client: RedisClient | undefined;
    const prefix = randomPrefix();
    let dir = '';

    beforeAll(async () => {
      client = connect(topology);
      dir = await mkdtemp(join(tmpdir(), 'kr-id-uniqueness-'));
    });
    afterEach(() => {
      for (const child of running) child.kill('SIGKILL');
    });
    afterAll(async () => {
      if (dir !== '') await rm(dir, { recursive: true, force: true });
      if (client) {
        await deletePrefix(client, prefix);
        await closeClient(client);
      }
    });

    it(`block-reserving generator: ${String(TOTAL)} ids, no duplicates, no id past the reserved range`, async () => {
      const perProcess = await generateInParallel(topology, prefix, 'incremental', dir);
      const problems = new Problems();
      const seen = new Set<number>();
      let total = 0;
      let max = 0;
      perProcess.forEach((lines, p) => {
        expect(lines.length, `process ${String(p)}`).toBe(PER_PROCESS);
        total += lines.length;
        let previous = 0;
        for (const [i, line] of lines.entries()) {
          const id = Number(line);
          if (!DECIMAL.test(line) || !Number.isSafeInteger(id)) {
            problems.add(`process ${String(p)} line ${String(i + 1)} is not an integer: "${line}"`);
            continue;
          }
          if (id < 1 || id > TOTAL + PROCESSES * BLOCK_SIZE) problems.add(`process ${String(p)} id ${line} out of range`);
          if (id <= previous) problems.add(`process ${String(p)} line ${String(i + 1)}: ${line} after ${String(previous)}`);
          if (seen.has(id)) problems.add(`duplicate id ${line} (process ${String(p)})`);
          seen.add(id);
          previous = id;
          if (id > max) max = id;
        }
      });
      expect(problems.list).toEqual([]);
      expect(problems.count).toBe(0);
      expect(total).toBe(TOTAL);
      expect(seen.size).toBe(TOTAL);
      // Each process ends holding fewer than one block, so the counter stays within 8 blocks of the ids used.
      const counter = Number(await client!.get(incrementalCounterKey(new KeyBuilder(prefix), NAME)));
      expect(counter).toBeGreaterThanOrEqual(max);
      expect(counter).toBeLessThanOrEqual(TOTAL + PROCESSES * BLOCK_SIZE);
    }, 180_000);

    it(`time-ordered generator: ${String(TOTAL)} ids, no duplicates, ${String(PROCESSES)} distinct worker ids`, async () => {
      const startedAt = Date.now();
      const perProcess = await generateInParallel(topology, prefix, 'time-ordered', dir);
      const finishedAt = Date.now();
      const layout = makeLayout();
      const problems = new Problems();
      const seen = new Set<string>();
      const workerIds = new Set<number>();
      let total = 0;
      perProcess.forEach((lines, p) => {
        expect(lines.length, `process ${String(p)}`).toBe(PER_PROCESS);
        total += lines.length;
        const processWorkers = new Set<number>();
        let previous = -1n;
        for (const [i, line] of lines.entries()) {
          if (!DECIMAL.test(line)) {
            problems.add(`process ${String(p)} line ${String(i + 1)} is not an integer: "${line}"`);
            continue;
          }
          const id = BigInt(line);
          if (id >= 1n << 63n) problems.add(`process ${String(p)} id ${line} is not a positive int64`);
          if (id <= previous) problems.add(`process ${String(p)} line ${String(i + 1)}: ${line} after ${String(previous)}`);
          if (seen.has(line)) problems.add(`duplicate id ${line} (process ${String(p)})`);
          seen.add(line);
          previous = id;
          const decoded = decodeId(layout, id);
          processWorkers.add(decoded.workerId);
          const at = decoded.timestamp.getTime();
          // Fresh prefix: no earlier holder's high water, so timestamps are the wall clock of the run.
          if (at < startedAt - 1000 || at > finishedAt + 1000) problems.add(`process ${String(p)} id ${line} has timestamp ${String(at)}`);
        }
        if (processWorkers.size !== 1) problems.add(`process ${String(p)} used worker ids ${[...processWorkers].join(', ')}`);
        for (const w of processWorkers) workerIds.add(w);
      });
      expect(problems.list).toEqual([]);
      expect(problems.count).toBe(0);
      expect(total).toBe(TOTAL);
      expect(seen.size).toBe(TOTAL);
      expect(workerIds.size).toBe(PROCESSES);
      // Every process closed its generator, so every lease was given back.
      expect(await client!.zcard(workerLeaseKeys(new KeyBuilder(prefix), NAME).leases)).toBe(0);
    }, 180_000);
  });
}
