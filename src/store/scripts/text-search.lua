#!lua flags=no-writes
-- Answers a full-text query on one partition of a standalone text index: the matches, ranked by
-- BM25 score (highest first, ties by id), after a cursor, at most k of them, and their number.
-- KEYS[1] docs: the partition's hash of document records (see _documents.lua); the partition's hash tag is its prefix
-- ARGV[1] fields: JSON list of the index's field names, in record order
-- ARGV[2] text: the compiled text query as JSON (see _text.lua)
-- ARGV[3] k: the most hits to return (-1 for all, 0 to count only)
-- ARGV[4] cursor: JSON {i = id, v = score text} of the last hit seen, or ''
-- ARGV[5] source: '1' to return the stored source of each hit, '0' not to
-- ARGV[6] total: '1' to count every match, '0' to rank the top k only (then faster, see text_top)
-- returns unknown[]: {number of matches or -1 when not counted, JSON [[id, score text, source JSON or false], ...]}
-- error E_QUERY_TOO_BROAD: a prefix or fuzzy word stands for too many terms (detail: leaf, limit)
-- @include _object.lua
-- @include _documents.lua
-- @include _order.lua
-- @include _edits.lua
-- @include _text.lua
local base = string.match(KEYS[1], '^(.*):[^:]*$')
local fields = cjson.decode(ARGV[1])
local X = cjson.decode(ARGV[2])
local K = tonumber(ARGV[3])
local slot_of = {}
for i, f in ipairs(fields) do slot_of[f] = i end

local function stream_of(id, f)
  return record_streams(redis.call('HGET', KEYS[1], id), #fields)[slot_of[f]]
end
local function universe(cand)
  local all = {}
  for _, id in ipairs(cand or redis.call('HKEYS', KEYS[1])) do all[id] = 0 end
  return all
end

local function before(x, y)
  if x.v ~= y.v then return x.v > y.v end
  return bcmp(x.id, y.id) < 0
end
local cur
if ARGV[4] ~= '' then
  local c = cjson.decode(ARGV[4])
  cur = { id = c.i, v = tonumber(c.v) }
end

local size = redis.call('HLEN', KEYS[1])
local total, best = -1, nil
local engine = text_engine(base, X, stream_of, universe, size)
if ARGV[6] == '0' and K > 0 then
  best = text_top(engine, K, function() return true end, before, cur)
end
if best == nil then
  local items = {}
  total = 0
  for id, score in pairs(engine.hits()) do
    total = total + 1
    local it = { id = id, v = score }
    if cur == nil or before(cur, it) then items[#items + 1] = it end
  end
  best = K ~= 0 and top(items, K, before) or {}
end
local list = {}
if K ~= 0 then
  for n, it in ipairs(best) do
    local source = false
    if ARGV[5] == '1' then source = redis.call('HGET', base .. ':src', it.id) end
    list[n] = { it.id, string.format('%.17g', it.v), source }
  end
end
return { total, #list > 0 and cjson.encode(list) or '[]' }
