import { validatePrefix } from './keys.js';

/**
 * Every Redis command kickass-redis sends: from its Lua scripts (checked by a test against the
 * scripts' source), from the client, and what ioredis sends to connect (HELLO, INFO for its ready
 * check, CLIENT SETNAME and CLUSTER SLOTS / SHARDS / INFO on a cluster).
 */
export const REDIS_COMMANDS: readonly string[] = Object.freeze([
  'bitcount', 'bitfield', 'bitop', 'del', 'eval', 'evalsha', 'exists', 'geoadd', 'geopos', 'geosearch', 'get', 'getbit',
  'hdel', 'hexists', 'hget', 'hgetall', 'hincrby', 'hkeys', 'hlen', 'hmget', 'hscan', 'hset', 'incr', 'incrby',
  'persist', 'pexpire', 'pexpireat', 'pexpiretime', 'pfadd', 'pfcount', 'pttl', 'publish', 'sadd', 'scan', 'scard',
  'set', 'setrange', 'sintercard', 'sismember', 'smembers', 'smismember', 'srem', 'sscan', 'subscribe', 'sunion',
  'time', 'type', 'unlink', 'unsubscribe', 'wait', 'zadd', 'zcard', 'zcount', 'zdiff', 'zincrby', 'zlexcount', 'zmscore',
  'zpopmax', 'zrange', 'zrangebylex', 'zrangebyscore', 'zrem', 'zremrangebyscore', 'zscan', 'zscore',
  'ping', 'quit', 'hello', 'info', 'client|setname', 'cluster|slots', 'cluster|shards', 'cluster|info',
]);

/**
 * The ACL rules that confine a Redis user to one kickass prefix: its keys (`~{prefix:*`), its
 * Pub/Sub channels (`&prefix:*`) and the commands in {@link REDIS_COMMANDS}, nothing else:
 * `ACL SETUSER app on >secret ${aclRules('app')}`.
 */
export function aclRules(prefix: string): string {
  validatePrefix(prefix);
  return ['resetkeys', 'resetchannels', `~{${prefix}:*`, `&${prefix}:*`, '-@all', ...REDIS_COMMANDS.map((c) => `+${c}`)].join(' ');
}
