#!lua flags=no-writes
-- The children of one node in one slot of a ranked resolution, ordered by one statistic: read off
-- the ranking when by sum, else every child of the ranking is read from the values hash and sorted.
-- KEYS[1] values: the values hash of the children's tag in the slot
-- KEYS[2] children: the ranking of the node's children by sum in the slot
-- ARGV[1] prefix: the field prefix of the node's children
-- ARGV[2] top: how many children
-- ARGV[3] order: the statistic to order by, 1 sum, 2 count, 3 min, 4 max
-- ARGV[4] direction: 'desc' (largest first) or 'asc'
-- returns unknown: { number of children with values in the slot, segments, their values ("sum count[ min max]") }
local prefix, top, order, desc = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4] == 'desc'
local CHUNK = 1000

local function read(segments)
  local out = {}
  for i = 1, #segments, CHUNK do
    local fields = {}
    for j = i, math.min(i + CHUNK - 1, #segments) do fields[#fields + 1] = prefix .. #segments[j] .. ':' .. segments[j] end
    local got = redis.call('HMGET', KEYS[1], unpack(fields))
    for j = 1, #got do out[i + j - 1] = got[j] end
  end
  return out
end

if order == 1 then
  local segments
  if desc then
    segments = redis.call('ZRANGE', KEYS[2], '+inf', '-inf', 'BYSCORE', 'REV', 'LIMIT', 0, top)
  else
    segments = redis.call('ZRANGE', KEYS[2], '-inf', '+inf', 'BYSCORE', 'LIMIT', 0, top)
  end
  return { redis.call('ZCARD', KEYS[2]), segments, read(segments) }
end

local all = redis.call('ZRANGE', KEYS[2], 0, -1)
local values = read(all)
local rows = {}
for i = 1, #all do
  local v = values[i]
  if v then
    local stats = {}
    for x in string.gmatch(v, '%S+') do stats[#stats + 1] = tonumber(x) end
    rows[#rows + 1] = { all[i], v, stats[order] }
  end
end
table.sort(rows, function(p, q)
  if p[3] ~= q[3] then
    if desc then return p[3] > q[3] end
    return p[3] < q[3]
  end
  if desc then return p[1] > q[1] end
  return p[1] < q[1]
end)
local segments, out = {}, {}
for i = 1, math.min(top, #rows) do
  segments[i] = rows[i][1]
  out[i] = rows[i][2]
end
return { #rows, segments, out }
