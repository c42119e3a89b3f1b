// Cache worker processes (fixtures/cache-worker.ts) for the multi-process cache tests.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnTsx } from '../../harness/line-child.js';
import type { LineChild } from '../../harness/line-child.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../..');
const WORKER = join(HERE, 'fixtures', 'cache-worker.ts');

/** A started worker: `ready` once its bus is subscribed; `line(text)` resolves with the first stdout line that starts with `text`. */
export interface CacheWorker extends LineChild {
  readonly ready: Promise<void>;
  /** Sends the "go" line. */
  go(): void;
}

/** Starts a cache worker with these command-line options (see the fixture). */
export function startCacheWorker(args: Record<string, string | number>): CacheWorker {
  const worker = spawnTsx(WORKER, Object.entries(args).flatMap(([name, value]) => [`--${name}`, String(value)]), ROOT);
  return {
    ...worker,
    ready: worker.line('ready').then(() => undefined),
    go: () => {
      worker.child.stdin.write('go\n');
    },
  };
}
