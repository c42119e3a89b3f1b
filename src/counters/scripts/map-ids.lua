-- Maps ids to dense numbers of an id map: an id gets the map's next number the first time it is
-- seen (get-or-create, atomic), and its reverse entry is written with it; with create '0' an
-- unknown id gets -1 and nothing is written.
-- KEYS[1] next: the map's count of numbers handed out (string); the map's hash tag is its prefix
-- KEYS[2..] shards: the forward shard (hash: id -> number) of each id, in the order of the ids
-- ARGV[1] create: '1' to number unknown ids, '0' to look them up only
-- ARGV[2] max: the largest number the map may hand out
-- ARGV[3..] ids: the ids
-- returns integer[]: the number of each id (-1: unknown and not created)
-- error E_ID_MAP_FULL: the map has handed out every number up to max (detail: max)
local base = string.sub(KEYS[1], 1, -3)
local create, max = ARGV[1] == '1', tonumber(ARGV[2])
local out = {}
for i = 3, #ARGV do
  local id, shard = ARGV[i], KEYS[i - 1]
  local n = redis.call('HGET', shard, id)
  if n then
    out[#out + 1] = tonumber(n)
  elseif create then
    local next = tonumber(redis.call('GET', KEYS[1]) or '0')
    if next > max then return redis.error_reply('E_ID_MAP_FULL ' .. max) end
    redis.call('SET', KEYS[1], next + 1)
    redis.call('HSET', shard, id, next)
    redis.call('HSET', base .. ':r:' .. math.floor(next / 128), next % 128, id)
    out[#out + 1] = next
  else
    out[#out + 1] = -1
  end
end
return out
