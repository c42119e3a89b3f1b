-- Inserts a batch of new objects of one partition whose index entries the caller computed (see
-- src/store/new-entries.ts); all or nothing: when an id exists or a unique value is taken,
-- nothing is written.
-- KEYS[1] ids: the partition's sorted set of ids (score 0); the partition's hash tag is its prefix
-- KEYS[2] expiry: the partition's sorted set of expiry times (ms) by id
-- KEYS[3..] entries: the objects' hashes and the index structures the entries go to
-- ARGV[1] spec: the model's index description (JSON), to clear an expired object in the way
-- ARGV[2] ttl: ms to live from now for every object, or ''
-- ARGV[3] count: the number of objects that follow, each as: id, the index in KEYS of its hash,
--   the number of fields n, then n (field, value) pairs. After the objects: the number of entry
--   groups, each as: kind (S = set members, Z = sorted set score/member pairs, U = unique hash
--   term/id pairs), the index in KEYS of the structure, the number of values m, then the m values
-- returns integer: the number of objects inserted
-- error E_EXISTS: an object with one of the ids exists (detail: its id)
-- error E_UNIQUE_VIOLATION: a unique value is taken (detail: constraint name and owner id)
-- @include _object.lua
local base = string.sub(KEYS[1], 1, -5)
local now = server_now()
local objects, ids = {}, {}
local at = 4
for i = 1, tonumber(ARGV[3]) do
  local n = tonumber(ARGV[at + 2])
  objects[i] = { id = ARGV[at], key = KEYS[tonumber(ARGV[at + 1])], from = at + 3, to = at + 2 + 2 * n }
  ids[i] = ARGV[at]
  at = at + 3 + 2 * n
end
local present = redis.call('ZMSCORE', KEYS[1], unpack(ids))
for i, score in ipairs(present) do
  if score then
    local o = objects[i]
    if not expired(KEYS[2], o.id, now) then return redis.error_reply('E_EXISTS ' .. o.id) end
    purge(base, cjson.decode(ARGV[1]), o.id, o.key, KEYS[1], KEYS[2])
  end
end

local groups = {}
local ngroups = tonumber(ARGV[at])
at = at + 1
for g = 1, ngroups do
  local m = tonumber(ARGV[at + 2])
  groups[g] = { kind = ARGV[at], key = KEYS[tonumber(ARGV[at + 1])], from = at + 3, to = at + 2 + m }
  at = at + 3 + m
end

local function call_range(command, key, from, to)
  local chunk = 2000 -- even, so pairs never split
  for i = from, to, chunk do
    local args = { command, key }
    for j = i, math.min(i + chunk - 1, to) do args[#args + 1] = ARGV[j] end
    redis.call(unpack(args))
  end
end

for _, g in ipairs(groups) do
  if g.kind == 'U' then
    local terms = {}
    for j = g.from, g.to, 2 do terms[#terms + 1] = ARGV[j] end
    local owners = redis.call('HMGET', g.key, unpack(terms))
    for _, owner in ipairs(owners) do
      if owner and expired(KEYS[2], owner, now) then
        purge(base, cjson.decode(ARGV[1]), owner, base .. ':h:' .. enc(owner), KEYS[1], KEYS[2])
      elseif owner then
        local name = string.match(g.key, ':uq:([^:]*)$')
        return redis.error_reply('E_UNIQUE_VIOLATION ' .. name .. ' ' .. owner)
      end
    end
  end
end

for _, o in ipairs(objects) do
  local args = { 'HSET', o.key, '$v', '1' }
  for j = o.from, o.to do args[#args + 1] = ARGV[j] end
  redis.call(unpack(args))
end
for _, g in ipairs(groups) do
  if g.to >= g.from then
    local command = g.kind == 'S' and 'SADD' or (g.kind == 'Z' and 'ZADD' or 'HSET')
    call_range(command, g.key, g.from, g.to)
  end
end
local pairs_ = {}
for _, o in ipairs(objects) do
  pairs_[#pairs_ + 1] = 0
  pairs_[#pairs_ + 1] = o.id
end
for i = 1, #pairs_, 2000 do
  redis.call('ZADD', KEYS[1], unpack(pairs_, i, math.min(i + 1999, #pairs_)))
end
if ARGV[2] ~= '' then
  local exp = {}
  for _, o in ipairs(objects) do
    exp[#exp + 1] = now + tonumber(ARGV[2])
    exp[#exp + 1] = o.id
  end
  for i = 1, #exp, 2000 do
    redis.call('ZADD', KEYS[2], unpack(exp, i, math.min(i + 1999, #exp)))
  end
end
return #objects
