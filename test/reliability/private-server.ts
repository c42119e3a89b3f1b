// A redis-server of the test file's own (for faults, keyspace scans and settings the shared servers
// must not see), an admin connection to it and a kickass instance on it.
import { afterAll, beforeAll } from 'vitest';
import { Redis } from 'ioredis';
import type { RedisOptions } from 'ioredis';
import { RedisServer } from '../../harness/redis-server.js';
import type { RedisServerOptions } from '../../harness/redis-server.js';
import { kickass } from '../../src/kickass.js';
import type { Kickass } from '../../src/kickass.js';

/** What a test file gets: the server, an admin client and a kickass instance (created in beforeAll, closed in afterAll). */
export interface PrivateServer {
  readonly server: RedisServer;
  readonly admin: Redis;
  readonly kr: Kickass;
}

/** Starts the file's server before its tests and stops it after them. */
export function usePrivateServer(prefix: string, server: RedisServerOptions = {}, client: RedisOptions = {}): PrivateServer {
  let started: PrivateServer | undefined;
  beforeAll(async () => {
    const s = await RedisServer.start(server);
    started = {
      server: s,
      admin: new Redis(s.port, s.host),
      kr: kickass({ connection: { host: s.host, port: s.port, ...client }, prefix, onConnectionError: () => undefined }),
    };
  });
  afterAll(async () => {
    if (!started) return;
    await started.kr.close();
    started.admin.disconnect();
    await started.server.stop();
  });
  const get = (): PrivateServer => {
    if (!started) throw new Error('usePrivateServer: used outside a test');
    return started;
  };
  return {
    get server() {
      return get().server;
    },
    get admin() {
      return get().admin;
    },
    get kr() {
      return get().kr;
    },
  };
}
