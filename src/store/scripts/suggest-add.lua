-- Adds suggestions to an autocomplete index, or raises their scores.
-- KEYS[1] scores: sorted set folded text -> score; the suggester's hash tag is its prefix
-- ARGV[1] mode: 'set' to replace scores, 'incr' to add to them
-- ARGV[2..] triples: folded text, display text, score
-- returns integer: the number of suggestions that were new
local base = string.match(KEYS[1], '^(.*):[^:]*$')
local lex, texts = base .. ':lex', base .. ':text'
local added = 0
for i = 2, #ARGV, 3 do
  local folded, text, score = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local new
  if ARGV[1] == 'incr' then
    new = redis.call('ZSCORE', KEYS[1], folded) == false
    redis.call('ZINCRBY', KEYS[1], score, folded)
  else
    new = redis.call('ZADD', KEYS[1], score, folded) == 1
  end
  if new then
    added = added + 1
    redis.call('ZADD', lex, 0, folded)
  end
  redis.call('HSET', texts, folded, text)
end
return added
