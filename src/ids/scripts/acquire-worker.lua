-- Leases a free worker id for a time-ordered generator. Expiry uses the server clock (TIME), so
-- client clock skew cannot make two live leases overlap.
-- KEYS[1] leases: sorted set, member worker id, score lease expiry (server ms)
-- KEYS[2] tokens: hash, worker id -> holder token
-- KEYS[3] highWater: hash, worker id -> highest timestamp (ms) its holders may have used
-- ARGV[1] token: the new holder's random token
-- ARGV[2] ttl: lease length in ms
-- ARGV[3] maxWorkerId: worker ids are 0..maxWorkerId
-- ARGV[4] clientNow: the caller's clock in ms, to prefer ids whose high water has passed
-- ARGV[5] start: where to start looking (spreads concurrent acquirers)
-- returns integer[]: {workerId, highWater} on success, {-1, 0} when every id is leased
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
local max = tonumber(ARGV[3])
local clientNow = tonumber(ARGV[4])
local start = tonumber(ARGV[5])
local expired = redis.call('ZRANGE', KEYS[1], '-inf', now, 'BYSCORE')
for _, id in ipairs(expired) do
  redis.call('HDEL', KEYS[2], id)
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local fallback, fallbackHw = -1, 0
for i = 0, max do
  local id = (start + i) % (max + 1)
  if not redis.call('ZSCORE', KEYS[1], id) then
    local hw = tonumber(redis.call('HGET', KEYS[3], id) or '0')
    if hw < clientNow then
      fallback, fallbackHw = id, hw
      break
    end
    if fallback < 0 or hw < fallbackHw then
      fallback, fallbackHw = id, hw
    end
  end
end
if fallback < 0 then
  return {-1, 0}
end
redis.call('ZADD', KEYS[1], now + ttl, fallback)
redis.call('HSET', KEYS[2], fallback, ARGV[1])
local newHw = math.max(fallbackHw, clientNow + ttl)
redis.call('HSET', KEYS[3], fallback, string.format('%.0f', newHw))
return {fallback, fallbackHw}
