// The private MariaDB the sync tests run against: started on a free port with a temp datadir, its
// binlog is on, in ROW format with FULL row metadata, and row changes reach it with GTIDs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MariaDbServer } from '../../harness/mariadb-server.js';

describe('harness MariaDB', () => {
  let server: MariaDbServer;

  beforeAll(async () => {
    server = await MariaDbServer.start();
  }, 120_000);

  afterAll(async () => {
    await server.stop();
  });

  it('has a ROW binlog with FULL metadata, and records row changes with GTIDs', () => {
    const settings: Record<string, string> = Object.fromEntries(
      server
        .query("SHOW GLOBAL VARIABLES WHERE Variable_name IN ('log_bin', 'binlog_format', 'binlog_row_metadata', 'binlog_row_image', 'server_id', 'bind_address')")
        .trim()
        .split('\n')
        .map((line) => line.split('\t') as [string, string]),
    );
    expect(settings).toEqual({ log_bin: 'ON', binlog_format: 'ROW', binlog_row_metadata: 'FULL', binlog_row_image: 'FULL', server_id: '1', bind_address: '127.0.0.1' });
    server.query('CREATE DATABASE shop; CREATE TABLE shop.items (id INT PRIMARY KEY, name VARCHAR(50)); INSERT INTO shop.items VALUES (1, "a"), (2, "b"); UPDATE shop.items SET name = "c" WHERE id = 2; DELETE FROM shop.items WHERE id = 1;');
    expect(server.query('SELECT id, name FROM shop.items').trim()).toBe('2\tc');
    const events = server.query('SHOW BINLOG EVENTS').trim().split('\n').map((line) => line.split('\t')[2]);
    for (const kind of ['Gtid', 'Table_map', 'Write_rows_v1', 'Update_rows_v1', 'Delete_rows_v1']) expect(events).toContain(kind);
    expect(server.query('SELECT @@gtid_binlog_pos').trim()).toMatch(/^0-1-\d+$/);
  });
});
