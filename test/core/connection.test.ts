import { describe, expect, it } from 'vitest';
import { closeClient, openConnection } from '../../src/core/connection.js';
import { InvalidArgumentError, KickassError } from '../../src/core/errors.js';
import { kickass } from '../../src/kickass.js';
import { TOPOLOGIES, connect, connectionUrl, randomPrefix } from '../harness/topologies.js';

describe('openConnection', () => {
  it('rejects malformed inputs with a typed error naming the field', () => {
    for (const bad of ['http://x', 'redis+cluster://', 'redis+cluster://h:0', 'redis+cluster://h:99999', 'localhost:6379']) {
      let error: unknown;
      try {
        openConnection(bad);
      } catch (e) {
        error = e;
      }
      expect(error, bad).toBeInstanceOf(InvalidArgumentError);
      expect((error as InvalidArgumentError).field).toBe('connection');
    }
    expect(() => openConnection({ cluster: [] })).toThrow(InvalidArgumentError);
  });

  it('parses cluster URLs with credentials, TLS and IPv6 seeds', () => {
    const opened = openConnection('rediss+cluster://ann:p%40ss@10.0.0.1:7000,[::1]:7001?x=1');
    try {
      expect(opened.isCluster).toBe(true);
      expect(opened.owned).toBe(true);
      const cluster = opened.client as unknown as { startupNodes: unknown[]; options: { redisOptions: Record<string, unknown> } };
      expect(cluster.startupNodes).toEqual([
        { host: '10.0.0.1', port: 7000 },
        { host: '::1', port: 7001 },
      ]);
      expect(cluster.options.redisOptions).toMatchObject({ username: 'ann', password: 'p@ss', tls: {} });
    } finally {
      opened.client.disconnect();
    }
  });

  it('base errors carry code, cause and context', () => {
    const cause = new Error('low level');
    const error = new KickassError('E_X', 'high level', { cause, context: { field: 'a' } });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('KickassError');
    expect(error.cause).toBe(cause);
    expect(error.context).toEqual({ field: 'a' });
    const invalid = new InvalidArgumentError('blockSize', 'must be positive');
    expect(invalid.message).toBe('Invalid blockSize: must be positive');
    expect(invalid.code).toBe('E_INVALID_ARGUMENT');
    expect(invalid.name).toBe('InvalidArgumentError');
  });
});

for (const topology of TOPOLOGIES) {
  describe(`kickass() connections (${topology})`, () => {
    it('connects from a URL, works, and closes what it opened', async () => {
      const kr = kickass({ connection: connectionUrl(topology), prefix: randomPrefix() });
      expect(kr.context.isCluster).toBe(topology === 'cluster');
      const gen = kr.idGenerator('c', { blockSize: 3 });
      expect(await gen.nextMany(4)).toEqual([1, 2, 3, 4]);
      await kr.client.del(kr.context.keys.slot('ids', 'c').key('counter'));
      await kr.close();
      expect(kr.client.status).toBe('end');
      expect(() => kr.idGenerator('c')).toThrow(/closed/);
    });

    it('adopts an existing client and leaves it open on close()', async () => {
      const client = connect(topology);
      try {
        const kr = kickass({ connection: client, prefix: randomPrefix() });
        expect(kr.client).toBe(client);
        await kr.close();
        expect(await client.ping()).toBe('PONG');
      } finally {
        await closeClient(client);
      }
    });
  });
}
