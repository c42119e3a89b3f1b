import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisServer, waitFor } from '../../harness/redis-server.js';
import { ConnectionError } from '../../src/core/errors.js';
import { kickass } from '../../src/kickass.js';
import type { Kickass } from '../../src/kickass.js';
import { randomPrefix } from '../harness/topologies.js';

describe('fault helper: SIGKILL and restart of a harness server (AOF on)', () => {
  let server: RedisServer;
  let kr: Kickass;
  const connectionErrors: Error[] = [];

  beforeAll(async () => {
    server = await RedisServer.start({ appendonly: true });
    kr = kickass({
      connection: { port: server.port, host: server.host, maxRetriesPerRequest: 2 },
      prefix: randomPrefix(),
      onConnectionError: (error) => connectionErrors.push(error),
    });
  });

  afterAll(async () => {
    await kr.close();
    await server.stop();
  });

  it('clients reconnect, scripts reload after the restart, and ids never repeat', async () => {
    const gen = kr.idGenerator('orders', { blockSize: 100, prefetchAt: 0 });
    const before = await gen.nextMany(240); // reserves exactly 240
    before.push(await gen.next()); // reserves one block of 100, hands out 1
    const pid = server.pid;
    await server.kill();
    expect(server.running).toBe(false);
    // Ids still held in memory keep coming; the next reservation fails with a typed error.
    before.push(...(await gen.nextMany(99)));
    await expect(gen.next()).rejects.toBeInstanceOf(ConnectionError);
    await server.restart();
    expect(server.pid).not.toBe(pid);
    await waitFor('the client to reconnect', () => Promise.resolve(kr.client.status === 'ready'));
    expect(connectionErrors.length).toBeGreaterThan(0);
    const after = await gen.nextMany(250); // new server process: its script cache is empty (NOSCRIPT -> EVAL)
    const all = [...before, ...after];
    expect(new Set(all).size).toBe(all.length);
    expect(Math.min(...after)).toBeGreaterThan(Math.max(...before));
    const other = kickass({ connection: server.url, prefix: kr.prefix });
    try {
      expect(await other.idGenerator('orders', { blockSize: 10 }).next()).toBeGreaterThan(Math.max(...after));
    } finally {
      await other.close();
    }
  });
});
