-- Writes one entry of a cache: a load's value, when the load still holds its lease and none of its
-- tags was invalidated since its read (else nothing is written, the lease goes and waiters are
-- told to read again); or a plain set, which also cancels the loads in flight (their lease goes).
-- The entry is "A<soft expiry ms>|<tag count>|<tag bytes>:<tag> <version>|...\n<payload>", kept
-- for ttl + grace ms. ARGV after the named ones: per tag, the tag and the version the load read
-- ('' for a plain set: the current one).
-- KEYS[1] tags: the partition's hash of tag versions
-- KEYS[2] entry: the entry's key
-- KEYS[3] lease: the entry's lease key
-- ARGV[1] token: the load's lease token ('' for a plain set)
-- ARGV[2] ttl: ms until the entry is stale
-- ARGV[3] grace: ms it is kept after that
-- ARGV[4] channel: the cache's bus
-- ARGV[5] written: the message published when written
-- ARGV[6] released: the message published when a load's value is not written
-- ARGV[7] payload: the serialized value
-- ARGV[8] count: the number of tags
-- returns integer: 1 written, 0 the load's lease was lost (taken over or cancelled), -1 one of the load's tags was invalidated since its read
local token, count = ARGV[1], tonumber(ARGV[8])
if token ~= '' and redis.call('GET', KEYS[3]) ~= token then return 0 end
local parts = {}
if count > 0 then
  local tags = {}
  for i = 1, count do tags[i] = ARGV[7 + 2 * i] end
  local current = redis.call('HMGET', KEYS[1], unpack(tags))
  for i = 1, count do
    local version = current[i] or '0'
    if token ~= '' and ARGV[8 + 2 * i] ~= version then
      redis.call('DEL', KEYS[3])
      redis.call('PUBLISH', ARGV[4], ARGV[6])
      return -1
    end
    parts[i] = #tags[i] .. ':' .. tags[i] .. ' ' .. version .. '|'
  end
end
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local ttl = tonumber(ARGV[2])
local header = 'A' .. string.format('%.0f', now + ttl) .. '|' .. count .. '|' .. table.concat(parts) .. '\n'
redis.call('SET', KEYS[2], header .. ARGV[7], 'PX', ttl + tonumber(ARGV[3]))
redis.call('DEL', KEYS[3])
redis.call('PUBLISH', ARGV[4], ARGV[5])
return 1
