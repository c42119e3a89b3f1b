-- Settles a unique value of an object (models with several partitions). An owner entry is
-- "<token>:<id>": the token of the claim under which the object's write took the value, which the
-- object stores as `$u:<unique>`. A write that gives the value up releases exactly the entry of
-- the write it replaced, so a later write of the same object that took the value again keeps it;
-- a give-up with the token of a write that never confirmed also drops the object's older entry.
-- KEYS[1] owners: hash, unique term -> "<token>:<id>" of the object that holds it
-- KEYS[2] claims: hash, unique term -> "<expiresAt>:<token>:<id>" of a write in progress
-- ARGV[1] action: confirm (the write landed: its claim becomes the owner entry), adopt (make
--   `id` the owner without a claim: repairs), abandon (the write failed: drop its claim),
--   give-up (a write or delete took the value from the object, which held it with this token: drop
--   its entry and claim), release (the object does not hold the value with this token: drop that
--   entry and claim)
-- ARGV[2] term: the unique term
-- ARGV[3] id: the object
-- ARGV[4] token: the token of the write's claim, or the one stored in the object ('' for none)
-- returns integer: 1 when something changed, 0 when not
-- @include _unique.lua
local action, term, id, token = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local _, claim_token, claim_id = parse_claim(redis.call('HGET', KEYS[2], term))
local ours = claim_id == id and claim_token == token
local owner_token, owner_id = parse_owner(redis.call('HGET', KEYS[1], term))

if action == 'confirm' or action == 'adopt' then
  if action == 'confirm' and not ours then return 0 end -- released meanwhile by a later write
  if ours then redis.call('HDEL', KEYS[2], term) end
  if owner_id and (owner_id ~= id or owner_token == token) then return 0 end
  redis.call('HSET', KEYS[1], term, token .. ':' .. id)
  return 1
end
local changed = 0
if ours then changed = redis.call('HDEL', KEYS[2], term) end
-- A give-up carrying the token of a claim still held: that write landed (the object stored its
-- token) but never confirmed, and no write took the value since (a claim waits for a live one),
-- so an entry of the object from an earlier write of the same value is stale too.
if (action == 'release' or action == 'give-up') and owner_id == id and (owner_token == token or (ours and action == 'give-up')) then
  changed = changed + redis.call('HDEL', KEYS[1], term)
end
return changed
