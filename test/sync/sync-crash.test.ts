// The crash test: the sync runs as `kickass sync` in its own process and is killed with SIGKILL
// several times (during the copy and while streaming) while a writer makes 20,000 changes to two
// tables; restarted each time, it must end with Redis equal to a SELECT of the tables, objects and
// indexes (verify() clean), having lost and repeated nothing.
import mysql from 'mysql2/promise';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { spawnTsx } from '../../harness/line-child.js';
import type { LineChild } from '../../harness/line-child.js';
import { waitFor } from '../../harness/redis-server.js';
import { readSyncStatus } from '../../src/sync/sync-status.js';
import { TOPOLOGIES, connectionUrl, useTopology } from '../harness/topologies.js';
import { shopModels } from './fixtures/shop-sync.config.js';
import { useMariaDb } from './sync-fixture.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CONFIG = 'test/sync/fixtures/shop-sync.config.ts';
const CHANGES = 20_000;
const STATUSES = ['new', 'paid', 'shipped', 'returned'];
const COUNTRIES = ['fr', 'de', 'us', 'jp', 'br'];

/** A seeded random source. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

/** The writer's statements: `count` changes in transactions of 1 to 20 statements. */
function* workload(rng: () => number, firstOrder: number, customers: number): Generator<string[]> {
  let nextOrder = firstOrder;
  let nextCustomer = customers;
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rng() * list.length)] as T;
  const order = (): number => 1 + Math.floor(rng() * nextOrder);
  const customer = (): string => `c${String(Math.floor(rng() * nextCustomer))}`;
  let made = 0;
  while (made < CHANGES) {
    const size = Math.min(CHANGES - made, 1 + Math.floor(rng() * 20));
    const statements: string[] = [];
    for (let i = 0; i < size; i++) {
      const r = rng();
      const total = (rng() * 1000).toFixed(2);
      if (r < 0.35) statements.push(`UPDATE orders SET status = '${pick(STATUSES)}', total = ${total}, updated = NOW(3) WHERE id = ${String(order())}`);
      else if (r < 0.6) statements.push(`INSERT INTO orders VALUES (${String(++nextOrder)}, '${customer()}', '${pick(STATUSES)}', ${total}, NOW(3))`);
      else if (r < 0.75) statements.push(`DELETE FROM orders WHERE id = ${String(order())}`);
      else if (r < 0.8) statements.push(`UPDATE IGNORE orders SET id = ${String(++nextOrder)} WHERE id = ${String(order())}`);
      else if (r < 0.83) statements.push(`UPDATE orders SET status = '${pick(STATUSES)}' WHERE customer = '${customer()}'`);
      else if (r < 0.93) statements.push(`UPDATE customers SET name = 'n${String(Math.floor(rng() * 1e6))}', country = '${pick(COUNTRIES)}' WHERE id = '${customer()}'`);
      else if (r < 0.97) statements.push(`INSERT INTO customers VALUES ('c${String(nextCustomer++)}', 'new', '${pick(COUNTRIES)}')`);
      else statements.push(`DELETE FROM customers WHERE id = '${customer()}'`);
    }
    made += size;
    yield statements;
  }
}

describe('sync crash test', () => {
  const mariadb = useMariaDb();

  describe.each(TOPOLOGIES)('%s', (topology) => {
    const redis = useTopology(topology);

    it(`ends equal to the tables after ${String(CHANGES)} changes and SIGKILLs during the copy and the stream`, async () => {
      const server = mariadb.server;
      const db = `crash_${topology}`;
      server.query(`CREATE DATABASE ${db}; USE ${db};
        CREATE TABLE orders (id INT PRIMARY KEY, customer VARCHAR(20) NOT NULL, status VARCHAR(10) NOT NULL, total DECIMAL(10,2) NOT NULL, updated DATETIME(3) NOT NULL);
        CREATE TABLE customers (id VARCHAR(20) PRIMARY KEY, name VARCHAR(40) NOT NULL, country CHAR(2) NOT NULL)`);
      const rng = random(topology === 'standalone' ? 7 : 11);
      const seedOrders = 6000;
      const seedCustomers = 300;
      server.query(`USE ${db}; INSERT INTO customers VALUES ${Array.from({ length: seedCustomers }, (_, i) => `('c${String(i)}', 'name ${String(i)}', '${COUNTRIES[i % 5] ?? 'fr'}')`).join(', ')};
        INSERT INTO orders VALUES ${Array.from({ length: seedOrders }, (_, i) => `(${String(i + 1)}, 'c${String(i % seedCustomers)}', 'new', ${String(i)}.50, '2026-01-01 00:00:00.000')`).join(', ')}`);

      const env = { SHOP_DB: db, SHOP_SYNC: db, SHOP_SOURCE: server.url, SHOP_PARTITIONS: '3' };
      const args = ['sync', '--config', CONFIG, '--url', connectionUrl(topology), '--prefix', redis.prefix];
      const start = (): LineChild => spawnTsx('src/cli/main.ts', args, ROOT, env);
      const kill = async (child: LineChild): Promise<void> => {
        const exited = new Promise((resolve) => child.child.once('exit', resolve));
        child.child.kill('SIGKILL');
        await exited;
      };

      // killed during the copy
      let sync = start();
      await sync.line(`  ${db}.customers [`); // the first chunk is written: the copy is under way
      await kill(sync);
      sync = start();

      const writer = await mysql.createConnection({ host: server.host, port: server.port, user: 'root', database: db, multipleStatements: true });
      let kills = 1;
      const writes = (async () => {
        for (const statements of workload(rng, seedOrders, seedCustomers)) await writer.query(`BEGIN; ${statements.join('; ')}; COMMIT`);
      })();
      // killed while streaming, at random moments, while the writer writes
      const killer = (async () => {
        for (let i = 0; i < 5; i++) {
          await sync.line(`sync ${db}: streaming`);
          await new Promise((resolve) => setTimeout(resolve, 200 + rng() * 1200));
          await kill(sync);
          kills++;
          sync = start();
        }
      })();
      await Promise.all([writes, killer]);
      await writer.end();

      // the last run catches up, then stops on SIGTERM
      const kr = redis.kickass();
      const target = server.query('SELECT @@gtid_binlog_pos').trim();
      await waitFor('the sync to catch up', async () => (await readSyncStatus(kr.context, db, server.url)).position?.gtid === target, 120_000, 200);
      await sync.line(`sync ${db}: streaming`);
      const exit = new Promise<number | null>((resolve) => sync.child.once('exit', resolve));
      sync.child.kill('SIGTERM');
      expect(await exit).toBe(0);
      expect(await sync.line(`sync ${db}: stopped at`)).toMatch(/stopped at \d+-\d+-\d+/);
      expect(kills).toBe(6);
      const status = await readSyncStatus(kr.context, db, server.url);
      expect([status.epoch, status.caughtUp]).toEqual([1, true]); // the killed copy resumed: no new epoch

      const { Order, Customer } = shopModels(kr, 3);
      const orders = server.select(`SELECT * FROM ${db}.orders ORDER BY id`).map((r) => ({ id: r.id, customer: r.customer, status: r.status, total: Number(r.total), updated: new Date(`${String(r.updated).replace(' ', 'T')}Z`) }));
      const customers = server.select(`SELECT * FROM ${db}.customers ORDER BY id`).map((r) => ({ id: r.id, name: r.name, country: r.country }));
      expect(await Order.count()).toBe(orders.length);
      expect(await Customer.count()).toBe(customers.length);
      for (let i = 0; i < orders.length; i += 1000) {
        const slice = orders.slice(i, i + 1000);
        expect((await Order.getMany(slice.map((o) => String(o.id)))).map((o) => ({ ...o }))).toEqual(slice);
      }
      expect((await Customer.getMany(customers.map((c) => String(c.id)))).map((c) => ({ ...c }))).toEqual(customers);
      for (const status of STATUSES) expect(await Order.count({ status })).toBe(orders.filter((o) => o.status === status).length);
      for (const country of COUNTRIES) expect(await Customer.count({ country })).toBe(customers.filter((c) => c.country === country).length);
      expect((await Order.verify()).problems).toEqual([]);
      expect((await Customer.verify()).problems).toEqual([]);
    }, 300_000);
  });
});
