// How rows become objects: every column type the readers give, read by the copy and by the
// binlog alike; renames, casts, computed fields, filters and composite keys; configuration errors
// that name the option; rows that do not fit their model.
import { describe, expect, it } from 'vitest';
import { SyncConfigError, SyncMappingError } from '../../src/sync/errors.js';
import type { SyncMappingError as MappingError } from '../../src/sync/errors.js';
import type { SyncOptions } from '../../src/sync/sync-options.js';
import { t } from '../../src/store/fields.js';
import { TOPOLOGIES, keysWithPrefix, useTopology } from '../harness/topologies.js';
import { caughtUp, useMariaDb } from './sync-fixture.js';

let databases = 0;

describe('sync mappings', () => {
  const mariadb = useMariaDb();
  const newDatabase = (): string => {
    const name = `m${String(++databases)}`;
    mariadb.server.query(`CREATE DATABASE ${name}`);
    return name;
  };

  describe.each(TOPOLOGIES)('%s', (topology) => {
    const redis = useTopology(topology);

    it('gives every column type the same value from the copy and from the binlog, into the fields and indexes it feeds', async () => {
      const server = mariadb.server;
      const db = newDatabase();
      server.query(`CREATE TABLE ${db}.kinds (id BIGINT UNSIGNED PRIMARY KEY, amount DECIMAL(30,10), price DECIMAL(10,2), big BIGINT, at DATETIME(6), stamp TIMESTAMP(3) NULL, day DATE,
        doc JSON, txt VARCHAR(40) CHARACTER SET utf8mb4, data BLOB, flag TINYINT(1), tags SET('a','b','c'), place POINT, uid UUID, ratio FLOAT, note TEXT)`);
      const values = (id: number): string =>
        `(${String(id)}, 12345678901234567890.0123456789, 19.99, 9223372036854775807, '2026-03-29 02:30:00.123456', '2020-01-01 00:00:00.123', '1999-12-31',
          '{"a": [1, 2.5, {"b": null}], "s": "ü"}', 'ünï 😀\\ttab', X'00FF10', 1, 'a,c', POINT(2.35, 48.85), 'f47ac10b-58cc-4372-a567-0e02b2c3d479', 0.1, NULL)`;
      server.query(`INSERT INTO ${db}.kinds VALUES ${values(1)}, (2, 0, -0.01, -1, '1000-01-01 00:00:00', NULL, '2026-02-28', 'null', '', '', 0, '', NULL, NULL, -123456.7, 'x')`);
      const Kinds = redis.kickass().model('kinds', {
        amount: t.string(),
        price: t.number(),
        big: t.string(),
        at: t.date(),
        stamp: t.date(),
        day: t.date(),
        doc: t.json(),
        txt: t.string().index(),
        data: t.string(),
        flag: t.boolean().index(),
        tags: t.array(t.string()).index(),
        place: t.geo(),
        uid: t.string(),
        ratio: t.number(),
        note: t.string(),
      });
      const sync = redis.kickass().sync({
        name: db,
        source: server.url,
        tables: { [`${db}.kinds`]: { model: Kinds, columns: { data: { cast: (v) => (v === null ? null : (v as Buffer).toString('base64')) } } } },
      });
      const running = sync.run();
      await caughtUp(sync, server);
      await server.queryAsync(`INSERT INTO ${db}.kinds VALUES ${values(3)}`);
      await caughtUp(sync, server);

      const expected = {
        amount: '12345678901234567890.0123456789',
        price: 19.99,
        big: '9223372036854775807',
        at: new Date('2026-03-29T02:30:00.123Z'),
        stamp: new Date('2020-01-01T00:00:00.123Z'),
        day: new Date('1999-12-31T00:00:00Z'),
        doc: { a: [1, 2.5, { b: null }], s: 'ü' },
        txt: 'ünï 😀\ttab',
        data: Buffer.from([0, 255, 16]).toString('base64'),
        flag: true,
        tags: ['a', 'c'],
        place: { lon: 2.35, lat: 48.85 },
        uid: 'f47ac10b-58cc-4372-a567-0e02b2c3d479',
        ratio: Math.fround(0.1),
      };
      // row 1 came with the copy, row 3 (the same values) from the binlog; JSON null, like NULL, leaves the field out
      expect(await Kinds.get('1')).toEqual({ id: '1', ...expected });
      expect(await Kinds.get('3')).toEqual({ id: '3', ...expected });
      expect(await Kinds.get('2')).toEqual({ id: '2', amount: '0.0000000000', price: -0.01, big: '-1', at: new Date('1000-01-01T00:00:00Z'), day: new Date('2026-02-28T00:00:00Z'), txt: '', data: '', flag: false, tags: [], ratio: Math.fround(-123456.7), note: 'x' });
      expect((await Kinds.find({ flag: true }).all()).map((o) => o.id).sort()).toEqual(['1', '3']);
      expect((await Kinds.find({ tags: 'c' }).all()).map((o) => o.id).sort()).toEqual(['1', '3']);
      expect((await Kinds.find({ txt: 'ünï 😀\ttab' }).all()).map((o) => o.id).sort()).toEqual(['1', '3']);
      expect((await Kinds.nearest('place', { lon: 2.3522, lat: 48.8566 }, { limit: 5 })).map((n) => n.row.id).sort()).toEqual(['1', '3']);
      expect((await Kinds.verify()).ok).toBe(true);
      await sync.stop();
      await running;
    }, 60_000);

    it('renames, leaves out and casts columns, computes fields, keys objects by a composite primary key and follows a filter both ways', async () => {
      const server = mariadb.server;
      const db = newDatabase();
      server.query(`CREATE TABLE ${db}.people (tenant VARCHAR(10), id INT, full_name VARCHAR(40) NOT NULL, secret VARCHAR(40), status ENUM('active','gone') NOT NULL, score INT, PRIMARY KEY (tenant, id));
        INSERT INTO ${db}.people VALUES ('eu', 1, 'Ada', 'pw1', 'active', 7), ('a:b%', 2, 'Bob', 'pw2', 'active', NULL), ('us', 3, 'Cy', 'pw3', 'gone', 1)`);
      const Person = redis.kickass().model('person', { name: t.string().required().index(), status: t.string(), points: t.integer().sortable(), label: t.string() });
      const sync = redis.kickass().sync({
        name: db,
        source: server.url,
        tables: {
          [`${db}.people`]: {
            model: Person,
            columns: { full_name: 'name', secret: false, score: { field: 'points', cast: (v) => (v === null ? 0 : Number(v) * 10) } },
            computed: { label: (row) => `${String(row.tenant)}/${String(row.full_name)}` },
            filter: (row) => row.status === 'active',
          },
        },
      });
      const running = sync.run();
      await caughtUp(sync, server);
      expect((await Person.find().sortBy('points', 'asc').all()).map((o) => ({ ...o }))).toEqual([
        { id: 'a%3Ab%25:2', name: 'Bob', status: 'active', points: 0, label: 'a:b%/Bob' },
        { id: 'eu:1', name: 'Ada', status: 'active', points: 70, label: 'eu/Ada' },
      ]);
      await server.queryAsync(`UPDATE ${db}.people SET status = 'gone' WHERE id = 1; UPDATE ${db}.people SET status = 'active', score = 2 WHERE id = 3; UPDATE ${db}.people SET id = 20 WHERE id = 2`);
      await caughtUp(sync, server);
      expect((await Person.find().sortBy('points', 'asc').all()).map((o) => o.id)).toEqual(['a%3Ab%25:20', 'us:3']);
      expect(await Person.get('us:3')).toEqual({ id: 'us:3', name: 'Cy', status: 'active', points: 20, label: 'us/Cy' });
      await sync.stop();
      await running;
    }, 60_000);

    it('refuses a configuration that does not fit the source or the model, naming the option, before writing anything', async () => {
      const server = mariadb.server;
      const db = newDatabase();
      server.query(`CREATE TABLE ${db}.a (id INT PRIMARY KEY, name VARCHAR(10) NOT NULL, data BLOB, n INT); CREATE TABLE ${db}.nokey (x INT)`);
      const kr = redis.kickass();
      const Named = kr.model('named', { name: t.string().required(), data: t.string(), n: t.integer() });
      const Plain = kr.model('plain', { name: t.string(), n: t.integer() });
      const Spread = kr.model('spread', { name: t.string().unique() }, { partitions: 2 });
      const table = `${db}.a`;
      const cases: [Partial<SyncOptions>, string][] = [
        [{ tables: { [`${db}.missing`]: { model: Plain } } }, `tables['${db}.missing']`],
        [{ tables: { [table]: { model: Plain, columns: { nope: 'name' } } } }, `tables['${table}'].columns.nope`],
        [{ tables: { [table]: { model: Plain, columns: { name: 'nofield' } } } }, `tables['${table}'].columns.name`],
        [{ tables: { [table]: { model: Plain, columns: { n: 'name', name: 'name' } } } }, `tables['${table}'].columns.name`],
        [{ tables: { [table]: { model: Named, columns: { name: false, data: false } } } }, `tables['${table}']`],
        [{ tables: { [table]: { model: Named } } }, `tables['${table}'].columns.data`],
        [{ tables: { [table]: { model: Plain, key: 'nope' } } }, `tables['${table}'].key`],
        [{ tables: { [`${db}.nokey`]: { model: Plain } } }, `tables['${db}.nokey'].key`],
        [{ tables: { [table]: { model: Spread, columns: { data: false } } } }, `tables['${table}'].model`],
        [{ tables: { [table]: { model: Plain, computed: { nofield: () => 1 } } } }, `tables['${table}'].computed.nofield`],
        [{ tables: { noschema: { model: Plain } } }, "tables['noschema']"],
        [{ source: 'http://x' }, 'source'],
        [{ chunkSize: 0 }, 'chunkSize'],
        [{ name: '' }, 'name'],
      ];
      for (const [patch, field] of cases) {
        const attempt = async (): Promise<void> => {
          const sync = kr.sync({ name: db, source: server.url, tables: { [table]: { model: Plain } }, ...patch });
          await sync.run();
        };
        const error: unknown = await Promise.race([attempt().then(() => null, (e: unknown) => e), new Promise((resolve) => setTimeout(() => { resolve('still running'); }, 5000))]);
        expect(error, field).toBeInstanceOf(SyncConfigError);
        expect((error as SyncConfigError).field).toBe(field);
      }
      expect(await keysWithPrefix(redis.client, redis.prefix)).toEqual([]);
    }, 60_000);

    it('stops at a row its model refuses, naming table, object and field; or leaves it out and reports it', async () => {
      const server = mariadb.server;
      const db = newDatabase();
      server.query(`CREATE TABLE ${db}.t (id INT PRIMARY KEY, name VARCHAR(10), n BIGINT); INSERT INTO ${db}.t VALUES (1, 'a', 1), (2, NULL, 2), (3, 'c', 9007199254740993)`);
      const kr = redis.kickass();
      const Strict = kr.model('strict', { name: t.string().required(), n: t.integer() });
      const options = { name: db, source: server.url, tables: { [`${db}.t`]: { model: Strict } } };
      const error: unknown = await kr.sync(options).run().then(() => null, (e: unknown) => e);
      expect(error).toBeInstanceOf(SyncMappingError);
      // row 3 fails its cast while the chunk is read, before the model sees row 2
      expect(error).toMatchObject({ table: `${db}.t`, id: '3', field: 'column n' });

      const skipping = kr.sync({ ...options, name: `${db}-skip`, invalidRows: 'skip' });
      const refused: MappingError[] = [];
      skipping.on('invalid', (e) => refused.push(e));
      const running = skipping.run();
      await caughtUp(skipping, server);
      expect(refused.map((e) => [e.id, e.field]).sort()).toEqual([['2', 'name'], ['3', 'column n']]);
      expect((await Strict.getMany(['1', '2', '3'])).map((o) => o?.id ?? null)).toEqual(['1', null, null]);
      await server.queryAsync(`UPDATE ${db}.t SET name = 'b' WHERE id = 2`);
      await caughtUp(skipping, server);
      expect(await Strict.get('2')).toEqual({ id: '2', name: 'b', n: 2 });
      await skipping.stop();
      await running;
    }, 60_000);
  });
});
