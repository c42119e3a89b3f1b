-- Deletes entries of one partition of a cache, and their leases (a load in flight then writes
-- nothing), and tells the other processes (their L1 copies go).
-- KEYS[1..] entries: per entry, its key, then its lease's key
-- ARGV[1] channel: the cache's bus
-- ARGV[2] message: the message published
-- returns integer: the number of entries that existed
local n = 0
for k = 1, #KEYS, 2 do
  n = n + redis.call('DEL', KEYS[k])
  redis.call('DEL', KEYS[k + 1])
end
redis.call('PUBLISH', ARGV[1], ARGV[2])
return n
