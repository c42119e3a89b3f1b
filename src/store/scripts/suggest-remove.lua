-- Removes suggestions from an autocomplete index.
-- KEYS[1] scores: sorted set folded text -> score; the suggester's hash tag is its prefix
-- ARGV[1..] folded: the folded texts to remove
-- returns integer: the number removed
local base = string.match(KEYS[1], '^(.*):[^:]*$')
local removed = redis.call('ZREM', KEYS[1], unpack(ARGV))
redis.call('ZREM', base .. ':lex', unpack(ARGV))
redis.call('HDEL', base .. ':text', unpack(ARGV))
return removed
