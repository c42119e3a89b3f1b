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
-- look every id up, one HMGET per shard
local by_shard, order = {}, {}
for i = 3, #ARGV do
  local shard = KEYS[i - 1]
  local list = by_shard[shard]
  if list == nil then
    list = {}
    by_shard[shard] = list
    order[#order + 1] = shard
  end
  list[#list + 1] = i
end
local out = {}
for _, shard in ipairs(order) do
  local list = by_shard[shard]
  local ids = {}
  for j, i in ipairs(list) do ids[j] = ARGV[i] end
  for j, n in ipairs(redis.call('HMGET', shard, unpack(ids))) do out[list[j] - 2] = n and tonumber(n) or false end
end
-- number the unknown ones in the order given, written one HSET per shard and per reverse chunk
local next = tonumber(redis.call('GET', KEYS[1]) or '0')
local forward, reverse, touched = {}, {}, {}
for i = 3, #ARGV do
  if out[i - 2] == false then
    if not create then
      out[i - 2] = -1
    else
      if next > max then return redis.error_reply('E_ID_MAP_FULL ' .. max) end
      local shard = KEYS[i - 1]
      local f = forward[shard]
      if f == nil then
        f = {}
        forward[shard] = f
      end
      f[#f + 1] = ARGV[i]
      f[#f + 1] = next
      local chunk = base .. ':r:' .. math.floor(next / 128)
      local r = reverse[chunk]
      if r == nil then
        r = {}
        reverse[chunk] = r
        touched[#touched + 1] = chunk
      end
      r[#r + 1] = next % 128
      r[#r + 1] = ARGV[i]
      out[i - 2] = next
      next = next + 1
    end
  end
end
for shard, pairs_ in pairs(forward) do redis.call('HSET', shard, unpack(pairs_)) end
for _, chunk in ipairs(touched) do redis.call('HSET', chunk, unpack(reverse[chunk])) end
if #touched > 0 then redis.call('SET', KEYS[1], next) end
return out
