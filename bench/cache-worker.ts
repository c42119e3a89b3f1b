/**
 * One process of the cache scenario's stampede: `tsx bench/cache-worker.ts --lib ours|bentocache|cache-manager
 * --url URL --prefix P --key K [--name stampede] [--count 250] [--factory-ms 50]`. It opens the library's cache, prints
 * `ready`, waits for a line on stdin, then makes `--count` concurrent getOrSet calls of the cold key;
 * the factory INCRs `{P:<name>}:factory-runs`, waits `--factory-ms` and returns a value. It prints one JSON
 * line: { slowest: ms from "go" to the last answer, answered: calls answered with the value } and exits.
 */
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Cluster, Redis } from 'ioredis';
import { openCache } from './cache-libs.js';

const { values } = parseArgs({ options: { lib: { type: 'string' }, name: { type: 'string', default: 'stampede' }, url: { type: 'string' }, prefix: { type: 'string' }, key: { type: 'string' }, count: { type: 'string', default: '250' }, 'factory-ms': { type: 'string', default: '50' } } });

async function main(): Promise<void> {
  const { lib, url, prefix, key } = values;
  if ((lib !== 'ours' && lib !== 'bentocache' && lib !== 'cache-manager') || url === undefined || prefix === undefined || key === undefined) throw new Error('cache-worker: --lib, --url, --prefix and --key are required');
  const cache = await openCache(lib, url, prefix, values.name);
  const raw = url.startsWith('redis+cluster://')
    ? new Cluster(
        url
          .slice('redis+cluster://'.length)
          .split(',')
          .map((hp) => ({ host: hp.slice(0, hp.lastIndexOf(':')), port: Number(hp.slice(hp.lastIndexOf(':') + 1)) })),
      )
    : new Redis(url);
  await raw.ping();
  process.stdout.write('ready\n');
  const lines = createInterface({ input: process.stdin });
  await once(lines, 'line');
  const factoryMs = Number(values['factory-ms']);
  const started = performance.now();
  const answers = await Promise.all(
    Array.from({ length: Number(values.count) }, () =>
      cache.getOrSet(key, async () => {
        await raw.incr(`{${prefix}:${values.name}}:factory-runs`);
        await sleep(factoryMs);
        return { loaded: true };
      }),
    ),
  );
  const slowest = performance.now() - started;
  process.stdout.write(`${JSON.stringify({ slowest, answered: answers.filter((a) => (a as { loaded?: boolean } | undefined)?.loaded === true).length })}\n`);
  lines.close();
  await cache.close();
  raw.disconnect();
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
