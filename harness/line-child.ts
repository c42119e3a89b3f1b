import { spawn } from 'node:child_process';
import type { ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';

/** A child process whose stdout is read as lines. */
export interface LineChild {
  readonly child: ChildProcessByStdio<Writable, Readable, Readable>;
  /** The first complete stdout line that starts with `startsWith` (rejects, with its stderr, if the child exits first). */
  line(startsWith: string): Promise<string>;
}

/** Starts `node --import tsx <script> ...args` in `cwd` (with `env` added to this process's), stdin piped, stdout read as lines. */
export function spawnTsx(script: string, args: readonly string[], cwd: string, env: Readonly<Record<string, string>> = {}): LineChild {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
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
    new Promise((resolve, reject) => {
      const check = (): void => {
        const found = stdout.split('\n').find((l, i, all) => i < all.length - 1 && l.startsWith(startsWith));
        if (found !== undefined) resolve(found);
      };
      watchers.push(check);
      check();
      child.on('close', (code) => {
        reject(new Error(`${script} exited (${String(code)}) before printing "${startsWith}":\n${stderr}`));
      });
    });
  return { child, line };
}
