-- Repairs the next batch of objects of one partition, in id order, in one atomic step: adds every
-- index entry the stored values of a live object call for that is missing, fixes wrong scores and
-- unique owners, drops ids without an object hash and sweeps objects past their expiry. Writes
-- before or after this call keep the entries right, since they move them from the stored state.
-- KEYS[1] ids: the partition's sorted set of ids (score 0); the partition's hash tag is its prefix
-- KEYS[2] expiry: the partition's sorted set of expiry times (ms) by id
-- ARGV[1] spec: the model's index description (JSON, see src/store/schema.ts)
-- ARGV[2] after: the last id of the previous batch, or '' to start at the first id
-- ARGV[3] limit: the most objects to repair
-- ARGV[4] folded: JSON array of [field, hidden field] pairs: a value needs that hidden field (`$t:<field>`
--   the folded term of a case-insensitive field, `$x:<field>` the entries of a plug-in index)
-- ARGV[5] uniques: JSON list of the unique constraints kept outside the partition, as
--   [name, [[field, flags], ...]] (models with several partitions), or '[]'
-- returns unknown[]: {last id repaired or '', objects walked, repairs, terms, unfolded}: each repair
--   is {kind, id, key, index, term, other, expected} like verify-objects.lua; terms is a flat list
--   of (id, unique constraint, term, token) of the constraints in `uniques`; unfolded a flat list of
--   (id, field, value, hidden field) of values without the hidden field they need
-- @include _object.lua
-- @include _entries.lua
local base = string.sub(KEYS[1], 1, -5)
local spec = cjson.decode(ARGV[1])
local folded = cjson.decode(ARGV[4])
local uniques = cjson.decode(ARGV[5])
local now = server_now()
local start = ARGV[2] == '' and '-' or '(' .. ARGV[2]
local ids = redis.call('ZRANGE', KEYS[1], start, '+', 'BYLEX', 'LIMIT', 0, tonumber(ARGV[3]))
local repairs, terms, unfolded = {}, {}, {}
local function report(kind, id, key, index, term, other, expected)
  repairs[#repairs + 1] = { kind, id, key, index, term, other, expected }
end

for _, id in ipairs(ids) do
  local key = base .. ':h:' .. enc(id)
  local obj = load_object(key)
  if obj == nil then
    -- (an id swept earlier in this call, as the expired holder of a unique value, is gone already)
    if redis.call('ZREM', KEYS[1], id) == 1 then
      redis.call('ZREM', KEYS[2], id)
      report('orphan-id', id, KEYS[1], '', '', '', '')
    end
  elseif expired(KEYS[2], id, now) then
    purge(base, spec, id, key, KEYS[1], KEYS[2])
    report('expired-object', id, key, '', '', '', '')
  else
    for _, h in ipairs(folded) do
      if obj[h[1]] ~= nil and obj[h[2]] == nil then
        unfolded[#unfolded + 1] = id
        unfolded[#unfolded + 1] = h[1]
        unfolded[#unfolded + 1] = obj[h[1]]
        unfolded[#unfolded + 1] = h[2]
      end
    end
    ensure_entries(base, spec, id, obj, KEYS[1], KEYS[2], now, report)
    push_unique_terms(terms, uniques, id, obj)
  end
end
return { ids[#ids] or '', #ids, repairs, terms, unfolded }
