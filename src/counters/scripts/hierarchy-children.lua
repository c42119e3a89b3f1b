#!lua flags=no-writes
-- The children of one node in one slot, ordered by one statistic, with every statistic of each.
-- KEYS[1] order: the sorted set to order by (one of the statistics' sets)
-- KEYS[2..] stats: the statistics' sorted sets (sum, count[, min, max])
-- ARGV[1] top: how many children
-- ARGV[2] direction: 'desc' (largest first) or 'asc'
-- returns unknown: { number of children, members, then per statistic its scores (false where missing) }
local top = tonumber(ARGV[1])
local members
if ARGV[2] == 'desc' then
  members = redis.call('ZRANGE', KEYS[1], '+inf', '-inf', 'BYSCORE', 'REV', 'LIMIT', 0, top)
else
  members = redis.call('ZRANGE', KEYS[1], '-inf', '+inf', 'BYSCORE', 'LIMIT', 0, top)
end
local out = { redis.call('ZCARD', KEYS[1]), members }
for i = 2, #KEYS do
  if #members == 0 then out[#out + 1] = {} else out[#out + 1] = redis.call('ZMSCORE', KEYS[i], unpack(members)) end
end
return out
