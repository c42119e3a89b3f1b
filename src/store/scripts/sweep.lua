-- Removes up to `limit` expired objects of a partition with all their index entries.
-- KEYS[1] ids: the partition's sorted set of ids (score 0); the partition's hash tag is its prefix
-- KEYS[2] expiry: the partition's sorted set of expiry times (ms) by id
-- ARGV[1] spec: the model's index description (JSON)
-- ARGV[2] limit: the most objects to remove in this call
-- returns integer: how many objects were removed
-- @include _object.lua
local base = string.sub(KEYS[1], 1, -5)
local spec = cjson.decode(ARGV[1])
local due = redis.call('ZRANGE', KEYS[2], '-inf', server_now(), 'BYSCORE', 'LIMIT', 0, tonumber(ARGV[2]))
for _, id in ipairs(due) do
  purge(base, spec, id, base .. ':h:' .. enc(id), KEYS[1], KEYS[2])
end
return #due
