// Writes that must survive a failover wait for replicas: kr.waitForReplicas() and the id
// generators' waitForReplicas option send Redis WAIT down the connection the writes went through,
// on the master that holds them. A replica frozen with SIGSTOP makes exactly the writes of its
// master fail with ReplicationTimeoutError (a generator refuses to hand out ids from a block only
// its master holds), other masters carry on, and all works again once the replica runs.
import clusterKeySlot from 'cluster-key-slot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisClusterServers, RedisServer, waitFor } from '../../harness/redis-server.js';
import { rawCommand } from '../../harness/resp.js';
import { isClusterClient } from '../../src/core/connection.js';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { ReplicationTimeoutError } from '../../src/core/replication.js';
import { incrementalCounterKey, workerLeaseKeys } from '../../src/ids/keys.js';
import { kickass } from '../../src/kickass.js';
import type { Kickass } from '../../src/kickass.js';
import { TOPOLOGIES, randomPrefix } from '../harness/topologies.js';

const WAIT = { replicas: 1, timeoutMs: 300 };

/** Servers with one replica per master, and which server replicates a key. */
interface Replicated {
  readonly kr: Kickass;
  replicaOf(key: string): Promise<RedisServer>;
  stop(): Promise<void>;
}

async function standaloneWithReplica(): Promise<Replicated> {
  const primary = await RedisServer.start();
  const replica = await RedisServer.start({ extraArgs: ['--replicaof', primary.host, String(primary.port)] });
  await waitFor('the replica to sync', async () => (await rawCommand(replica.port, ['INFO', 'replication'])).includes('master_link_status:up'));
  const kr = kickass({ connection: { host: primary.host, port: primary.port }, prefix: randomPrefix() });
  return { kr, replicaOf: () => Promise.resolve(replica), stop: async () => {
    await kr.close();
    await Promise.all([replica.stop(), primary.stop()]);
  } };
}

async function clusterWithReplicas(): Promise<Replicated> {
  const cluster = await RedisClusterServers.start(3, 1);
  const kr = kickass({ connection: { cluster: cluster.seeds }, prefix: randomPrefix(), onConnectionError: () => undefined });
  await kr.client.ping();
  return {
    kr,
    replicaOf: async (key) => {
      const client = kr.client;
      if (!isClusterClient(client)) throw new Error('a cluster client was expected');
      const master = client.slots[clusterKeySlot(key)]?.[0] ?? '';
      const [replica] = await cluster.replicasOf(Number(master.slice(master.lastIndexOf(':') + 1)));
      if (replica === undefined) throw new Error(`no replica known for ${key}`);
      return replica;
    },
    stop: async () => {
      await kr.close();
      await cluster.stop();
    },
  };
}

describe.each(TOPOLOGIES)('waiting for replicas (%s)', (topology) => {
  let servers: Replicated;
  beforeAll(async () => {
    servers = topology === 'standalone' ? await standaloneWithReplica() : await clusterWithReplicas();
  }, 60_000);
  afterAll(async () => {
    await servers.stop();
  });

  it('confirms writes on every master, and says how many replicas did when too few', async () => {
    const { kr } = servers;
    await kr.idGenerator('a').next();
    expect(await kr.waitForReplicas({ replicas: 1, timeoutMs: 1000 })).toBe(1);
    const short = await kr.waitForReplicas({ replicas: 2, timeoutMs: 100 }).catch((e: unknown) => e);
    expect(short).toBeInstanceOf(ReplicationTimeoutError);
    expect(short).toMatchObject({ replicas: 2, acknowledged: 1 });
  });

  it('refuses bad settings naming the field, before anything is sent', () => {
    const { kr } = servers;
    expect(() => kr.idGenerator('b', { waitForReplicas: { replicas: 0, timeoutMs: 10 } })).toThrow(expect.objectContaining({ field: 'waitForReplicas.replicas' }) as Error);
    expect(() => kr.timeOrderedIds('b', { waitForReplicas: { replicas: 1, timeoutMs: 0 } })).toThrow(InvalidArgumentError);
    // 0 would make WAIT block forever
    return expect(kr.waitForReplicas({ replicas: 1, timeoutMs: 0 })).rejects.toMatchObject({ field: 'wait.timeoutMs' });
  });

  it('hands out no id its replica does not hold, only on the master whose replica is frozen', async () => {
    const { kr } = servers;
    const names = Array.from({ length: 40 }, (_, i) => `gen${String(i)}`);
    const frozenName = names[0] ?? '';
    const replicaOfGenerator = (name: string): Promise<RedisServer> => servers.replicaOf(incrementalCounterKey(kr.context.keys, name));
    const replicaOfLeases = (name: string): Promise<RedisServer> => servers.replicaOf(workerLeaseKeys(kr.context.keys, name).leases);
    const replica = await replicaOfGenerator(frozenName);
    const replicas = await Promise.all(names.map(replicaOfGenerator));
    const elsewhere = names.find((_, i) => replicas[i] !== replica);
    const frozen = kr.idGenerator(frozenName, { blockSize: 10, prefetchAt: 0, waitForReplicas: WAIT });
    expect(await frozen.nextMany(10)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const leaseReplicas = await Promise.all(names.map(replicaOfLeases));
    const leaseName = names.find((_, i) => leaseReplicas[i] === replica) ?? '';
    const events = kr.timeOrderedIds(leaseName, { waitForReplicas: WAIT });
    replica.pause();
    try {
      await expect(frozen.next()).rejects.toBeInstanceOf(ReplicationTimeoutError);
      await expect(events.start()).rejects.toBeInstanceOf(ReplicationTimeoutError);
      await expect(kr.waitForReplicas(WAIT)).rejects.toMatchObject({ acknowledged: 0 });
      if (topology === 'cluster') {
        // the other masters' replicas run: their generators go on
        expect(elsewhere).toBeDefined();
        expect(await kr.idGenerator(elsewhere ?? '', { waitForReplicas: WAIT }).nextMany(3)).toEqual([1, 2, 3]);
      }
    } finally {
      replica.resume();
    }
    await waitFor('the replica to confirm again', async () => (await kr.waitForReplicas(WAIT)) === 1, 20_000, 50);
    const after = await frozen.nextMany(5);
    expect(after[0]).toBeGreaterThan(10);
    expect(after).toEqual(after.map((_, i) => (after[0] ?? 0) + i));
    expect(await events.start()).toBeGreaterThanOrEqual(0);
    await events.close();
  }, 60_000);
});
