-- Claims a unique value for an object before the object is written (models with several
-- partitions, whose unique values live in their own slots). At most one live claim per value,
-- also for the object that owns it already: the claim's token, stored in the object with the
-- value, tells which write an owner entry belongs to (see settle-unique.lua).
-- KEYS[1] owners: hash, unique term -> "<token>:<id>" of the object that holds it
-- KEYS[2] claims: hash, unique term -> "<expiresAt>:<token>:<id>" of a write in progress
-- ARGV[1] term: the unique term
-- ARGV[2] id: the claiming object
-- ARGV[3] token: random token of this write (hex)
-- ARGV[4] ttl: claim length in ms
-- returns unknown[]: {'ok', expiresAt} claimed; {'owner', id, token} held by another object;
--   {'claimed', id, expired (1/0), token} claimed by another write (of this object or another)
-- @include _unique.lua
local owner_token, owner_id = parse_owner(redis.call('HGET', KEYS[1], ARGV[1]))
if owner_id and owner_id ~= ARGV[2] then return { 'owner', owner_id, owner_token } end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local at, token, holder = parse_claim(redis.call('HGET', KEYS[2], ARGV[1]))
if at and token ~= ARGV[3] then return { 'claimed', holder, at <= now and 1 or 0, token } end
local expires = now + tonumber(ARGV[4])
redis.call('HSET', KEYS[2], ARGV[1], string.format('%.0f', expires) .. ':' .. ARGV[3] .. ':' .. ARGV[2])
return { 'ok', expires }
