-- Maps ids to dense numbers of an id map: an id gets the map's next number the first time it is
-- seen (get-or-create, atomic), and its reverse entry is written with it; with create '0' an
-- unknown id gets -1 and nothing is written. Ids come grouped by forward shard: one HMGET and at
-- most one HSET per shard, one HSET per reverse chunk of 128 numbers.
-- KEYS[1] next: the map's count of numbers handed out (string); the map's hash tag is its prefix
-- KEYS[2..] shards: the forward shards (hash: id -> number) of the groups, in order
-- ARGV[1] create: '1' to number unknown ids, '0' to look them up only
-- ARGV[2] max: the largest number the map may hand out
-- ARGV[3..] groups: per shard, the number of its ids, then the ids
-- returns integer[]: the number of each id, in the order sent (-1: unknown and not created)
-- error E_ID_MAP_FULL: the map has handed out every number up to max (detail: max)
local base = string.sub(KEYS[1], 1, -3)
local create, max = ARGV[1] == '1', tonumber(ARGV[2])
local next = tonumber(redis.call('GET', KEYS[1]) or '0')
local first = next
local out, given = {}, {}
local at = 3
for k = 2, #KEYS do
  local n = tonumber(ARGV[at])
  local ids = { unpack(ARGV, at + 1, at + n) }
  at = at + n + 1
  local found = redis.call('HMGET', KEYS[k], unpack(ids))
  local writes = {}
  for j = 1, n do
    local v = found[j]
    if v then
      out[#out + 1] = tonumber(v)
    elseif create then
      if next > max then return redis.error_reply('E_ID_MAP_FULL ' .. max) end
      writes[#writes + 1] = ids[j]
      writes[#writes + 1] = next
      given[#given + 1] = ids[j]
      out[#out + 1] = next
      next = next + 1
    else
      out[#out + 1] = -1
    end
  end
  if #writes > 0 then redis.call('HSET', KEYS[k], unpack(writes)) end
end
-- the numbers handed out are consecutive: their reverse entries go chunk by chunk
local i = 1
while i <= #given do
  local n = first + i - 1
  local chunk = math.floor(n / 128)
  local args = {}
  while i <= #given and math.floor((first + i - 1) / 128) == chunk do
    args[#args + 1] = (first + i - 1) % 128
    args[#args + 1] = given[i]
    i = i + 1
  end
  redis.call('HSET', base .. ':r:' .. chunk, unpack(args))
end
if next > first then redis.call('SET', KEYS[1], next) end
return out
