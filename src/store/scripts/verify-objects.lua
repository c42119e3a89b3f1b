#!lua flags=no-writes
-- Checks the next batch of objects of one partition, in id order: every index entry the stored
-- values of a live object call for must exist, with the right score and unique owner; ids without
-- an object hash, objects past their expiry and case-insensitive values without their folded term
-- are reported too. Read-only, so the batch is one consistent snapshot.
-- KEYS[1] ids: the partition's sorted set of ids (score 0); the partition's hash tag is its prefix
-- KEYS[2] expiry: the partition's sorted set of expiry times (ms) by id
-- ARGV[1] spec: the model's index description (JSON, see src/store/schema.ts)
-- ARGV[2] after: the last id of the previous batch, or '' to start at the first id
-- ARGV[3] limit: the most objects to check
-- ARGV[4] folded: JSON array of [field, hidden field] pairs: a value needs that hidden field (`$t:<field>`
--   the folded term of a case-insensitive field, `$x:<field>` the entries of a plug-in index)
-- ARGV[5] uniques: JSON list of the unique constraints kept outside the partition, as
--   [name, [[field, flags], ...]] (models with several partitions), or '[]'
-- returns unknown[]: {last id checked or '', objects checked, problems, terms}: each problem is
--   {kind, id, key, index, term, other (owner id or actual score), expected score}; terms is a
--   flat list of (id, unique constraint, term, token) of the constraints in `uniques`
-- @include _object.lua
-- @include _entries.lua
local base = string.sub(KEYS[1], 1, -5)
local spec = cjson.decode(ARGV[1])
local folded = cjson.decode(ARGV[4])
local uniques = cjson.decode(ARGV[5])
local now = server_now()
local start = ARGV[2] == '' and '-' or '(' .. ARGV[2]
local ids = redis.call('ZRANGE', KEYS[1], start, '+', 'BYLEX', 'LIMIT', 0, tonumber(ARGV[3]))
local problems, terms = {}, {}
local function add(kind, id, key, index, term, other, expected)
  problems[#problems + 1] = { kind, id, key, index, term, other, expected }
end

for _, id in ipairs(ids) do
  local key = base .. ':h:' .. enc(id)
  local obj = load_object(key)
  if obj == nil then
    add('orphan-id', id, KEYS[1], '', '', '', '')
  elseif expired(KEYS[2], id, now) then
    add('expired-object', id, key, '', '', '', '')
  else
    for _, h in ipairs(folded) do
      if obj[h[1]] ~= nil and obj[h[2]] == nil then add('missing-term', id, key, h[1], '', '', '') end
    end
    for _, e in ipairs(expected_entries(base, spec, id, obj)) do
      local kind, ekey, member, score, index, term = e[1], e[2], e[3], e[4], e[5], e[6]
      if kind == 'S' then
        if redis.call('SISMEMBER', ekey, member) == 0 then add('missing-entry', id, ekey, index, term, '', '') end
      elseif kind == 'Z' then
        local s = redis.call('ZSCORE', ekey, member)
        if not s then
          add('missing-entry', id, ekey, index, term, '', '')
        elseif tonumber(s) ~= score then
          add('wrong-score', id, ekey, index, term, s, score_text(score))
        end
      else
        local owner = redis.call('HGET', ekey, member)
        if not owner then
          add('missing-entry', id, ekey, index, term, '', '')
        elseif owner ~= id then
          local other = load_object(base .. ':h:' .. enc(owner))
          if other ~= nil and unique_term(other, e[7]) == member and not expired(KEYS[2], owner, now) then
            add('duplicate-unique', id, ekey, index, term, owner, '')
          else
            add('wrong-unique-owner', id, ekey, index, term, owner, '')
          end
        end
      end
    end
    push_unique_terms(terms, uniques, id, obj)
  end
end
return { ids[#ids] or '', #ids, problems, terms }
