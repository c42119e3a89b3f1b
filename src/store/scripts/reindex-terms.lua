-- Stores the hidden field a value lacks: the folded term of a field that became case-insensitive,
-- the plug-in index entries of a field that got a plug-in index, or the token stream of a field that
-- became a text field (indexed here, with its dictionary and statistics), after the objects were written
-- (the caller computes them with the library's rules), only where the value is still the one the
-- caller used, then adds the index entries they call for. A write in between stores the hidden
-- field itself, so nothing it wrote is undone.
-- KEYS[1] ids: the partition's sorted set of ids (score 0); the partition's hash tag is its prefix
-- KEYS[2] expiry: the partition's sorted set of expiry times (ms) by id
-- ARGV[1] spec: the model's index description (JSON, see src/store/schema.ts)
-- ARGV[2] uniques: JSON list of the unique constraints kept outside the partition, or '[]'
-- ARGV[3] count: the number of (id, field, value, hidden field, hidden value) quintuples that follow
-- returns unknown[]: {repairs, terms} like reindex-objects.lua
-- @include _object.lua
-- @include _entries.lua
local base = string.sub(KEYS[1], 1, -5)
local spec = cjson.decode(ARGV[1])
local uniques = cjson.decode(ARGV[2])
local now = server_now()
local repairs, terms = {}, {}
local function report(kind, id, key, index, term, other, expected)
  repairs[#repairs + 1] = { kind, id, key, index, term, other, expected }
end

local touched, order = {}, {}
for i = 4, 3 + 5 * tonumber(ARGV[3]), 5 do
  local id, field, value, hidden, term = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
  local key = base .. ':h:' .. enc(id)
  local obj = touched[id] or load_object(key)
  if obj ~= nil and not expired(KEYS[2], id, now) and obj[field] == value and obj[hidden] == nil then
    redis.call('HSET', key, hidden, term)
    obj[hidden] = term
    if string.sub(hidden, 1, 3) == '$w:' then text_update(base, field, id, nil, term) end
    report('missing-term', id, key, field, term, '', '')
    if touched[id] == nil then order[#order + 1] = id end
    touched[id] = obj
  end
end
for _, id in ipairs(order) do
  local obj = touched[id]
  ensure_entries(base, spec, id, obj, KEYS[1], KEYS[2], now, report)
  push_unique_terms(terms, uniques, id, obj)
end
return { repairs, terms }
