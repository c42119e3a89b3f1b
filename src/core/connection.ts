import { Cluster, Redis } from 'ioredis';
import type { ClusterOptions, RedisOptions } from 'ioredis';
import { InvalidArgumentError } from './errors.js';

/** A connected ioredis client: one server or a cluster. */
export type RedisClient = Redis | Cluster;

/** Host and port of one cluster seed node. */
export interface ClusterSeed {
  /** Host name or IP. */
  host: string;
  /** TCP port. */
  port: number;
}

/** Explicit cluster connection settings. */
export interface ClusterConnectionOptions {
  /** Seed nodes; the rest of the cluster is discovered. */
  cluster: readonly ClusterSeed[];
  /** ioredis cluster options (redisOptions applies to every node). */
  options?: ClusterOptions;
}

/**
 * How to reach Redis: a URL (`redis://`, `rediss://`, or the cluster form
 * `redis+cluster://host:port,host:port` / `rediss+cluster://...`), ioredis options, cluster
 * settings, or an existing ioredis `Redis` / `Cluster` (which the caller keeps owning).
 */
export type ConnectionInput = string | RedisOptions | ClusterConnectionOptions | RedisClient;

/** An opened connection and whether kickass created it (and so must close it). */
export interface OpenedConnection {
  /** The client. */
  client: RedisClient;
  /** True when kickass created the client and closes it on `close()`. */
  owned: boolean;
  /** True for Redis Cluster. */
  isCluster: boolean;
}

function isClient(input: unknown): input is RedisClient {
  return (
    typeof input === 'object' &&
    input !== null &&
    typeof (input as { defineCommand?: unknown }).defineCommand === 'function' &&
    typeof (input as { sendCommand?: unknown }).sendCommand === 'function'
  );
}

/** True when the client is an ioredis Cluster. */
export function isClusterClient(client: RedisClient): client is Cluster {
  return (client as { isCluster?: boolean }).isCluster === true;
}

function parseClusterUrl(url: string): ClusterConnectionOptions {
  const match = /^(rediss?)\+cluster:\/\/(?:([^@/]*)@)?([^/?#]+)\/?(?:\?.*)?$/.exec(url);
  if (!match) throw new InvalidArgumentError('connection', 'cluster URL must look like redis+cluster://host:port,host:port');
  const [, scheme, auth, hosts] = match;
  const seeds = (hosts ?? '').split(',').map((hostPort) => {
    const at = hostPort.lastIndexOf(':');
    const host = at > 0 ? hostPort.slice(0, at).replace(/^\[|\]$/g, '') : hostPort;
    const port = at > 0 ? Number(hostPort.slice(at + 1)) : 6379;
    if (host === '' || !Number.isInteger(port) || port < 1 || port > 65535) {
      throw new InvalidArgumentError('connection', `bad cluster node "${hostPort}"`);
    }
    return { host, port };
  });
  const redisOptions: RedisOptions = {};
  if (auth !== undefined && auth !== '') {
    const colon = auth.indexOf(':');
    const user = colon >= 0 ? decodeURIComponent(auth.slice(0, colon)) : '';
    const password = decodeURIComponent(colon >= 0 ? auth.slice(colon + 1) : auth);
    if (user !== '') redisOptions.username = user;
    redisOptions.password = password;
  }
  if (scheme === 'rediss') redisOptions.tls = {};
  return { cluster: seeds, options: { redisOptions } };
}

/** Opens (or adopts) a client from any {@link ConnectionInput}. */
export function openConnection(input: ConnectionInput | undefined): OpenedConnection {
  if (isClient(input)) return { client: input, owned: false, isCluster: isClusterClient(input) };
  const resolved = input ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  if (typeof resolved === 'string') {
    if (/^rediss?\+cluster:/.test(resolved)) return openConnection(parseClusterUrl(resolved));
    if (!/^rediss?:\/\//.test(resolved)) {
      throw new InvalidArgumentError('connection', 'URL must start with redis://, rediss://, redis+cluster:// or rediss+cluster://');
    }
    return { client: new Redis(resolved), owned: true, isCluster: false };
  }
  if ('cluster' in resolved) {
    if (resolved.cluster.length === 0) {
      throw new InvalidArgumentError('connection.cluster', 'needs at least one seed node');
    }
    const client = new Cluster([...resolved.cluster], resolved.options);
    return { client, owned: true, isCluster: true };
  }
  return { client: new Redis(resolved), owned: true, isCluster: false };
}

function settle(client: RedisClient, events: readonly string[], timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(done, timeoutMs);
    timer.unref();
    function done(): void {
      clearTimeout(timer);
      for (const event of events) client.off(event, done);
      resolve();
    }
    for (const event of events) client.once(event, done);
  });
}

function statusOf(client: RedisClient): string {
  return client.status;
}

/** Closes a client gracefully (QUIT) and resolves once it has ended; disconnects when QUIT cannot be sent. */
export async function closeClient(client: RedisClient, timeoutMs = 5000): Promise<void> {
  if (client.status === 'end') return;
  if (client.status === 'connecting' || client.status === 'connect') {
    // ioredis Cluster never finishes a disconnect begun while it is still connecting: let it settle.
    await settle(client, ['ready', 'end'], timeoutMs);
  }
  const ended = settle(client, ['end'], timeoutMs);
  if (client.status === 'ready') {
    try {
      await client.quit();
    } catch {
      client.disconnect();
    }
  } else {
    client.disconnect();
  }
  if (statusOf(client) !== 'end') await ended;
}

/** The masters of a cluster, or the single server, for keyless work (SCAN, SCRIPT FLUSH, stats); a cluster client knows none until it is ready. */
export function masterNodes(client: RedisClient): Redis[] {
  return isClusterClient(client) ? client.nodes('master') : [client];
}

/** Like {@link masterNodes}, after waiting for a cluster client to connect and load its slot map. */
export async function readyMasterNodes(client: RedisClient): Promise<Redis[]> {
  if (isClusterClient(client) && client.status !== 'ready') await client.ping();
  return masterNodes(client);
}
