import { randomBytes } from 'node:crypto';
import clusterKeySlot from 'cluster-key-slot';
import { Cluster, Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, inject } from 'vitest';
import { closeClient } from '../../src/core/connection.js';
import { scanKeys, unlinkKeys } from '../../src/core/scan.js';
import type { RedisClient } from '../../src/core/connection.js';
import { Kickass } from '../../src/kickass.js';
import type { KickassOptions } from '../../src/kickass.js';

/** Every suite runs once per topology. */
export const TOPOLOGIES = ['standalone', 'cluster'] as const;

/** A server topology the harness provides. */
export type Topology = (typeof TOPOLOGIES)[number];

/** Cluster seed nodes from the harness. */
export function clusterSeeds(): { host: string; port: number }[] {
  return inject('clusterNodes').map((node) => {
    const at = node.lastIndexOf(':');
    return { host: node.slice(0, at), port: Number(node.slice(at + 1)) };
  });
}

/** The credentials of the suite's ACL user when the run uses one (KR_TEST_ACL_USER=1), else {}. */
function credentials(): { username?: string; password?: string } {
  const acl = inject('aclUser') ?? null;
  return acl === null ? {} : { username: acl.user, password: acl.password };
}

/** A new ioredis client for the topology (as the suite's ACL user when there is one, unless `asAdmin`); the caller closes it. */
export function connect(topology: Topology, asAdmin = false): RedisClient {
  const auth = asAdmin ? {} : credentials();
  if (topology === 'standalone') return new Redis(inject('redisUrl'), { lazyConnect: false, ...auth });
  return new Cluster(clusterSeeds(), { redisOptions: { lazyConnect: false, ...auth } });
}

/** A connection string for the topology, in the form `kickass({ connection })` accepts: as `user` when given, else as the suite's ACL user when there is one. */
export function connectionUrl(topology: Topology, user?: { user: string; password: string }): string {
  const acl = user ?? inject('aclUser') ?? null;
  const auth = acl === null ? '' : `${encodeURIComponent(acl.user)}:${encodeURIComponent(acl.password)}@`;
  return topology === 'standalone' ? inject('redisUrl').replace('://', `://${auth}`) : `redis+cluster://${auth}${inject('clusterNodes').join(',')}`;
}

/** A random key prefix, so tests never see each other's keys. */
export function randomPrefix(): string {
  return `t${randomBytes(6).toString('hex')}`;
}

/** Throws unless every key hashes to the same cluster slot (the single-slot rule of every script call). */
export function assertSingleSlot(keys: readonly string[], what = 'script call'): void {
  const slots = new Set(keys.map((key) => clusterKeySlot(key)));
  if (slots.size > 1) throw new Error(`${what} touches ${String(slots.size)} slots: ${keys.join(', ')}`);
}

/** Deletes every key under a prefix on every master (SCAN + UNLINK; never FLUSHALL). */
export function deletePrefix(client: RedisClient, prefix: string): Promise<number> {
  return unlinkKeys(client, `{${prefix}:*`);
}

/** Every key under a prefix, from every master. */
export async function keysWithPrefix(client: RedisClient, prefix: string): Promise<string[]> {
  const found: string[] = [];
  for await (const keys of scanKeys(client, `{${prefix}:*`)) found.push(...keys);
  return found;
}

/** What {@link useTopology} gives a suite. */
export interface TopologyFixture {
  /** A shared client for the suite. */
  readonly client: RedisClient;
  /** A client for what the library never does (CLIENT KILL, CONFIG): the default user even when the suite runs as its ACL user. */
  readonly admin: RedisClient;
  /** The current test's random prefix. */
  readonly prefix: string;
  /** A kickass instance on the shared client with the test's prefix; every script call is slot-checked. */
  kickass(options?: Omit<KickassOptions, 'connection'>): Kickass;
}

/** Registers hooks that connect once per suite, pick a new prefix per test, and clean up after. */
export function useTopology(topology: Topology): TopologyFixture {
  let client: RedisClient | undefined;
  let admin: RedisClient | undefined;
  let prefix = randomPrefix();
  const instances: Kickass[] = [];
  beforeAll(() => {
    client = connect(topology);
  });
  beforeEach(() => {
    prefix = randomPrefix();
  });
  afterEach(async () => {
    await Promise.allSettled(instances.splice(0).map((kr) => kr.close()));
    if (client) await deletePrefix(client, prefix);
  });
  afterAll(async () => {
    if (client) await closeClient(client);
    if (admin) await closeClient(admin);
  });
  return {
    get client(): RedisClient {
      if (!client) throw new Error('useTopology: client used outside a test');
      return client;
    },
    get admin(): RedisClient {
      if (!client) throw new Error('useTopology: admin used outside a test');
      if ((inject('aclUser') ?? null) === null) return client;
      admin ??= connect(topology, true);
      return admin;
    },
    get prefix(): string {
      return prefix;
    },
    kickass(options = {}): Kickass {
      if (!client) throw new Error('useTopology: kickass() used outside a test');
      const kr = new Kickass({ prefix, ...options, connection: client });
      kr.context.scripts.onCall((plan) => {
        assertSingleSlot(plan.keys, plan.script.name);
      });
      instances.push(kr);
      return kr;
    },
  };
}
