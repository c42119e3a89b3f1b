// kickass-redis over TLS: a redis-server and a 3-master cluster the harness starts with TLS ports
// and certificates it makes with openssl (a throwaway CA); every component works through them, the
// connections really are TLS, and a client that does not trust the CA gets a typed connection
// error, not a hang.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisClusterServers, RedisServer } from '../../harness/redis-server.js';
import { makeTlsCertificates } from '../../harness/tls-certificates.js';
import { isClusterClient } from '../../src/core/connection.js';
import { ConnectionError } from '../../src/core/errors.js';
import { kickass } from '../../src/kickass.js';
import type { Kickass } from '../../src/kickass.js';
import { t } from '../../src/store/fields.js';
import { randomPrefix } from '../harness/topologies.js';
import { exerciseEveryComponent } from './every-component.js';

describe('TLS', () => {
  let server: RedisServer;
  let dir: string;
  let ca: string;
  const open: Kickass[] = [];
  const connectionErrors: string[] = [];
  const connect = (tls: Record<string, unknown>, extra: Record<string, unknown> = {}, prefix = `tls${String(open.length)}`): Kickass => {
    const kr = kickass({ connection: { host: '127.0.0.1', port: server.tlsPort, tls, ...extra }, prefix, onConnectionError: (error) => connectionErrors.push(error.message) });
    open.push(kr);
    return kr;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kr-tls-'));
    const certificates = makeTlsCertificates(dir);
    ca = certificates.ca;
    server = await RedisServer.start({ tls: certificates });
  }, 60_000);

  afterAll(async () => {
    await Promise.allSettled(open.map((kr) => kr.close()));
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs every component over a TLS connection', async () => {
    const kr = connect({ ca });
    await kr.client.ping();
    const clients = await kr.client.call('CLIENT', 'LIST');
    expect(String(clients)).toContain(`laddr=127.0.0.1:${String(server.tlsPort)}`);

    const User = kr.model('user', { name: t.string().index(), score: t.number().sortable(), bio: t.text() });
    await User.createMany([{ name: 'ada', score: 3, bio: 'counts engines' }, { name: 'bob', score: 1, bio: 'builds bridges' }]);
    expect((await User.find({ name: 'ada' }).all()).map((u) => u.score)).toEqual([3]);
    expect((await User.find().search('bridges').all()).map((u) => u.name)).toEqual(['bob']);
    expect((await User.verify()).ok).toBe(true);

    const ids = kr.idGenerator('orders');
    expect([await ids.next(), await ids.next()]).toEqual([1, 2]);
    const active = kr.uniqueCounter('active', { slots: ['day'] });
    await active.addMany([1, 2, 3].map((id) => ({ id, at: new Date('2026-12-02T10:00:00Z') })));
    expect(await active.count('day', new Date('2026-12-02T10:00:00Z'))).toBe(3);
    const views = kr.hierarchicalCounter('views', { resolutions: ['day'] });
    await views.incr(['fr', 'paris'], { at: Date.UTC(2026, 11, 2) });
    await views.flush();
    expect((await views.get(['fr'], 'day', Date.UTC(2026, 11, 2))).sum).toBe(1);

    // the cache's bus opens its own (TLS) connection: another instance's set reaches this one's L1
    const cache = kr.cache({ namespace: 'c', ttl: '1m', l1: { max: 100 } });
    const other = connect({ ca }, {}, kr.prefix).cache({ namespace: 'c', ttl: '1m' });
    await expect.poll(() => cache.connected && other.connected, { timeout: 5000 }).toBe(true);
    expect(await cache.getOrSet({ key: 'k', factory: () => 'v1' })).toBe('v1');
    expect(cache.stats().l1Hits).toBe(0);
    expect(connectionErrors).toEqual([]);
    expect(await cache.get('k')).toBe('v1');
    expect(cache.stats().l1Hits).toBe(1);
    await other.set('k', 'v2');
    await expect.poll(() => cache.stats().busMessages, { timeout: 5000 }).toBeGreaterThan(0);
    expect(await cache.get('k')).toBe('v2');
  }, 60_000);

  it('fails with a typed connection error, not a hang, when the server certificate is not trusted', async () => {
    const kr = connect({}, { retryStrategy: () => null, maxRetriesPerRequest: 0 });
    const User = kr.model('user', { name: t.string() });
    const error: unknown = await User.create({ name: 'x' }).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect(connectionErrors.join('\n')).toMatch(/certificate/);
  }, 30_000);
});

describe('TLS cluster (3 masters, cluster bus and replication over TLS too)', () => {
  let cluster: RedisClusterServers;
  let dir: string;
  let ca: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kr-tls-cluster-'));
    const certificates = makeTlsCertificates(dir);
    ca = certificates.ca;
    cluster = await RedisClusterServers.start(3, 0, certificates);
  }, 60_000);

  afterAll(async () => {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs every component with every node reached over TLS', async () => {
    const connection = { cluster: cluster.tlsSeeds, options: { redisOptions: { tls: { ca } } } };
    const kr = kickass({ connection, prefix: randomPrefix() });
    const other = kickass({ connection, prefix: kr.prefix });
    try {
      await exerciseEveryComponent(kr, other);
      const client = kr.client;
      if (!isClusterClient(client)) throw new Error('a cluster client was expected');
      const masters = client.nodes('master');
      expect(masters).toHaveLength(3);
      const tlsPorts = new Set(cluster.nodes.map((n) => n.tlsPort));
      for (const master of masters) {
        expect(tlsPorts.has(master.options.port)).toBe(true);
        const clients = String(await master.call('CLIENT', 'LIST'));
        expect(clients).toContain(`laddr=127.0.0.1:${String(master.options.port)}`);
      }
    } finally {
      await Promise.all([kr.close(), other.close()]);
    }
  }, 60_000);

  it('fails with a typed connection error, not a hang, when the certificate is not trusted', async () => {
    const errors: string[] = [];
    const kr = kickass({
      connection: { cluster: cluster.tlsSeeds, options: { clusterRetryStrategy: () => null, redisOptions: { tls: {} } } },
      prefix: randomPrefix(),
      onConnectionError: (error) => errors.push(error.message),
    });
    try {
      const error: unknown = await kr.model('user', { name: t.string() }).create({ name: 'x' }).then(() => null, (e: unknown) => e);
      expect(error).toBeInstanceOf(ConnectionError);
      expect(errors.join('\n')).toMatch(/certificate|refresh slots cache|Failed to refresh/);
    } finally {
      await kr.close();
    }
  }, 30_000);
});
