-- Settles a unique value after a write: makes `id` its owner (confirm), gives it up (release),
-- or drops a claim whose write failed or whose holder no longer has the value.
-- KEYS[1] owners: hash, unique term -> id of the object that holds it
-- KEYS[2] claims: hash, unique term -> "<expiresAt>:<token>:<id>" of a write in progress
-- ARGV[1] action: confirm | release | abandon | evict
-- ARGV[2] term: the unique term
-- ARGV[3] id: the object
-- ARGV[4] token: the write's token (confirm, abandon), or '' (release, evict)
-- returns integer: 1 when something changed, 0 when not
local action, term, id, token = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local claim = redis.call('HGET', KEYS[2], term)
local claim_id, claim_token
if claim then
  local _
  _, claim_token, claim_id = string.match(claim, '^(%d+):(%x+):(.*)$')
end
if action == 'confirm' then
  if redis.call('HEXISTS', KEYS[1], term) == 1 and redis.call('HGET', KEYS[1], term) ~= id then return 0 end
  redis.call('HSET', KEYS[1], term, id)
  if claim_id == id then redis.call('HDEL', KEYS[2], term) end
  return 1
elseif action == 'abandon' then
  if claim_id == id and claim_token == token then return redis.call('HDEL', KEYS[2], term) end
  return 0
elseif action == 'evict' then
  -- the holder (owner or claimant `id`) was checked and does not have the value
  local changed = 0
  if redis.call('HGET', KEYS[1], term) == id then changed = redis.call('HDEL', KEYS[1], term) end
  if claim_id == id then changed = changed + redis.call('HDEL', KEYS[2], term) end
  return changed
end
if redis.call('HGET', KEYS[1], term) == id then return redis.call('HDEL', KEYS[1], term) end
return 0
