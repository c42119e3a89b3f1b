#!lua flags=no-writes
-- The best-scored suggestions of an autocomplete index starting with a folded prefix, or, fuzzy,
-- starting with a string at most one edit away from it (ties by folded text).
-- KEYS[1] scores: sorted set folded text -> score; the suggester's hash tag is its prefix
-- ARGV[1] prefix: the folded prefix
-- ARGV[2] limit: the most suggestions to return
-- ARGV[3] fuzzy: '1' to allow one edit in the prefix, '0' for an exact prefix
-- returns string[]: display text, score text, ... best first
-- @include _order.lua
-- @include _edits.lua
local base = string.match(KEYS[1], '^(.*):[^:]*$')
local prefix, limit = ARGV[1], tonumber(ARGV[2])
local candidates
if ARGV[3] == '1' then
  -- every entry whose start (one character shorter, as long, or one longer) is one edit away
  candidates = {}
  local want = utf8_chars(prefix)
  for _, folded in ipairs(redis.call('ZRANGE', base .. ':lex', 0, -1)) do
    local chars = utf8_chars(folded)
    for n = #want - 1, #want + 1 do
      if n >= 0 and n <= #chars and within_edits(want, { unpack(chars, 1, n) }, 1) then
        candidates[#candidates + 1] = folded
        break
      end
    end
  end
else
  candidates = redis.call('ZRANGEBYLEX', base .. ':lex', '[' .. prefix, '(' .. prefix .. '\255')
end
local items = {}
for at = 1, #candidates, 4000 do
  local chunk = { unpack(candidates, at, math.min(at + 3999, #candidates)) }
  for i, s in ipairs(redis.call('ZMSCORE', KEYS[1], unpack(chunk))) do
    if s then items[#items + 1] = { id = chunk[i], v = tonumber(s) } end
  end
end
local function before(x, y)
  if x.v ~= y.v then return x.v > y.v end
  return bcmp(x.id, y.id) < 0
end
local out = {}
local best = top(items, limit, before)
if #best > 0 then
  local texts = redis.call('HMGET', base .. ':text', unpack((function()
    local ids = {}
    for i, it in ipairs(best) do ids[i] = it.id end
    return ids
  end)()))
  for i, it in ipairs(best) do
    out[#out + 1] = texts[i] or it.id
    out[#out + 1] = string.format('%.17g', it.v)
  end
end
return out
