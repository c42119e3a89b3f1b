-- Deletes, in the next batch of one partition's objects in id order, every object whose stamp is
-- older than `before` or missing: after a full copy of the source stamped `before` or newer, these
-- are objects whose rows are gone. The first batch (after = '') also drops every tombstone: the
-- changes that follow the copy are all newer than any of them.
-- KEYS[1] ids: the partition's sorted set of ids (score 0); the partition's hash tag is its prefix
-- KEYS[2] expiry: the partition's sorted set of expiry times (ms) by id
-- ARGV[1] spec: the model's index description (JSON, see src/store/schema.ts)
-- ARGV[2] before: the stamp of the copy
-- ARGV[3] after: the last id of the previous batch, or '' to start at the first id
-- ARGV[4] limit: the most objects to look at
-- returns unknown[]: {last id looked at or '', objects deleted}
-- @include _object.lua
-- @include _stamps.lua
local base = string.sub(KEYS[1], 1, -5)
local spec = cjson.decode(ARGV[1])
if ARGV[3] == '' then redis.call('DEL', base .. ':ts', base .. ':tz') end
local start = ARGV[3] == '' and '-' or '(' .. ARGV[3]
local ids = redis.call('ZRANGE', KEYS[1], start, '+', 'BYLEX', 'LIMIT', 0, tonumber(ARGV[4]))
local deleted = 0
for _, id in ipairs(ids) do
  local key = base .. ':h:' .. enc(id)
  local stamp = redis.call('HGET', key, '$s')
  if not stamp or stamp_newer(ARGV[2], stamp) then
    purge(base, spec, id, key, KEYS[1], KEYS[2])
    deleted = deleted + 1
  end
end
return { ids[#ids] or '', deleted }
