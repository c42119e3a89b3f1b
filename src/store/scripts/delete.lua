-- Deletes one object and every index entry it has.
-- KEYS[1] object: the object's hash
-- KEYS[2] ids: the partition's sorted set of ids (score 0); the partition's hash tag is its prefix
-- KEYS[3] expiry: the partition's sorted set of expiry times (ms) by id
-- ARGV[1] id: the object id
-- ARGV[2] spec: the model's index description (JSON)
-- ARGV[3] expectedVersion: the version the caller expects, or '' for any
-- returns integer: 1 when deleted, 0 when there was no (live) object
-- error E_VERSION_CONFLICT: the object's version is not expectedVersion; nothing is deleted
-- @include _object.lua
local id = ARGV[1]
local base = string.sub(KEYS[2], 1, -5)
local spec = cjson.decode(ARGV[2])
local version = redis.call('HGET', KEYS[1], '$v')
if version == false then return 0 end
local live = not expired(KEYS[3], id, server_now())
if live and ARGV[3] ~= '' and tonumber(ARGV[3]) ~= tonumber(version) then
  return redis.error_reply('E_VERSION_CONFLICT ' .. version)
end
purge(base, spec, id, KEYS[1], KEYS[2], KEYS[3])
return live and 1 or 0
