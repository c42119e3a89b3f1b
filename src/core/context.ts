import type { RedisClient } from './connection.js';
import type { KeyBuilder } from './keys.js';
import type { ScriptRunner } from './script-runner.js';

/** What every component needs from a kickass instance: the client, the key builder and the script runner. */
export interface KickassContext {
  /** The ioredis client (standalone or cluster). */
  readonly client: RedisClient;
  /** Builds every key; holds the prefix. */
  readonly keys: KeyBuilder;
  /** Runs the Lua scripts of every component on `client`. */
  readonly scripts: ScriptRunner;
  /** True when `client` is a Redis Cluster. */
  readonly isCluster: boolean;
}
