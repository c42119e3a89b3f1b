-- Reserves the next `count` ids of a block-reserving (hi/lo) generator in one INCRBY.
-- KEYS[1] counter: the generator's counter, the last id ever reserved (absent = start - 1)
-- ARGV[1] count: how many ids to reserve, an integer >= 1
-- ARGV[2] start: the first id the generator hands out (used when the counter is absent)
-- ARGV[3] max: the largest id that may ever be handed out (2^53 - 1 at most)
-- returns string: the last id of the reserved block in decimal (integer replies lose precision
-- near 2^53 in some clients); the block is [result - count + 1, result]
-- error E_ID_EXHAUSTED: the block would pass max; nothing is written
local count = tonumber(ARGV[1])
local max = tonumber(ARGV[3])
local stored = redis.call('GET', KEYS[1])
local current
if stored then
  current = tonumber(stored)
else
  current = tonumber(ARGV[2]) - 1
end
if current + count > max then
  return redis.error_reply('E_ID_EXHAUSTED last=' .. string.format('%.0f', current) .. ' count=' .. ARGV[1] .. ' max=' .. ARGV[3])
end
if not stored then
  redis.call('SET', KEYS[1], string.format('%.0f', current))
end
return string.format('%.0f', redis.call('INCRBY', KEYS[1], count))
