import type { TestProject } from 'vitest/node';
import { RedisClusterServers, RedisServer } from '../../harness/redis-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the standalone server the tests use. */
    redisUrl: string;
    /** Seed nodes of the 3-master cluster the tests use, as host:port. */
    clusterNodes: string[];
  }
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
  try {
    let redisUrl = process.env.REDIS_URL;
    if (redisUrl === undefined || redisUrl === '') {
      const server = await RedisServer.start();
      started.push(server);
      redisUrl = server.url;
    }
    let clusterNodes = (process.env.REDIS_CLUSTER_NODES ?? '').split(',').filter((n) => n !== '');
    if (clusterNodes.length === 0) {
      const cluster = await RedisClusterServers.start(3, 0);
      started.push(cluster);
      clusterNodes = cluster.seeds.map((s) => `${s.host}:${String(s.port)}`);
    }
    project.provide('redisUrl', redisUrl);
    project.provide('clusterNodes', clusterNodes);
  } catch (error) {
    await stopAll();
    throw error;
  }
  return stopAll;
}
