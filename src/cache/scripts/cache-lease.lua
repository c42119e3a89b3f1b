-- Renews or releases a load's lease, when the load still holds it. A release tells the waiters
-- (on the cache's bus) that no value is coming, so that they read again and load themselves.
-- KEYS[1] lease: the entry's lease key
-- ARGV[1] token: the load's lease token
-- ARGV[2] ms: renew for this many ms; 0 releases
-- ARGV[3] channel: the cache's bus
-- ARGV[4] released: the message published on a release
-- returns integer: 1 done, 0 the lease is not held by that token
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local ms = tonumber(ARGV[2])
if ms > 0 then
  redis.call('PEXPIRE', KEYS[1], ms)
else
  redis.call('DEL', KEYS[1])
  redis.call('PUBLISH', ARGV[3], ARGV[4])
end
return 1
