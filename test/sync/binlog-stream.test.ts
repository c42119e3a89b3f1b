// The binlog as committed transactions on a real MariaDB: row changes with full images and exact
// types, one transaction per commit with the position after it; resuming from a transaction's
// position streams exactly what came after; a purged position is a BinlogGapError.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MariaDbServer } from '../../harness/mariadb-server.js';
import { BinlogGapError, BinlogStream } from '../../src/sync/binlog-stream.js';
import type { BinlogTransaction } from '../../src/sync/binlog-stream.js';

/** The next `n` transactions of a stream. */
async function take(stream: BinlogStream, n: number): Promise<BinlogTransaction[]> {
  const out: BinlogTransaction[] = [];
  if (n === 0) return out;
  for await (const transaction of stream) {
    out.push(transaction);
    if (out.length === n) break;
  }
  return out;
}

describe('binlog stream', () => {
  let server: MariaDbServer;
  const source = (): { host: string; port: number; user: string } => ({ host: server.host, port: server.port, user: 'root' });

  beforeAll(async () => {
    server = await MariaDbServer.start();
    server.query('CREATE DATABASE shop; CREATE TABLE shop.items (id BIGINT PRIMARY KEY, price DECIMAL(20,6), at DATETIME(3), doc JSON, note VARCHAR(100) CHARACTER SET utf8mb4, data BLOB, n INT NULL); CREATE TABLE shop.other (id INT PRIMARY KEY)');
  }, 120_000);

  afterAll(async () => {
    await server.stop();
  });

  it('gives committed transactions with their changes and the position after each; resumes exactly after one', async () => {
    const from = server.query('SELECT @@gtid_binlog_pos').trim();
    const stream = new BinlogStream(source(), { from, serverId: 9001, tables: { shop: ['items'] } });
    server.query("BEGIN; INSERT INTO shop.items VALUES (1, 12345678901234.123456, '2026-03-29 02:30:00.123', '{\"a\":[1,{\"b\":null}]}', 'ünï 😀', X'00FF10', NULL), (2, -0.000001, '1999-12-31 23:59:59.999', '[]', '', NULL, 5); COMMIT");
    server.query('INSERT INTO shop.other VALUES (1)');
    server.query('UPDATE shop.items SET n = 6 WHERE id = 2');
    server.query('DELETE FROM shop.items WHERE id = 1');
    const [insert, other, update, remove] = await take(stream, 4);
    await stream.stop();
    expect(insert?.changes).toEqual([
      { schema: 'shop', table: 'items', kind: 'insert', before: null, after: { id: 1, price: '12345678901234.123456', at: '2026-03-29 02:30:00.123', doc: '{"a":[1,{"b":null}]}', note: 'ünï 😀', data: Buffer.from([0, 255, 16]), n: null } },
      { schema: 'shop', table: 'items', kind: 'insert', before: null, after: { id: 2, price: '-0.000001', at: '1999-12-31 23:59:59.999', doc: '[]', note: '', data: null, n: 5 } },
    ]);
    // shop.other is outside the filter: its transaction comes without changes (its position still counts)
    expect(other?.changes).toEqual([]);
    expect(update?.changes).toMatchObject([{ kind: 'update', before: { id: 2, n: 5 }, after: { id: 2, n: 6 } }]);
    expect(remove?.changes).toMatchObject([{ kind: 'delete', before: { id: 1 }, after: null }]);
    const positions = [insert, other, update, remove].map((t) => t?.position);
    expect(positions[3]).toBe(server.query('SELECT @@gtid_binlog_pos').trim());
    // binlog offsets grow with each transaction; the last is where the binlog ends
    const offsets = [insert, other, update, remove].map((t) => t?.offset ?? 0);
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    expect(new Set(offsets).size).toBe(4);
    const [file, end] = server.query('SHOW MASTER STATUS').split('\t');
    expect([remove?.file, remove?.offset]).toEqual([file, Number(end)]);
    expect(Math.abs((remove?.timestamp ?? 0) - Date.now())).toBeLessThan(60_000);
    // resume after the update: the delete comes again (it was not acknowledged), then what came next
    server.query('INSERT INTO shop.items (id) VALUES (3)');
    const resumed = new BinlogStream(source(), { from: positions[2] as string, serverId: 9002, tables: { shop: ['items'] } });
    const again = await take(resumed, 2);
    await resumed.stop();
    expect(again.map((t) => t.changes.map((c) => [c.kind, (c.after ?? c.before)?.id]))).toEqual([[['delete', 1]], [['insert', 3]]]);
  }, 30_000);

  it('reports a position the binlog no longer holds as a BinlogGapError', async () => {
    const old = server.query('SELECT @@gtid_binlog_pos').trim();
    server.query('INSERT INTO shop.items (id) VALUES (10); FLUSH BINARY LOGS; INSERT INTO shop.items (id) VALUES (11); FLUSH BINARY LOGS');
    const newest = server.query('SHOW BINARY LOGS').trim().split('\n').at(-1)?.split('\t')[0] ?? '';
    server.query(`PURGE BINARY LOGS TO '${newest}'`);
    const stream = new BinlogStream(source(), { from: old, serverId: 9003 });
    const error: unknown = await take(stream, 1).then(() => null, (e: unknown) => e);
    await stream.stop();
    expect(error).toBeInstanceOf(BinlogGapError);
  }, 30_000);
});
