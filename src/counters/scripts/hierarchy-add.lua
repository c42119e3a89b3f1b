-- Adds a batch of merged increments to the keys of one hash tag of a hierarchical counter. Ops
-- follow each other in ARGV and take their keys from KEYS in order:
-- 'z' (the children's statistics of one node in one slot; keys: sum, count[, min, max] sorted
-- sets): stats (2 or 4), expire at, n, then per member: segment, sum, count[, min, max];
-- 'u' (a node's ids in one slot; key: a HyperLogLog): expire at, n, then the ids;
-- 'k' (a node's children ever seen; key: a set, its expiry only ever moved later): expire at, n, segments.
-- Expire at is ms since the epoch, '0' for never.
-- KEYS[1..] keys: the keys of the ops, in order (one hash tag)
-- returns integer: the number of ops applied
local k, a, ops = 1, 1, 0
local last = #ARGV
while a <= last do
  local op = ARGV[a]
  ops = ops + 1
  if op == 'z' then
    local stats, expire, n = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3])
    local sums, counts, mins, maxs = KEYS[k], KEYS[k + 1], KEYS[k + 2], KEYS[k + 3]
    a = a + 4
    for _ = 1, n do
      local member = ARGV[a]
      redis.call('ZINCRBY', sums, ARGV[a + 1], member)
      redis.call('ZINCRBY', counts, ARGV[a + 2], member)
      if stats == 4 then
        redis.call('ZADD', mins, 'LT', ARGV[a + 3], member)
        redis.call('ZADD', maxs, 'GT', ARGV[a + 4], member)
      end
      a = a + 1 + stats
    end
    if expire > 0 then
      for j = k, k + stats - 1 do redis.call('PEXPIREAT', KEYS[j], expire) end
    end
    k = k + stats
  else
    local expire, n = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2])
    local key = KEYS[k]
    a = a + 3
    for i = a, a + n - 1, 1000 do
      redis.call(op == 'u' and 'PFADD' or 'SADD', key, unpack(ARGV, i, math.min(i + 999, a + n - 1)))
    end
    a = a + n
    if op == 'u' then
      if expire > 0 then redis.call('PEXPIREAT', key, expire) end
    elseif expire == 0 then
      redis.call('PERSIST', key)
    elseif redis.call('PEXPIRETIME', key) < expire then
      redis.call('PEXPIREAT', key, expire)
    end
    k = k + 1
  end
end
return ops
