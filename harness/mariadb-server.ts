import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { waitFor } from './redis-server.js';

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/** The MariaDB server binary: $MARIADB_SERVER_BIN or mariadbd from PATH (Debian: /usr/sbin). */
export function mariadbServerBinary(): string {
  return process.env.MARIADB_SERVER_BIN ?? (spawnSync('sh', ['-c', 'command -v mariadbd || command -v /usr/sbin/mariadbd']).stdout.toString().trim() || 'mariadbd');
}

/** The mariadb client's arguments for a query as root on 127.0.0.1:`port` (tab-separated output). */
function clientArgs(port: number, database = '', header = false): string[] {
  return ['--no-defaults', '--default-character-set=utf8mb4', '-h', '127.0.0.1', '-P', String(port), '-u', 'root', '--batch', ...(header ? [] : ['--skip-column-names']), ...(database === '' ? [] : [database])];
}

/** Runs a SQL text (given on stdin: any length) with the mariadb client against a server; returns its tab-separated output. */
export function mariadbQuery(port: number, sql: string, database = '', header = false): string {
  const result = spawnSync('mariadb', clientArgs(port, database, header), { encoding: 'utf8', input: sql, maxBuffer: 256 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`mariadb: ${(result.stderr as string | null)?.trim() || result.error?.message || `exit ${String(result.status)}`}`);
  return result.stdout;
}

/** A `mariadb --batch` cell with its backslash escapes undone; NULL as null (so a string 'NULL' cannot be told apart). */
function unescapeCell(cell: string): string | null {
  if (cell === 'NULL') return null;
  const map: Record<string, string> = { '0': '\0', b: '\b', n: '\n', r: '\r', t: '\t', Z: '\x1a', '\\': '\\' };
  return cell.replace(/\\(.)/g, (_, c: string) => map[c] ?? c);
}

/**
 * A private MariaDB server the harness starts for the sync tests: a temp datadir, a free loopback
 * port, a ROW binlog with FULL row metadata and GTIDs (what the sync needs), root without a
 * password on 127.0.0.1 only.
 */
export class MariaDbServer {
  readonly host = '127.0.0.1';
  readonly port: number;
  readonly dir: string;
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  #log = '';

  private constructor(
    port: number,
    readonly extraArgs: readonly string[],
  ) {
    this.port = port;
    this.dir = mkdtempSync(join(tmpdir(), `kr-mariadb-${String(port)}-`));
  }

  /** Creates the datadir, starts the server (`extraArgs` after the harness's own, so they win) and waits until it answers a query. */
  static async start(extraArgs: readonly string[] = []): Promise<MariaDbServer> {
    const server = new MariaDbServer(await freePort(), extraArgs);
    const user = process.getuid?.() === 0 ? ['--user=root'] : [];
    // a private tmpdir: bootstraps running at once in a shared /tmp can collide on temp-table names
    mkdirSync(join(server.dir, 'tmp'));
    const install = spawnSync('mariadb-install-db', ['--no-defaults', `--datadir=${join(server.dir, 'data')}`, `--tmpdir=${join(server.dir, 'tmp')}`, '--auth-root-authentication-method=normal', '--skip-test-db', ...user], { encoding: 'utf8' });
    if (install.status !== 0) throw new Error(`mariadb-install-db failed: ${install.stderr.trim()}`);
    await server.#spawn();
    return server;
  }

  /** The last lines the server logged. */
  get log(): string {
    return this.#log;
  }

  /** `mysql://root@127.0.0.1:<port>/`. */
  get url(): string {
    return `mysql://root@${this.host}:${String(this.port)}/`;
  }

  /** Runs SQL with the mariadb client (tab-separated rows). */
  query(sql: string, database = ''): string {
    return mariadbQuery(this.port, sql, database);
  }

  /** Runs SQL with the mariadb client without blocking the event loop (tab-separated rows). */
  queryAsync(sql: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = spawn('mariadb', clientArgs(this.port));
      let out = '';
      let err = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
      child.on('error', reject);
      child.on('close', (code) => {
        if (code === 0) resolve(out);
        else reject(new Error(`mariadb: ${err.trim() || `exit ${String(code)}`}`));
      });
      child.stdin.end(sql);
    });
  }

  /** The rows of one SELECT as the command-line client prints them: column name to text, null for NULL (its escapes undone). */
  select(sql: string): Record<string, string | null>[] {
    const lines = mariadbQuery(this.port, sql, '', true).replace(/\n$/, '').split('\n');
    const header = lines.shift()?.split('\t') ?? [];
    return lines.filter((line) => line !== '').map((line) => Object.fromEntries(line.split('\t').map((cell, i) => [header[i] ?? String(i), unescapeCell(cell)])));
  }

  async #spawn(): Promise<void> {
    const user = process.getuid?.() === 0 ? ['--user=root'] : [];
    const child = spawn(
      mariadbServerBinary(),
      [
        '--no-defaults',
        `--datadir=${join(this.dir, 'data')}`,
        `--tmpdir=${join(this.dir, 'tmp')}`,
        `--socket=${join(this.dir, 'mariadb.sock')}`,
        `--pid-file=${join(this.dir, 'mariadb.pid')}`,
        `--port=${String(this.port)}`,
        '--bind-address=127.0.0.1',
        '--skip-name-resolve',
        `--log-bin=${join(this.dir, 'binlog')}`,
        '--binlog-format=ROW',
        '--binlog-row-metadata=FULL',
        '--binlog-row-image=FULL',
        '--server-id=1',
        '--log-slave-updates=1',
        '--innodb-buffer-pool-size=64M',
        '--innodb-log-file-size=48M',
        ...user,
        ...this.extraArgs,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      this.#log = (this.#log + chunk).slice(-20_000);
    });
    children.add(child);
    this.#child = child;
    this.#exited = new Promise((resolve) => {
      child.once('exit', () => {
        children.delete(child);
        resolve();
      });
    });
    let exited = false;
    void this.#exited.then(() => (exited = true));
    await waitFor(`mariadbd on port ${String(this.port)}`, () => {
      if (exited) throw new Error(`mariadbd exited: ${this.#log.slice(-4000)}`);
      return Promise.resolve(this.query('SELECT 1').trim() === '1');
    }, 60_000, 100);
  }

  /** Kills the server (SIGKILL: a crash) and starts it again on the same port and data. */
  async crashAndRestart(): Promise<void> {
    this.#child?.kill('SIGKILL');
    await this.#exited;
    await this.#spawn();
  }

  /** Stops the server (SIGTERM, a clean shutdown) and removes its directory. */
  async stop(): Promise<void> {
    this.#child?.kill('SIGTERM');
    await this.#exited;
    rmSync(this.dir, { recursive: true, force: true });
  }
}
