// The kickass command line around the sync: `kickass sync` copies then streams and stops cleanly on
// SIGINT, `kickass sync status` prints where the sync stands against the source (also as JSON),
// and mistakes give one sentence and exit code 2.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { spawnTsx } from '../../harness/line-child.js';
import type { SavedSyncStatus } from '../../src/sync/sync-status.js';
import { TOPOLOGIES, connectionUrl, useTopology } from '../harness/topologies.js';
import { shopModels } from '../sync/fixtures/shop-sync.config.js';
import { useMariaDb } from '../sync/sync-fixture.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CONFIG = 'test/sync/fixtures/shop-sync.config.ts';

/** Runs the CLI to its end: exit code, stdout, stderr. */
function kickass(args: readonly string[], env: Readonly<Record<string, string>> = {}): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('kickass CLI', () => {
  it('answers --help and refuses a mistake in one sentence with exit code 2', () => {
    expect(kickass(['--help'])).toMatchObject({ code: 0 });
    expect(kickass(['sync', '--help']).stdout).toMatch(/kickass sync --config <file>/);
    for (const args of [['nope'], ['sync'], ['sync', 'later', '--config', CONFIG], ['sync', '--config']]) {
      const run = kickass(args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).toMatch(/^kickass: /);
    }
    expect(kickass(['sync', '--config', 'missing.config.ts']).stderr).toMatch(/does not exist/);
  }, 60_000);

  const mariadb = useMariaDb();

  describe.each(TOPOLOGIES)('%s', (topology) => {
    const redis = useTopology(topology);

    it('runs a sync until SIGINT and reports its status against the source', async () => {
      const server = mariadb.server;
      const db = `cli_${topology}`;
      server.query(`CREATE DATABASE ${db}; USE ${db};
        CREATE TABLE orders (id INT PRIMARY KEY, customer VARCHAR(20) NOT NULL, status VARCHAR(10) NOT NULL, total DECIMAL(10,2) NOT NULL, updated DATETIME(3) NOT NULL);
        CREATE TABLE customers (id VARCHAR(20) PRIMARY KEY, name VARCHAR(40) NOT NULL, country CHAR(2) NOT NULL);
        INSERT INTO customers VALUES ('c1', 'Ada', 'fr'), ('c2', 'Bob', 'de'); INSERT INTO orders VALUES (1, 'c1', 'new', 9.99, '2026-01-01 00:00:00.000')`);
      const env = { SHOP_DB: db, SHOP_SYNC: db, SHOP_SOURCE: server.url, SHOP_PARTITIONS: '2' };
      const connection = ['--url', connectionUrl(topology), '--prefix', redis.prefix];
      const status = (): SavedSyncStatus => JSON.parse(kickass(['sync', 'status', '--config', CONFIG, ...connection, '--json'], env).stdout) as SavedSyncStatus;
      expect(status()).toMatchObject({ name: db, phase: 'new', epoch: 0 });

      const sync = spawnTsx('src/cli/main.ts', ['sync', '--config', CONFIG, ...connection], ROOT, env);
      await sync.line(`sync ${db}: copying the tables`);
      await sync.line(`sync ${db}: streaming the binlog at `);
      server.query(`USE ${db}; INSERT INTO orders VALUES (2, 'c2', 'paid', 5.00, NOW(3)); UPDATE customers SET country = 'it' WHERE id = 'c1'`);
      const { Order, Customer } = shopModels(redis.kickass(), 2);
      const target = server.query('SELECT @@gtid_binlog_pos').trim();
      for (let i = 0; i < 100 && status().position?.gtid !== target; i++) await new Promise((resolve) => setTimeout(resolve, 100));
      const now = status();
      expect(now).toMatchObject({ phase: 'stream', epoch: 1, caughtUp: true, behindBytes: 0, lagMs: 0, changes: 2 });
      expect(now.position).toEqual(now.source);
      expect(kickass(['sync', 'status', '--config', CONFIG, ...connection], env).stdout).toMatch(new RegExp(`sync ${db}: stream \\(epoch 1\\)\\n  position  ${target} `));
      expect((await Order.get('2'))?.status).toBe('paid');
      expect((await Customer.get('c1'))?.country).toBe('it');

      const exit = new Promise<number | null>((resolve) => sync.child.once('exit', resolve));
      sync.child.kill('SIGINT');
      expect(await exit).toBe(0);
      expect(await sync.line(`sync ${db}: stopped at ${target}`)).toBeDefined();
      // stopped: the source moves on, the status says how far
      server.query(`USE ${db}; INSERT INTO orders VALUES (3, 'c2', 'new', 1.00, NOW(3))`);
      expect(status()).toMatchObject({ phase: 'stream', caughtUp: false });
      expect(status().behindBytes).toBeGreaterThan(0);
    }, 60_000);
  });
});
