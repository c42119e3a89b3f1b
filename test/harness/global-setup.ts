import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { RedisClusterServers, RedisServer } from '../../harness/redis-server.js';
import { rawCommand } from '../../harness/resp.js';
import { REDIS_COMMANDS } from '../../src/core/acl.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the standalone server the tests use. */
    redisUrl: string;
    /** Seed nodes of the 3-master cluster the tests use, as host:port. */
    clusterNodes: string[];
    /** With KR_TEST_ACL_USER=1: the user the tests connect as, confined to the test prefixes. */
    aclUser: { user: string; password: string } | null;
  }
}

/**
 * The rules of the suite's ACL user: what aclRules(prefix) gives one application, widened to every
 * random test prefix (`t` + hex) — their keys and channels and the commands kickass-redis sends.
 */
export function suiteAclRules(): string[] {
  return ['resetkeys', 'resetchannels', '~{t*', '&t*', '-@all', ...REDIS_COMMANDS.map((c) => `+${c}`)];
}

async function createAclUser(ports: readonly number[]): Promise<{ user: string; password: string }> {
  const user = 'kr-suite';
  const password = randomBytes(12).toString('hex');
  for (const port of ports) {
    const reply = await rawCommand(port, ['ACL', 'SETUSER', user, 'on', `>${password}`, ...suiteAclRules()]);
    if (reply !== 'OK') throw new Error(`ACL SETUSER on port ${String(port)}: ${reply}`);
  }
  return { user, password };
}

/**
 * Starts one standalone redis-server and one 3-master Redis Cluster on free loopback ports for the
 * whole run (unless REDIS_URL / REDIS_CLUSTER_NODES point at servers to use instead) and always
 * stops them afterwards, whether tests passed or not.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started: { stop: () => Promise<void> }[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.allSettled(started.map((s) => s.stop()));
  };
  const asAclUser = process.env.KR_TEST_ACL_USER === '1';
  const ports: number[] = [];
  try {
    if (asAclUser && ((process.env.REDIS_URL ?? '') !== '' || (process.env.REDIS_CLUSTER_NODES ?? '') !== '')) {
      throw new Error('KR_TEST_ACL_USER=1 needs the servers the harness starts: unset REDIS_URL and REDIS_CLUSTER_NODES');
    }
    let redisUrl = process.env.REDIS_URL;
    if (redisUrl === undefined || redisUrl === '') {
      const server = await RedisServer.start();
      started.push(server);
      ports.push(server.port);
      redisUrl = server.url;
    }
    let clusterNodes = (process.env.REDIS_CLUSTER_NODES ?? '').split(',').filter((n) => n !== '');
    if (clusterNodes.length === 0) {
      const cluster = await RedisClusterServers.start(3, 0);
      started.push(cluster);
      ports.push(...cluster.nodes.map((n) => n.port));
      clusterNodes = cluster.seeds.map((s) => `${s.host}:${String(s.port)}`);
    }
    project.provide('redisUrl', redisUrl);
    project.provide('clusterNodes', clusterNodes);
    project.provide('aclUser', asAclUser ? await createAclUser(ports) : null);
  } catch (error) {
    await stopAll();
    throw error;
  }
  return stopAll;
}
