-- Extends a worker-id lease if the caller still holds it; records how far its ids may reach.
-- KEYS[1] leases: sorted set, member worker id, score lease expiry (server ms)
-- KEYS[2] tokens: hash, worker id -> holder token
-- KEYS[3] highWater: hash, worker id -> highest timestamp (ms) its holders may have used
-- ARGV[1] token: the holder's token
-- ARGV[2] workerId: the leased worker id
-- ARGV[3] ttl: new lease length in ms from now (server clock)
-- ARGV[4] highWater: highest timestamp (ms, client clock) the holder may use until the next renewal
-- returns integer: 1 when renewed, 0 when the lease is held by someone else (lost)
if redis.call('HGET', KEYS[2], ARGV[2]) ~= ARGV[1] then
  return 0
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[2])
local hw = tonumber(redis.call('HGET', KEYS[3], ARGV[2]) or '0')
if tonumber(ARGV[4]) > hw then
  redis.call('HSET', KEYS[3], ARGV[2], ARGV[4])
end
return 1
