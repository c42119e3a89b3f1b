import { isClusterClient, readyMasterNodes } from './connection.js';
import type { RedisClient } from './connection.js';
import { ConnectionError, InvalidArgumentError, KickassError } from './errors.js';

/** How many replicas must confirm writes, and how long to wait for them. */
export interface ReplicaWait {
  /** Replicas that must hold the writes. */
  replicas: number;
  /** Longest wait in milliseconds (Redis `WAIT` timeout; 0 waits forever, so it is refused). */
  timeoutMs: number;
}

/** Fewer replicas than asked confirmed the writes in time: they may be lost if their master fails now. */
export class ReplicationTimeoutError extends KickassError {
  /** Replicas asked for. */
  readonly replicas: number;
  /** Replicas that confirmed (the lowest over the masters asked). */
  readonly acknowledged: number;

  constructor(replicas: number, acknowledged: number) {
    super('E_REPLICATION_TIMEOUT', `${String(acknowledged)} of ${String(replicas)} replicas confirmed the writes in time`, { context: { replicas, acknowledged } });
    this.replicas = replicas;
    this.acknowledged = acknowledged;
  }
}

/** Checks a {@link ReplicaWait} (the field named `field`). */
export function checkReplicaWait(field: string, wait: ReplicaWait): ReplicaWait {
  const given: unknown = wait;
  if (typeof given !== 'object' || given === null) throw new InvalidArgumentError(field, 'must be an object { replicas, timeoutMs }');
  const { replicas, timeoutMs } = wait;
  if (!Number.isSafeInteger(replicas) || replicas < 1 || replicas > 1000) throw new InvalidArgumentError(`${field}.replicas`, 'must be an integer from 1 to 1000');
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 3_600_000) throw new InvalidArgumentError(`${field}.timeoutMs`, 'must be an integer from 1 to 3600000');
  return { replicas, timeoutMs };
}

function waitFailed(error: unknown): ConnectionError {
  return new ConnectionError(`WAIT failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}

async function waitOn(node: { call: (...args: string[]) => Promise<unknown> }, wait: ReplicaWait): Promise<number> {
  try {
    return Number(await node.call('WAIT', String(wait.replicas), String(wait.timeoutMs)));
  } catch (error) {
    throw waitFailed(error);
  }
}

function settle(acknowledged: number, wait: ReplicaWait): number {
  if (acknowledged < wait.replicas) throw new ReplicationTimeoutError(wait.replicas, acknowledged);
  return acknowledged;
}

/**
 * Waits until `replicas` replicas of every master hold every write made so far through `client`
 * (Redis `WAIT` on each master's connection, which is the one those writes went through).
 * Resolves with the lowest count; throws {@link ReplicationTimeoutError} when it is short.
 */
export async function waitForReplicas(client: RedisClient, wait: ReplicaWait): Promise<number> {
  const checked = checkReplicaWait('wait', wait);
  const masters = await readyMasterNodes(client).catch((error: unknown) => {
    throw waitFailed(error);
  });
  const counts = await Promise.all(masters.map((node) => waitOn(node, checked)));
  return settle(Math.min(...counts), checked);
}

/**
 * Like {@link waitForReplicas}, for the one master that holds `key`: a `WAIT` pipelined behind a
 * command on that key goes down the connection the key's writes went through.
 */
export async function waitForReplicasOf(client: RedisClient, key: string, wait: ReplicaWait): Promise<number> {
  if (!isClusterClient(client)) return settle(await waitOn(client, wait), wait);
  let replies: [Error | null, unknown][] | null;
  try {
    replies = await client.pipeline().exists(key).call('WAIT', String(wait.replicas), String(wait.timeoutMs)).exec();
  } catch (error) {
    throw waitFailed(error);
  }
  const [, reply] = replies ?? [];
  if (reply === undefined || reply[0] !== null) throw waitFailed(reply?.[0] ?? 'no reply');
  return settle(Number(reply[1]), wait);
}
