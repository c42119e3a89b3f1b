// A Redis Cluster with replicas (3 masters + 3 replicas) loses a master (SIGKILL) during a
// write-heavy run of the store, unique and hierarchical counters, both id generators and the cache;
// its replica is promoted, then the killed node comes back as a replica. Every call resolves or
// fails with a typed KickassError within a bound (none hangs), nothing is left unhandled, the
// model's indexes check out, every create and unique-counter add acknowledged before
// kr.waitForReplicas() is there (a write acknowledged after it may be lost: replication is
// asynchronous), and id generators that wait for a replica never hand out an id twice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KickassError } from '../../src/core/errors.js';
import { isClusterClient } from '../../src/core/connection.js';
import { kickass } from '../../src/kickass.js';
import type { Kickass } from '../../src/kickass.js';
import { t } from '../../src/store/fields.js';
import { RedisClusterServers, waitFor } from '../../harness/redis-server.js';
import { rawCommand } from '../../harness/resp.js';
import { randomPrefix } from '../harness/topologies.js';

const WORKERS = 6;
const DAY = Date.UTC(2026, 11, 2);

describe('cluster failover (3 masters + 3 replicas, a master SIGKILLed)', () => {
  let cluster: RedisClusterServers;
  let kr: Kickass;

  beforeAll(async () => {
    cluster = await RedisClusterServers.start(3, 1);
    kr = kickass({ connection: { cluster: cluster.seeds, options: { redisOptions: { commandTimeout: 1000 } } }, prefix: randomPrefix(), onConnectionError: () => undefined });
  }, 60_000);

  afterAll(async () => {
    await kr.close();
    await cluster.stop();
  });

  it('settles every call, typed, keeps indexes exact and the creates a WAIT covered', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', onUnhandled);
    const User = kr.model('user', { name: t.string().index(), visits: t.integer().sortable() }, { partitions: 6 });
    const views = kr.hierarchicalCounter('views', { resolutions: ['day'] });
    const cache = kr.cache({ namespace: 'c', ttl: '1m', partitions: 3, redisTimeout: 1000 });
    const active = kr.uniqueCounter('active', { slots: ['day'] });
    const replicaWait = { replicas: 1, timeoutMs: 300 };
    const generators = Array.from({ length: 6 }, (_, g) => kr.idGenerator(`orders${String(g)}`, { blockSize: 20, waitForReplicas: replicaWait }));
    const eventIds = kr.timeOrderedIds('events', { waitForReplicas: replicaWait });
    const handedOut: string[] = [];
    const counted = new Set<number>();
    const created = new Set<string>();
    const failures: unknown[] = [];
    let slowest = 0;
    let afterFailover = 0;
    let failedOver = false;
    let stop = false;
    const guard = async (call: () => Promise<unknown>): Promise<void> => {
      const start = performance.now();
      try {
        await call();
        if (failedOver) afterFailover++;
      } catch (error) {
        failures.push(error);
      } finally {
        slowest = Math.max(slowest, performance.now() - start);
      }
    };
    const worker = async (w: number): Promise<void> => {
      for (let i = 0; !stop; i++) {
        await guard(async () => created.add((await User.create({ name: `n${String(i % 7)}`, visits: i })).id));
        await guard(() => views.incr(['fr', `p${String(w)}`], { at: DAY }));
        const member = w * 1_000_000 + i;
        await guard(async () => {
          await active.addMany([{ id: member, at: DAY }]);
          counted.add(member);
        });
        await guard(async () => handedOut.push(`o${String(w)}:${String(await (generators[w] ?? generators[0])?.next())}`));
        await guard(async () => handedOut.push(String(await eventIds.next())));
        await guard(() => cache.getOrSet({ key: `k${String(i % 50)}`, factory: () => i }));
        if (failures.length > 0 || failedOver) await new Promise((resolve) => setTimeout(resolve, 5));
      }
    };
    const running = Array.from({ length: WORKERS }, (_, w) => worker(w));
    await waitFor('some writes', () => Promise.resolve(created.size > 300), 30_000, 10);
    // what writes that must survive a failover do: wait until a replica of every master has them
    const covered = new Set(created);
    const coveredMembers = new Set(counted);
    await waitFor('a replica of every master to confirm', async () => (await kr.waitForReplicas({ replicas: 1, timeoutMs: 500 })) >= 1, 20_000, 10);
    const client = kr.client;
    if (!isClusterClient(client)) throw new Error('a cluster client was expected');
    const masters = client.nodes('master');
    const victim = cluster.nodes.find((n) => n.running && masters.some((m) => m.options.port === n.port));
    if (victim === undefined) throw new Error('no master to kill');
    await victim.kill();
    await cluster.waitForFailover(3);
    failedOver = true;
    // the promoted replica has no replica of its own until the killed node comes back as one
    await victim.restart();
    await waitFor('the killed node back as a synced replica', async () => /role:slave[\s\S]*master_link_status:up/.test(await rawCommand(victim.port, ['INFO', 'replication'])), 30_000, 100);
    await cluster.waitUntilHealthy(30_000);
    await waitFor('writes after the failover', () => Promise.resolve(afterFailover > 300), 60_000, 10);
    stop = true;
    await Promise.all(running);
    process.off('unhandledRejection', onUnhandled);

    expect(unhandled).toEqual([]);
    expect(failures.filter((e) => !(e instanceof KickassError))).toEqual([]);
    expect(slowest).toBeLessThan(20_000);
    // the checks read through an instance without the run's short command timeout: a loaded machine is not what they test
    const checker = kickass({ connection: { cluster: cluster.seeds }, prefix: kr.prefix });
    try {
      await check(checker, covered, coveredMembers, handedOut);
    } finally {
      await checker.close();
    }
  }, 180_000);
});

async function check(kr: Kickass, covered: ReadonlySet<string>, coveredMembers: ReadonlySet<number>, handedOut: readonly string[]): Promise<void> {
    const User = kr.model('user', { name: t.string().index(), visits: t.integer().sortable() }, { partitions: 6 });
    const active = kr.uniqueCounter('active', { slots: ['day'] });
    const present = await User.getMany([...covered]);
    expect(present.filter((u) => u === null)).toHaveLength(0);
    expect((await User.verify()).problems).toEqual([]);
    expect(await active.count('day', DAY)).toBeGreaterThanOrEqual(coveredMembers.size);
    const members = [...coveredMembers];
    const held = await Promise.all(members.map((member) => active.has(member, 'day', DAY)));
    expect(members.filter((_, i) => !held[i])).toEqual([]);
    expect(handedOut.length).toBeGreaterThan(300);
    expect(new Set(handedOut).size).toBe(handedOut.length);
}
