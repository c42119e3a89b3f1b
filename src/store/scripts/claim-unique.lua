-- Claims a unique value for an object before the object is written (models with several
-- partitions, whose unique values live in their own slots). At most one live claim per value.
-- KEYS[1] owners: hash, unique term -> id of the object that holds it
-- KEYS[2] claims: hash, unique term -> "<expiresAt>:<token>:<id>" of a write in progress
-- ARGV[1] term: the unique term
-- ARGV[2] id: the claiming object
-- ARGV[3] token: random token of this write
-- ARGV[4] ttl: claim length in ms
-- returns unknown[]: {'ok', expiresAt} claimed (or already owned: {'owned', 0});
--   {'owner', id} held by another object; {'claimed', id, expired (1/0)} claimed by another write
local owner = redis.call('HGET', KEYS[1], ARGV[1])
if owner == ARGV[2] then return { 'owned', 0 } end
if owner then return { 'owner', owner } end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local claim = redis.call('HGET', KEYS[2], ARGV[1])
if claim then
  local at, _, holder = string.match(claim, '^(%d+):(%x+):(.*)$')
  if holder ~= ARGV[2] then
    return { 'claimed', holder, tonumber(at) <= now and 1 or 0 }
  end
end
local expires = now + tonumber(ARGV[4])
redis.call('HSET', KEYS[2], ARGV[1], string.format('%.0f', expires) .. ':' .. ARGV[3] .. ':' .. ARGV[2])
return { 'ok', expires }
