-- Gives a worker-id lease back, recording the last timestamp actually used so the next holder
-- can start at once.
-- KEYS[1] leases: sorted set, member worker id, score lease expiry (server ms)
-- KEYS[2] tokens: hash, worker id -> holder token
-- KEYS[3] highWater: hash, worker id -> highest timestamp (ms) its holders may have used
-- ARGV[1] token: the holder's token
-- ARGV[2] workerId: the leased worker id
-- ARGV[3] lastUsed: the last timestamp (ms) the holder put in an id
-- returns integer: 1 when released, 0 when the lease was no longer held
if redis.call('HGET', KEYS[2], ARGV[2]) ~= ARGV[1] then
  return 0
end
redis.call('ZREM', KEYS[1], ARGV[2])
redis.call('HDEL', KEYS[2], ARGV[2])
redis.call('HSET', KEYS[3], ARGV[2], ARGV[3])
return 1
