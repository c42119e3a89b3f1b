#!lua flags=no-writes
-- Answers a query whose whole filter is one index that lists exactly its matches (equality-set
-- terms, score ranges, unique-hash terms, or a geo area, optionally AND equality terms), unlimited
-- and unsorted, straight from that index:
-- no planner, no JSON, no object reads. Objects past their expiry (not yet swept) are left out.
-- KEYS[1] expiry: the partition's sorted set of expiry times (ms) by id
-- KEYS[2..] indexes: the equality sets of the terms; or the score index; or the unique hash; or the geo
--   set, then the equality sets every match must also be in
-- ARGV[1] kind: set | num | uq | geo
-- ARGV[2] mode: ids | count
-- ARGV[3] args: JSON array: num: [min, max, ...] ZRANGEBYSCORE bounds; uq: the terms; set: [];
--   geo: [lon, lat, radius] or [lon, lat, width, height] (meters)
-- returns unknown: ids mode: the matching ids (each once) joined by NUL, or as an array when an id
--   holds a NUL (one bulk string costs a client far less to read than many); count mode: their number
-- @include _geo.lua
local kind, mode = ARGV[1], ARGV[2]

local function reply_ids(list)
  local text = table.concat(list, '\0')
  local _, nuls = string.gsub(text, '%z', '')
  if nuls == #list - 1 then return text end
  return list
end
local args = cjson.decode(ARGV[3])

-- Ids in the expiry set whose time has come (usually none: writes and sweeps remove them).
local dead
if redis.call('ZCARD', KEYS[1]) > 0 then
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  local list = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
  if #list > 0 then
    dead = {}
    for _, id in ipairs(list) do dead[id] = true end
  end
end

local single = (kind == 'set' and #KEYS == 2) or (kind == 'num' and #args == 2)
if mode == 'count' and dead == nil and single then
  if kind == 'set' then return redis.call('SCARD', KEYS[2]) end
  return redis.call('ZCOUNT', KEYS[2], args[1], args[2])
end

local lists = {}
if kind == 'set' then
  if #KEYS == 2 then lists[1] = redis.call('SMEMBERS', KEYS[2]) else lists[1] = redis.call('SUNION', unpack(KEYS, 2)) end
elseif kind == 'num' then
  for i = 1, #args, 2 do lists[#lists + 1] = redis.call('ZRANGEBYSCORE', KEYS[2], args[i], args[i + 1]) end
elseif kind == 'geo' then
  local area = #args == 3 and { lon = args[1], lat = args[2], r = args[3] } or { lon = args[1], lat = args[2], w = args[3], h = args[4] }
  local ids = geo_area_ids(KEYS[2], area)
  for k = 3, #KEYS do
    local kept = {}
    for at = 1, #ids, 4000 do
      local chunk = { unpack(ids, at, math.min(at + 3999, #ids)) }
      for i, yes in ipairs(redis.call('SMISMEMBER', KEYS[k], unpack(chunk))) do
        if yes == 1 then kept[#kept + 1] = chunk[i] end
      end
    end
    ids = kept
  end
  lists[1] = ids
else
  local owners = redis.call('HMGET', KEYS[2], unpack(args))
  local found = {}
  for i = 1, #args do
    if owners[i] then found[#found + 1] = owners[i] end
  end
  lists[1] = found
end

if dead == nil and #lists == 1 and kind ~= 'uq' then
  if mode == 'count' then return #lists[1] end
  return reply_ids(lists[1])
end
local out, seen = {}, {}
for _, list in ipairs(lists) do
  for _, id in ipairs(list) do
    if not seen[id] and not (dead and dead[id]) then
      seen[id] = true
      out[#out + 1] = id
    end
  end
end
if mode == 'count' then return #out end
return reply_ids(out)
