-- Applies a batch of stamped full-object writes and deletes to one partition: a change is applied
-- only when its stamp is newer than the object's (`$s`) or, for an id without an object, than the
-- delete that removed it (a tombstone). Replaying changes already applied, or applying a row's
-- changes out of order, therefore leaves every object as its newest change made it: this is how a
-- sync's changes apply exactly once even when a restart repeats some. Unique values are not checked
-- (the source enforces them): each write takes the values it sets and a value is released only by
-- its holder, so they converge with the objects even when a replay passes through stale states.
-- Stamps are 'epoch:ordinal:index' (numbers below 2^53), compared part by part.
-- KEYS[1] ids: the partition's sorted set of ids (score 0); the partition's hash tag is its prefix
-- KEYS[2] expiry: the partition's sorted set of expiry times (ms) by id
-- ARGV[1] spec: the model's index description (JSON, see src/store/schema.ts)
-- ARGV[2] batch: JSON [[id, stamp, [field, value, ...] or 0 for a delete], ...] in stamp order
-- ARGV[3] prune: a stamp: tombstones older than it are dropped first (at most 200), or ''
-- returns integer[]: {applied, skipped}
-- @include _object.lua
-- @include _stamps.lua
local base = string.sub(KEYS[1], 1, -5)
local spec = cjson.decode(ARGV[1])
local batch = cjson.decode(ARGV[2])
local tombs, tomb_order = base .. ':ts', base .. ':tz'
local now = server_now()
if ARGV[3] ~= '' then prune_tombstones(tombs, tomb_order, ARGV[3], 200) end

local applied, skipped = 0, 0
local id, stamp
-- Whether `id`, written at `stamp`, takes unique value `term` of hash `key`: not from a newer holder.
local function may_take(key, term)
  local owner = redis.call('HGET', key, term)
  if not owner or owner == id then return true end
  local held = redis.call('HGET', base .. ':h:' .. enc(owner), '$s')
  return not held or not stamp_newer(held, stamp)
end

-- New entries of objects the batch creates, per key, written at the end (one call per key and
-- 2000 values instead of one per entry); only for ids the batch names once, whose entries no
-- later change of the batch can touch.
local gathered, gathered_commands, gathered_keys, created = {}, {}, {}, {}
local function gather(command, key, a, b)
  local g = gathered[key]
  if g == nil then
    g = {}
    gathered[key] = g
    gathered_commands[key] = command
    gathered_keys[#gathered_keys + 1] = key
  end
  g[#g + 1] = a
  if b ~= nil then g[#g + 1] = b end
end

local ids, times = {}, {}
for i, change in ipairs(batch) do
  ids[i] = change[1]
  times[change[1]] = (times[change[1]] or 0) + 1
end
local present = #ids > 0 and redis.call('ZMSCORE', KEYS[1], unpack(ids)) or {}
local any_tombs = redis.call('EXISTS', tombs) == 1

for i, change in ipairs(batch) do
  local flat
  id, stamp, flat = change[1], change[2], change[3]
  local key = base .. ':h:' .. enc(id)
  local old = nil
  if present[i] or times[id] > 1 then old = load_object(key) end
  if old ~= nil and expired(KEYS[2], id, now) then
    purge(base, spec, id, key, KEYS[1], KEYS[2])
    old = nil
  end
  local current = old and old['$s']
  if old == nil and any_tombs then current = redis.call('HGET', tombs, id) end
  if current and not stamp_newer(stamp, current) then
    skipped = skipped + 1
  else
    applied = applied + 1
    if flat == 0 then
      if old ~= nil then purge(base, spec, id, key, KEYS[1], KEYS[2]) end
      redis.call('HSET', tombs, id, stamp)
      redis.call('ZADD', tomb_order, stamp_score(stamp), id)
      any_tombs = true
    else
      local new = {}
      for j = 1, #flat, 2 do new[flat[j]] = flat[j + 1] end
      new['$v'] = tostring((old and tonumber(old['$v']) or 0) + 1)
      new['$s'] = stamp
      if old == nil and times[id] == 1 then
        update_indexes(base, spec, id, nil, new, may_take, gather)
        created[#created + 1] = 0
        created[#created + 1] = id
      else
        update_indexes(base, spec, id, old, new, may_take)
        if old == nil then redis.call('ZADD', KEYS[1], 0, id) end
      end
      if old ~= nil then redis.call('DEL', key) end
      if old == nil and current then
        redis.call('HDEL', tombs, id)
        redis.call('ZREM', tomb_order, id)
      end
      local fields = {}
      for k, v in pairs(new) do
        fields[#fields + 1] = k
        fields[#fields + 1] = v
      end
      redis.call('HSET', key, unpack(fields))
    end
  end
end

for _, key in ipairs(gathered_keys) do call_chunked(gathered_commands[key], key, gathered[key]) end
call_chunked('ZADD', KEYS[1], created)
return { applied, skipped }
