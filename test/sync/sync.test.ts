// The sync end to end on a real MariaDB and both Redis topologies: a copy of the rows there before
// it starts, then the binlog's inserts, updates (key changes too) and deletes, with a stop and a
// restart in the middle; the objects and their indexes must equal the table as the mariadb client
// prints it, converted by this file's own rules.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { t } from '../../src/store/fields.js';
import type { Kickass } from '../../src/kickass.js';
import type { MariaDbServer } from '../../harness/mariadb-server.js';
import { TOPOLOGIES, useTopology } from '../harness/topologies.js';
import { caughtUp, useMariaDb } from './sync-fixture.js';

let databases = 0;
/** A new database for one test run. */
function newDatabase(server: MariaDbServer): string {
  const name = `db${String(++databases)}`;
  server.query(`CREATE DATABASE ${name}`);
  return name;
}

/** A string as an SQL literal that no content can break out of. */
const sqlText = (s: string): string => `CONVERT(X'${Buffer.from(s, 'utf8').toString('hex')}' USING utf8mb4)`;

const TAGS = ['red', 'green', 'blue'] as const;

interface Item {
  readonly name: string;
  readonly qty: number;
  readonly price: string | null;
  readonly tag: (typeof TAGS)[number];
  readonly updated: string;
  readonly note: string | null;
}

const item: fc.Arbitrary<Item> = fc.record({
  name: fc.string({ unit: 'grapheme', maxLength: 12 }).filter((s) => s !== 'NULL'),
  qty: fc.integer({ min: -1000, max: 1000 }),
  price: fc.option(fc.integer({ min: -99_999_999, max: 99_999_999 }).map((cents) => (cents / 100).toFixed(2))),
  tag: fc.constantFrom(...TAGS),
  updated: fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2030-12-31T23:59:59Z'), noInvalidDate: true }).map((d) => d.toISOString().replace('T', ' ').replace('Z', '')),
  note: fc.option(fc.string({ maxLength: 20 }).filter((s) => s !== 'NULL')),
});

type Op =
  | { readonly kind: 'upsert'; readonly id: number; readonly item: Item }
  | { readonly kind: 'delete'; readonly id: number }
  | { readonly kind: 'rekey'; readonly id: number; readonly to: number }
  | { readonly kind: 'bump'; readonly below: number };

const id = fc.integer({ min: 1, max: 40 });
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('upsert' as const), id, item }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), id }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('rekey' as const), id, to: id }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('bump' as const), below: fc.integer({ min: -500, max: 500 }) }) },
);
/** Transactions of a few statements each. */
const transactions = fc.array(fc.array(op, { minLength: 1, maxLength: 4 }), { maxLength: 12 });

function statement(table: string, o: Op): string {
  switch (o.kind) {
    case 'upsert': {
      const { name, qty, price, tag, updated, note } = o.item;
      const values = `${String(o.id)}, ${sqlText(name)}, ${String(qty)}, ${price ?? 'NULL'}, '${tag}', '${updated}', ${note === null ? 'NULL' : sqlText(note)}`;
      return `INSERT INTO ${table} VALUES (${values}) ON DUPLICATE KEY UPDATE name = VALUES(name), qty = VALUES(qty), price = VALUES(price), tag = VALUES(tag), updated = VALUES(updated), note = VALUES(note)`;
    }
    case 'delete':
      return `DELETE FROM ${table} WHERE id = ${String(o.id)}`;
    case 'rekey':
      return `UPDATE IGNORE ${table} SET id = ${String(o.to)} WHERE id = ${String(o.id)}`;
    case 'bump':
      return `UPDATE ${table} SET qty = qty + 1 WHERE qty < ${String(o.below)}`;
  }
}

/** Runs the transactions (with the mariadb client, in the background: the sync runs meanwhile). */
async function run(server: MariaDbServer, table: string, list: readonly (readonly Op[])[]): Promise<void> {
  if (list.length === 0) return;
  await server.queryAsync(list.map((ops) => `BEGIN; ${ops.map((o) => statement(table, o)).join('; ')}; COMMIT;`).join('\n'));
}

/** What an object must be for a row, by this test's own reading of the client's text. */
function expectedObject(row: Record<string, string | null>): Record<string, unknown> {
  const out: Record<string, unknown> = { id: row.id, name: row.name, qty: Number(row.qty), tag: row.tag, updated: new Date(`${String(row.updated).replace(' ', 'T')}Z`) };
  if (row.price !== null) out.price = Number(row.price);
  if (row.note !== null) out.note = row.note;
  return out;
}

const itemFields = {
  name: t.string().index(),
  qty: t.integer().sortable(),
  price: t.number(),
  tag: t.string().index(),
  updated: t.date().sortable(),
  note: t.string(),
};

function itemModel(kr: Kickass, partitions: number) {
  return kr.model('item', itemFields, { partitions });
}

describe('sync', () => {
  const mariadb = useMariaDb();

  describe.each(TOPOLOGIES)('%s', (topology) => {
    const redis = useTopology(topology);

    it('copies the rows, then streams inserts, updates, key changes and deletes, across a restart: objects and indexes equal the table', async () => {
      await fc.assert(
        fc.asyncProperty(transactions, transactions, transactions, fc.constantFrom(1, 3), async (before, during, whileStopped, partitions) => {
          const server = mariadb.server;
          const db = newDatabase(server);
          const table = `${db}.items`;
          server.query(`CREATE TABLE ${table} (id INT PRIMARY KEY, name VARCHAR(60) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL, qty INT NOT NULL, price DECIMAL(12,2), tag ENUM('red','green','blue') NOT NULL, updated DATETIME(3) NOT NULL, note TEXT CHARACTER SET utf8mb4)`);
          await run(server, table, before);
          const kr = redis.kickass();
          const Item = itemModel(kr, partitions);
          const options = { name: db, source: server.url, tables: { [table]: { model: Item } }, chunkSize: 7 };
          const first = kr.sync(options);
          const running = first.run();
          const half = Math.ceil(during.length / 2);
          await run(server, table, during.slice(0, half)); // while the copy runs
          await caughtUp(first, server);
          await run(server, table, during.slice(half)); // streamed
          await caughtUp(first, server);
          await first.stop();
          await running;
          await run(server, table, whileStopped);
          const second = kr.sync(options);
          let replayed = 0;
          second.on('applied', (round) => {
            replayed += round.skipped;
          });
          const resumed = second.run();
          await caughtUp(second, server);

          const rows = server.select(`SELECT * FROM ${table} ORDER BY id`);
          const expected = rows.map(expectedObject);
          const ids = rows.map((r) => String(r.id));
          expect(await Item.count()).toBe(rows.length);
          expect((await Item.getMany(ids)).map((o) => ({ ...o }))).toEqual(expected);
          for (const tag of TAGS) expect(await Item.count({ tag })).toBe(rows.filter((r) => r.tag === tag).length);
          const byQty = await Item.find().sortBy('qty', 'asc').limit(1000).all();
          expect(byQty.map((o) => o.qty)).toEqual(rows.map((r) => Number(r.qty)).sort((a, b) => a - b));
          expect((await Item.verify()).problems).toEqual([]);
          // a stop saves the checkpoint after the last round: the restart repeats nothing
          expect(replayed).toBe(0);
          expect(second.status().epoch).toBe(1);
          await second.stop();
          await resumed;
        }),
        { numRuns: 6 },
      );
    }, 240_000);
  });
});
