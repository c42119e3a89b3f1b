// checkSource against real MariaDB servers: the harness's (ready for the sync), one without a
// binlog, and the same server with each required setting turned wrong in turn (they are dynamic)
// or a user without the replica privileges: a SyncSourceError names the setting every time.
import mysql from 'mysql2/promise';
import type { Connection } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MariaDbServer } from '../../harness/mariadb-server.js';
import { SyncSourceError } from '../../src/sync/errors.js';
import { checkSource } from '../../src/sync/source-check.js';

async function connect(server: MariaDbServer, user = 'root', password = ''): Promise<Connection> {
  return mysql.createConnection({ host: server.host, port: server.port, user, password });
}

async function failure(server: MariaDbServer, user?: string, password?: string): Promise<SyncSourceError> {
  const connection = await connect(server, user, password);
  try {
    const error: unknown = await checkSource(connection).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(SyncSourceError);
    return error as SyncSourceError;
  } finally {
    await connection.end();
  }
}

describe('checkSource', () => {
  let ready: MariaDbServer;
  let noBinlog: MariaDbServer;

  beforeAll(async () => {
    [ready, noBinlog] = await Promise.all([MariaDbServer.start(), MariaDbServer.start(['--skip-log-bin'])]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([ready.stop(), noBinlog.stop()]);
  });

  it('accepts a server with a ROW binlog, FULL row images and metadata, and a replica user', async () => {
    ready.query("CREATE USER 'replica'@'127.0.0.1' IDENTIFIED BY 'pw'; GRANT REPLICATION SLAVE, BINLOG MONITOR, SELECT ON *.* TO 'replica'@'127.0.0.1'; CREATE DATABASE d; CREATE TABLE d.t (id INT PRIMARY KEY); INSERT INTO d.t VALUES (1)");
    for (const [user, password] of [['root', ''], ['replica', 'pw']] as const) {
      const connection = await connect(ready, user, password);
      try {
        const info = await checkSource(connection);
        expect(info).toMatchObject({ flavor: 'mariadb', serverId: 1 });
        expect(info.version).toMatch(/MariaDB/);
        expect(info.gtidPosition).toBe(ready.query('SELECT @@gtid_binlog_pos').trim());
      } finally {
        await connection.end();
      }
    }
  });

  it('names log_bin when the binlog is off', async () => {
    const error = await failure(noBinlog);
    expect(error).toMatchObject({ setting: 'log_bin', found: 'OFF', needed: 'ON' });
    expect(error.message).toMatch(/--log-bin/);
  });

  it('names each row setting that is not what the sync needs', async () => {
    for (const [setting, wrong] of [
      ['binlog_format', 'STATEMENT'],
      ['binlog_row_image', 'MINIMAL'],
      ['binlog_row_metadata', 'MINIMAL'],
    ] as const) {
      const right = ready.query(`SELECT @@GLOBAL.${setting}`).trim();
      ready.query(`SET GLOBAL ${setting} = '${wrong}'`);
      try {
        const error = await failure(ready);
        expect(error).toMatchObject({ setting, found: wrong });
        expect(error.message).toContain(`${setting}=${wrong}`);
      } finally {
        ready.query(`SET GLOBAL ${setting} = '${right}'`);
      }
    }
  });

  it('names the privilege a user lacks', async () => {
    ready.query("CREATE USER 'reader'@'127.0.0.1' IDENTIFIED BY 'pw'; GRANT SELECT ON *.* TO 'reader'@'127.0.0.1'; CREATE USER 'dumper'@'127.0.0.1' IDENTIFIED BY 'pw'; GRANT REPLICATION SLAVE ON *.* TO 'dumper'@'127.0.0.1'");
    expect(await failure(ready, 'reader', 'pw')).toMatchObject({ setting: 'REPLICATION SLAVE' });
    expect(await failure(ready, 'dumper', 'pw')).toMatchObject({ setting: 'BINLOG MONITOR' });
  });
});
