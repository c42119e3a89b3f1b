// Helpers of the sync tests: a private MariaDB per test file and waiting for a sync to catch up
// (rows are read back with the mariadb command-line client: MariaDbServer.select).
import { afterAll, beforeAll } from 'vitest';
import { MariaDbServer } from '../../harness/mariadb-server.js';
import { waitFor } from '../../harness/redis-server.js';
import type { Sync } from '../../src/sync/sync.js';
import { normalizeGtid } from '../../src/sync/sync-status.js';

/** Starts a MariaDB server for the file's tests and stops it after them. */
export function useMariaDb(): { readonly server: MariaDbServer } {
  let server: MariaDbServer | undefined;
  beforeAll(async () => {
    server = await MariaDbServer.start();
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  });
  return {
    get server(): MariaDbServer {
      if (!server) throw new Error('useMariaDb: server used outside a test');
      return server;
    },
  };
}

/** The source's current GTID position, its parts sorted (comparable with a sync's position). */
export function gtidPosition(server: MariaDbServer): string {
  return normalizeGtid(server.query('SELECT @@gtid_binlog_pos').trim());
}

/** Waits until the sync streams at the source's current position. */
export async function caughtUp(sync: Sync, server: MariaDbServer, timeoutMs = 30_000): Promise<void> {
  const target = gtidPosition(server);
  await waitFor(
    `the sync to reach ${target}`,
    () => {
      const status = sync.status();
      if (status.phase === 'failed') throw new Error('the sync failed');
      return Promise.resolve(status.phase === 'stream' && normalizeGtid(status.position?.gtid ?? '') === target);
    },
    timeoutMs,
  );
}
