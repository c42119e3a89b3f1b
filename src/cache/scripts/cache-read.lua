-- Reads entries of one partition of a cache and, for a load (getOrSet), takes the lease of each
-- entry it found missing or stale. An entry is "A<soft expiry ms>|<tag count>|<tag bytes>:<tag>
-- <version>|...\n<payload>": fresh until its soft expiry, stale (served in grace) from then until
-- the key expires, and missing when the version of one of its tags changed since it was written.
-- Per entry, ARGV holds its mode ('g' a read, 'o' a read for a load), the lease's ms, the number
-- of the load's tags and the tags (a load gets their versions, to write them with its value).
-- KEYS[1] tags: the partition's hash of tag versions (a tag not in it is at version 0)
-- KEYS[2] tokens: the partition's counter of lease tokens
-- KEYS[3..] entries: per entry, its key, then its lease's key
-- returns unknown: per entry 6 values: status (0 missing, 1 fresh, 2 stale), soft ms left, the payload's 0-based offset, the stored value (or nil), the lease (a token taken, 0 none, or minus the ms left on another's), the versions of the load's tags (or 0)
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local out = {}
local a = 1
for k = 3, #KEYS, 2 do
  local mode, leaseMs, count = ARGV[a], ARGV[a + 1], tonumber(ARGV[a + 2])
  local wanted = {}
  for i = 1, count do wanted[i] = ARGV[a + 2 + i] end
  a = a + 3 + count
  local status, left, offset, value = 0, 0, 0, false
  local v = redis.call('GET', KEYS[k])
  if v then
    local bar = string.find(v, '|', 2, true)
    local soft = tonumber(string.sub(v, 2, bar - 1))
    local bar2 = string.find(v, '|', bar + 1, true)
    local tags = tonumber(string.sub(v, bar + 1, bar2 - 1))
    local pos, valid = bar2 + 1, true
    if tags > 0 then
      local names, held = {}, {}
      for i = 1, tags do
        local colon = string.find(v, ':', pos, true)
        local stop = colon + tonumber(string.sub(v, pos, colon - 1))
        names[i] = string.sub(v, colon + 1, stop)
        local close = string.find(v, '|', stop + 2, true)
        held[i] = string.sub(v, stop + 2, close - 1)
        pos = close + 1
      end
      local current = redis.call('HMGET', KEYS[1], unpack(names))
      for i = 1, tags do
        if (current[i] or '0') ~= held[i] then
          valid = false
          break
        end
      end
    end
    if valid then
      left = soft - now
      status = left > 0 and 1 or 2
      -- pos is the 1-based position of the '\n' that ends the header: the payload's 0-based offset
      offset = pos
      value = v
    end
  end
  local lease = 0
  if mode == 'o' and status ~= 1 then
    local held = redis.call('PTTL', KEYS[k + 1])
    if held > 0 then
      lease = -held
    else
      lease = redis.call('INCR', KEYS[2])
      redis.call('SET', KEYS[k + 1], lease, 'PX', leaseMs)
    end
  end
  local versions = 0
  if mode == 'o' and count > 0 then
    versions = redis.call('HMGET', KEYS[1], unpack(wanted))
    for i = 1, count do versions[i] = versions[i] or '0' end
  end
  out[#out + 1] = status
  out[#out + 1] = left
  out[#out + 1] = offset
  out[#out + 1] = value
  out[#out + 1] = lease
  out[#out + 1] = versions
end
return out
