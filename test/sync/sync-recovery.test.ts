// The sync through what breaks change streams: a purged binlog (a new copy that also removes the
// objects of rows deleted meanwhile) and DDL (added and dropped columns keep decoding, also when
// replayed after a restart; a column a model needs gets a new copy; a mapping that no longer fits
// stops the sync with an error naming it).
import { describe, expect, it } from 'vitest';
import { SyncConfigError } from '../../src/sync/errors.js';
import type { Sync } from '../../src/sync/sync.js';
import { t } from '../../src/store/fields.js';
import type { MariaDbServer } from '../../harness/mariadb-server.js';
import { waitFor } from '../../harness/redis-server.js';
import { TOPOLOGIES, keysWithPrefix, useTopology } from '../harness/topologies.js';
import { caughtUp, useMariaDb } from './sync-fixture.js';

let databases = 0;

/** The table's rows as objects of the test model (id, name, qty). */
function tableObjects(server: MariaDbServer, table: string): Record<string, unknown>[] {
  return server.select(`SELECT id, name, qty FROM ${table} ORDER BY id`).map((r) => ({ id: r.id, name: r.name, qty: Number(r.qty) }));
}

/** Starts a new binlog file and purges the others (MariaDB keeps a file until its binlog checkpoint moves on: retried). */
async function purgeBinlogs(server: MariaDbServer): Promise<void> {
  server.query('FLUSH BINARY LOGS');
  const files = (): string[] => server.query('SHOW BINARY LOGS').trim().split('\n').map((line) => line.split('\t')[0] ?? '');
  const newest = files().at(-1) ?? '';
  await waitFor('the binlog purge', () => {
    server.query(`PURGE BINARY LOGS TO '${newest}'`);
    return Promise.resolve(files().length === 1);
  });
}

/** Starts a sync and records its epoch changes. */
function start(sync: Sync): { running: Promise<void>; resnapshots: string[] } {
  const resnapshots: string[] = [];
  sync.on('resnapshot', ({ reason }) => resnapshots.push(reason));
  return { running: sync.run(), resnapshots };
}

describe('sync recovery', () => {
  const mariadb = useMariaDb();

  describe.each(TOPOLOGIES)('%s', (topology) => {
    const redis = useTopology(topology);
    const fields = { name: t.string().index(), qty: t.integer().sortable() };

    it('after the binlog it needs was purged, takes a new copy that also removes the objects of rows deleted meanwhile', async () => {
      const server = mariadb.server;
      const db = `r${String(++databases)}`;
      const table = `${db}.items`;
      server.query(`CREATE DATABASE ${db}; CREATE TABLE ${table} (id INT PRIMARY KEY, name VARCHAR(20), qty INT NOT NULL)`);
      server.query(`INSERT INTO ${table} VALUES ${Array.from({ length: 50 }, (_, i) => `(${String(i)}, 'n${String(i % 7)}', ${String(i)})`).join(', ')}`);
      const kr = redis.kickass();
      const Item = kr.model('item', fields, { partitions: 3 });
      const options = { name: db, source: server.url, tables: { [table]: { model: Item } }, chunkSize: 9 };
      const first = kr.sync(options);
      const one = start(first);
      await caughtUp(first, server);
      await server.queryAsync(`DELETE FROM ${table} WHERE id < 5`); // tombstones of epoch 1
      await caughtUp(first, server);
      await first.stop();
      await one.running;

      server.query(`DELETE FROM ${table} WHERE id BETWEEN 10 AND 19; UPDATE ${table} SET name = 'changed', qty = qty + 100 WHERE id >= 40; INSERT INTO ${table} VALUES (100, 'new', 1)`);
      await purgeBinlogs(server);
      server.query(`INSERT INTO ${table} VALUES (101, 'after', 2)`);

      const second = kr.sync(options);
      const two = start(second);
      await caughtUp(second, server);
      expect(two.resnapshots).toHaveLength(1);
      expect(two.resnapshots[0]).toMatch(/purged|no longer holds/);
      expect(second.status().epoch).toBe(2);
      const expected = tableObjects(server, table);
      expect(await Item.count()).toBe(expected.length);
      expect((await Item.find().sortBy('qty', 'asc').limit(1000).all()).map((o) => ({ ...o })).sort((a, b) => Number(a.id) - Number(b.id))).toEqual(expected);
      expect((await Item.getMany(['3', '10', '19'])).every((o) => o === null)).toBe(true);
      expect((await Item.verify()).problems).toEqual([]);
      // the sweep that closed the copy dropped epoch 1's tombstones
      expect((await keysWithPrefix(redis.client, redis.prefix)).filter((k) => /:t[sz]$/.test(k))).toEqual([]);
      await server.queryAsync(`DELETE FROM ${table} WHERE id = 100`);
      await caughtUp(second, server);
      expect(await Item.get('100')).toBeNull();
      await second.stop();
      await two.running;
    }, 60_000);

    it('comes back after the source crashed and restarted, from its checkpoint, losing nothing', async () => {
      const server = mariadb.server;
      const db = `r${String(++databases)}`;
      const table = `${db}.items`;
      server.query(`CREATE DATABASE ${db}; CREATE TABLE ${table} (id INT PRIMARY KEY, name VARCHAR(20), qty INT NOT NULL); INSERT INTO ${table} VALUES (1, 'a', 1), (2, 'b', 2)`);
      const kr = redis.kickass();
      const Item = kr.model('item', fields);
      const sync = kr.sync({ name: db, source: server.url, tables: { [table]: { model: Item } }, retryDelayMs: 200 });
      const retries: string[] = [];
      sync.on('retry', ({ error }) => retries.push(error.message));
      const running = sync.run();
      await caughtUp(sync, server);
      await server.queryAsync(`INSERT INTO ${table} VALUES (3, 'c', 3); UPDATE ${table} SET qty = 20 WHERE id = 2`);
      await server.crashAndRestart();
      await server.queryAsync(`DELETE FROM ${table} WHERE id = 1; INSERT INTO ${table} VALUES (4, 'd', 4)`);
      await caughtUp(sync, server);
      expect(retries.length).toBeGreaterThan(0);
      expect(sync.status().epoch).toBe(1);
      expect((await Item.find().sortBy('qty', 'asc').all()).map((o) => ({ ...o }))).toEqual(tableObjects(server, table).sort((a, b) => Number(a.qty) - Number(b.qty)));
      await sync.stop();
      await running;
    }, 60_000);

    it('keeps decoding across added and dropped columns, also replaying them after a restart; a column the model needs gets a new copy; a mapped column dropped stops it', async () => {
      const server = mariadb.server;
      const db = `r${String(++databases)}`;
      const table = `${db}.items`;
      server.query(`CREATE DATABASE ${db}; CREATE TABLE ${table} (id INT PRIMARY KEY, name VARCHAR(20), extra VARCHAR(10), qty INT NOT NULL); INSERT INTO ${table} VALUES (1, 'a', 'x', 1), (2, 'b', 'y', 2)`);
      const kr = redis.kickass();
      const Item = kr.model('item', { ...fields, score: t.integer() });
      const options = { name: db, source: server.url, tables: { [table]: { model: Item } } };
      const first = kr.sync(options);
      const one = start(first);
      await caughtUp(first, server);
      // unrelated columns come and go while streaming: no new copy
      await server.queryAsync(`ALTER TABLE ${table} ADD COLUMN note VARCHAR(10) FIRST; INSERT INTO ${table} VALUES ('n', 3, 'c', 'z', 3); ALTER TABLE ${table} DROP COLUMN extra; UPDATE ${table} SET qty = 20 WHERE id = 2`);
      await caughtUp(first, server);
      expect(one.resnapshots).toEqual([]);
      expect((await Item.getMany(['2', '3'])).map((o) => ({ ...o }))).toEqual([{ id: '2', name: 'b', qty: 20 }, { id: '3', name: 'c', qty: 3 }]);
      await first.stop();
      await one.running;

      // stopped: rows written before and after a column drop are replayed after the drop
      server.query(`INSERT INTO ${table} (id, note, name, qty) VALUES (4, 'm', 'd', 4); ALTER TABLE ${table} DROP COLUMN note; INSERT INTO ${table} VALUES (5, 'e', 5)`);
      const second = kr.sync(options);
      const two = start(second);
      await caughtUp(second, server);
      expect(two.resnapshots).toEqual([]);
      expect((await Item.getMany(['4', '5'])).map((o) => ({ ...o }))).toEqual([{ id: '4', name: 'd', qty: 4 }, { id: '5', name: 'e', qty: 5 }]);

      // a column that feeds a field appears with a default every row takes: a new copy brings it
      await server.queryAsync(`ALTER TABLE ${table} ADD COLUMN score INT NOT NULL DEFAULT 7`);
      await caughtUp(second, server);
      expect(two.resnapshots).toHaveLength(1);
      expect(second.status().epoch).toBe(2);
      expect((await Item.find().sortBy('qty', 'asc').all()).map((o) => o.score)).toEqual([7, 7, 7, 7, 7]);
      expect((await Item.verify()).ok).toBe(true);
      await second.stop();
      await two.running;

      // a mapping that names a column the table no longer has stops the sync, naming it
      const renamed = kr.sync({ ...options, tables: { [table]: { model: Item, columns: { name: 'name' } } } });
      const three = start(renamed);
      const outcome = three.running.then(() => null, (e: unknown) => e); // it may fail before the ALTER's client returns
      await caughtUp(renamed, server);
      await server.queryAsync(`ALTER TABLE ${table} CHANGE name title VARCHAR(20)`);
      const error: unknown = await outcome;
      expect(error).toBeInstanceOf(SyncConfigError);
      expect((error as SyncConfigError).field).toBe(`tables['${table}'].columns.name`);
      expect((error as SyncConfigError).message).toMatch(/ALTER TABLE/);
    }, 60_000);
  });
});
