// Cache worker processes (fixtures/cache-worker.ts) for the multi-process cache tests and bench.
import { spawn } from 'node:child_process';
import type { ChildProcessByStdio } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../..');
const WORKER = join(HERE, 'fixtures', 'cache-worker.ts');

/** A started worker: `ready` once its bus is subscribed; `line(text)` resolves with the first stdout line after `ready` that starts with `text`. */
export interface CacheWorker {
  readonly child: ChildProcessByStdio<Writable, Readable, Readable>;
  readonly ready: Promise<void>;
  line(startsWith: string): Promise<string>;
  /** Sends the "go" line. */
  go(): void;
}

/** Starts a cache worker with these command-line options (see the fixture). */
export function startCacheWorker(args: Record<string, string | number>): CacheWorker {
  const argv = Object.entries(args).flatMap(([name, value]) => [`--${name}`, String(value)]);
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, ...argv], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const watchers: (() => void)[] = [];
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    stdout += chunk;
    for (const watch of watchers) watch();
  });
  child.stderr.on('data', (chunk: string) => (stderr += chunk));
  const line = (startsWith: string): Promise<string> =>
    new Promise((resolveLine, rejectLine) => {
      const check = (): void => {
        const found = stdout.split('\n').find((l, i, all) => i < all.length - 1 && l.startsWith(startsWith));
        if (found !== undefined) resolveLine(found);
      };
      watchers.push(check);
      check();
      child.on('close', (code) => {
        rejectLine(new Error(`cache-worker exited (${String(code)}) before printing "${startsWith}":\n${stderr}`));
      });
    });
  return { child, ready: line('ready').then(() => undefined), line, go: () => child.stdin.write('go\n') };
}
