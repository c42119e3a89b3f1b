// The consistent snapshot on a real MariaDB: chunks read in primary-key order show the tables as
// they were when it started, whatever another connection changes meanwhile, its binlog position is
// the one of that moment, and a copy resumes after a given key.
import mysql from 'mysql2/promise';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MariaDbServer } from '../../harness/mariadb-server.js';
import { Snapshot } from '../../src/sync/snapshot.js';
import type { SnapshotTable } from '../../src/sync/snapshot.js';

const REGIONS = ['eu', 'us', 'ünï', 'a`b', 'zz'];

/** A row's primary key as text. */
const keyOf = (row: RowDataPacket): string => `${String(row.region)}/${String(row.id)}`;

/** The first column of the first row of a query. */
async function one(connection: Connection, sql: string): Promise<unknown> {
  const [rows] = await connection.query<RowDataPacket[]>(sql);
  return Object.values(rows[0] ?? {})[0];
}

describe('consistent snapshot', () => {
  let server: MariaDbServer;
  let reader: Connection;
  let writer: Connection;
  const table: SnapshotTable = { schema: 'sh op', table: 'it`ems', primaryKey: ['region', 'id'] };

  beforeAll(async () => {
    server = await MariaDbServer.start();
    const open = (): Promise<Connection> => mysql.createConnection({ host: server.host, port: server.port, user: 'root', multipleStatements: true });
    [reader, writer] = [await open(), await open()];
    await writer.query('CREATE DATABASE `sh op`; CREATE TABLE `sh op`.`it``ems` (region VARCHAR(10) CHARACTER SET utf8mb4, id INT, v INT, PRIMARY KEY (region, id))');
  }, 120_000);

  afterAll(async () => {
    await Promise.all([reader.end(), writer.end()]);
    await server.stop();
  });

  it('reads the tables as they were when it started, in key order, while another connection writes', async () => {
    const before = REGIONS.flatMap((region, r) => Array.from({ length: 200 }, (_, i) => ({ region, id: (i * 7919 + r) % 1000, v: i })));
    await writer.query('INSERT INTO `sh op`.`it``ems` (region, id, v) VALUES ?', [before.map((row) => [row.region, row.id, row.v])]);
    const atStart = await one(writer, 'SELECT @@gtid_binlog_pos');
    const snapshot = await Snapshot.open(reader, 'mariadb');
    expect(snapshot.position.gtid).toBe(atStart);
    expect(snapshot.position.file).toMatch(/^binlog\.\d+$/);
    const read: RowDataPacket[] = [];
    let chunks = 0;
    for await (const rows of snapshot.chunks(table, { size: 97 })) {
      read.push(...rows);
      if (chunks++ === 0) {
        // changes after the snapshot started: none may show up in it
        await writer.query("UPDATE `sh op`.`it``ems` SET v = v + 1000; DELETE FROM `sh op`.`it``ems` WHERE id < 300; INSERT INTO `sh op`.`it``ems` VALUES ('zzz', 1, 1)");
      }
    }
    // the model: exactly the rows written before
    const byKey = (rows: readonly { region: unknown; id: unknown; v: unknown }[]): Map<string, unknown> => new Map(rows.map((r) => [`${String(r.region)}/${String(r.id)}`, r.v]));
    expect(read).toHaveLength(before.length);
    expect(byKey(read as unknown as { region: unknown; id: unknown; v: unknown }[])).toEqual(byKey(before));
    // in key order as the server collates it (asked in the snapshot's own transaction)
    const [ordered] = await reader.query<RowDataPacket[]>('SELECT region, id FROM `sh op`.`it``ems` ORDER BY region, id');
    expect(read.map(keyOf)).toEqual(ordered.map(keyOf));
    // resuming after a key yields exactly the rows after it
    const cut = read[400] as RowDataPacket;
    const rest: RowDataPacket[] = [];
    for await (const rows of snapshot.chunks(table, { size: 50, after: [cut.region, cut.id] })) rest.push(...rows);
    expect(rest.map(keyOf)).toEqual(read.slice(401).map(keyOf));
    await snapshot.close();
    // out of the snapshot, the changes are there, and the binlog went on past its position
    expect(await one(reader, 'SELECT COUNT(*) FROM `sh op`.`it``ems` WHERE v >= 1000')).toBe(before.filter((row) => row.id >= 300).length);
    expect(await one(reader, 'SELECT @@gtid_binlog_pos')).not.toBe(atStart);
  });

  it('stands exactly where its reads are: a row is in it if and only if its insert is at or before its GTID position', async () => {
    await writer.query('CREATE TABLE `sh op`.log (k INT PRIMARY KEY)');
    const seqOf = new Map<number, number>();
    const state = { stop: false };
    // a writer inserting one row per transaction, noting each one's GTID sequence number
    const writing = (async () => {
      for (let k = 1; !state.stop; k++) {
        await writer.query('INSERT INTO `sh op`.log VALUES (?)', [k]);
        seqOf.set(k, Number(String(await one(writer, 'SELECT @@last_gtid')).split('-')[2]));
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const snapshot = await Snapshot.open(reader, 'mariadb');
    await new Promise((resolve) => setTimeout(resolve, 100));
    state.stop = true;
    await writing;
    const at = Number(snapshot.position.gtid.split('-')[2]);
    const seen = new Set<number>();
    for await (const rows of snapshot.chunks({ schema: 'sh op', table: 'log', primaryKey: ['k'] }, { size: 64 })) for (const row of rows) seen.add(row.k as number);
    await snapshot.close();
    const expected = [...seqOf].filter(([, seq]) => seq <= at).map(([k]) => k);
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(seqOf.size);
    expect([...seen].sort((a, b) => a - b)).toEqual(expected);
  });
});
