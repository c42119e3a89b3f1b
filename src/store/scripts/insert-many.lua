-- Inserts a batch of new objects of one partition whose index entries the caller computed (see
-- src/store/new-entries.ts); all or nothing: when an id exists or a unique value is taken,
-- nothing is written. The batch travels as one JSON argument: a client spends far less on one
-- long argument than on thousands of short ones, and cjson decodes it in C. Object and index keys
-- are named in it, all built from this partition's tag (so in the slot of KEYS[1]).
-- KEYS[1] ids: the partition's sorted set of ids (score 0); the partition's hash tag is its prefix
-- KEYS[2] expiry: the partition's sorted set of expiry times (ms) by id
-- ARGV[1] spec: the model's index description (JSON), to clear an expired object in the way
-- ARGV[2] ttl: ms to live from now for every object, or ''
-- ARGV[3] batch: JSON {o: [[id, hash key, [field, value, ...]], ...], g: [[kind, key, [values]], ...]}
--   with entry group kinds S (set members), Z (score, member pairs), L (term, id pairs of a lexical
--   index: member lexm(term, id), score 0) and U (unique hash term, id pairs); text fields are indexed
--   here from their token streams (`$w:<field>`, see text_stage in _object.lua)
-- returns integer: the number of objects inserted
-- error E_EXISTS: an object with one of the ids exists (detail: its id)
-- error E_UNIQUE_VIOLATION: a unique value is taken (detail: constraint name and owner id)
-- @include _object.lua
local base = string.sub(KEYS[1], 1, -5)
local now = server_now()
local batch = cjson.decode(ARGV[3])
local objects, groups = batch.o, batch.g
local ids = {}
for i, o in ipairs(objects) do ids[i] = o[1] end
local present = redis.call('ZMSCORE', KEYS[1], unpack(ids))
for i, score in ipairs(present) do
  if score then
    local o = objects[i]
    if not expired(KEYS[2], o[1], now) then return redis.error_reply('E_EXISTS ' .. o[1]) end
    purge(base, cjson.decode(ARGV[1]), o[1], o[2], KEYS[1], KEYS[2])
  end
end

for _, g in ipairs(groups) do
  if g[1] == 'U' then
    local terms = {}
    for j = 1, #g[3], 2 do terms[#terms + 1] = g[3][j] end
    local owners = redis.call('HMGET', g[2], unpack(terms))
    for _, owner in ipairs(owners) do
      if owner and expired(KEYS[2], owner, now) then
        purge(base, cjson.decode(ARGV[1]), owner, base .. ':h:' .. enc(owner), KEYS[1], KEYS[2])
      elseif owner then
        local name = string.match(g[2], ':uq:([^:]*)$')
        return redis.error_reply('E_UNIQUE_VIOLATION ' .. name .. ' ' .. owner)
      end
    end
  end
end

local texts = cjson.decode(ARGV[1]).t
local texts_batch = text_batch(base)
for _, o in ipairs(objects) do
  redis.call('HSET', o[2], '$v', '1', unpack(o[3]))
  if #texts > 0 then
    local flat, streams = o[3], {}
    for j = 1, #flat, 2 do streams[flat[j]] = flat[j + 1] end
    for _, name in ipairs(texts) do text_stage(texts_batch, name, o[1], nil, streams['$w:' .. name]) end
  end
end
text_commit(texts_batch)
for _, g in ipairs(groups) do
  local kind, values = g[1], g[3]
  if kind == 'L' then
    local members = {}
    for j = 1, #values, 2 do
      members[#members + 1] = 0
      members[#members + 1] = lexm(values[j], values[j + 1])
    end
    values = members
  end
  if #values > 0 then
    call_chunked(kind == 'S' and 'SADD' or ((kind == 'Z' or kind == 'L') and 'ZADD' or 'HSET'), g[2], values)
  end
end
local pairs_ = {}
for _, id in ipairs(ids) do
  pairs_[#pairs_ + 1] = 0
  pairs_[#pairs_ + 1] = id
end
call_chunked('ZADD', KEYS[1], pairs_)
if ARGV[2] ~= '' then
  local exp = {}
  for _, id in ipairs(ids) do
    exp[#exp + 1] = now + tonumber(ARGV[2])
    exp[#exp + 1] = id
  end
  call_chunked('ZADD', KEYS[2], exp)
end
return #objects
