-- Reads entries of one partition of a cache and, for a load (getOrSet), takes the lease of each
-- entry it found missing or stale. An entry is "A<soft expiry ms>|<tag count>|<tag bytes>:<tag>
-- <version>|...\n<payload>": fresh until its soft expiry, stale (served in grace) from then until
-- the key expires, and missing when the version of one of its tags changed since it was written.
-- After ARGV[1], per entry: its mode and the number of the load's tags ('g0' a read, 'o<n>' a read
-- for a load with n tags), then the tags (a load gets their versions, to write them with its value).
-- A lease key is its entry's key with ':l:' for the ':e:' after the hash tag (same tag, same slot:
-- derived here so that a read sends one key per entry).
-- KEYS[1] tags: the partition's hash of tag versions (a tag not in it is at version 0)
-- KEYS[2] tokens: the partition's counter of lease tokens
-- KEYS[3..] entries: the entries' keys
-- ARGV[1] lease: ms a lease taken lasts
-- returns unknown: per entry 2 values: a fresh entry's soft ms left (at least 1) and its stored value; else { status (0 missing, 2 stale), soft ms left, the lease (a token taken, 0 none, or minus the ms left on another's), the versions of the load's tags (or 0) } and the stored value (nil when missing)
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local out = {}
local leaseMs = ARGV[1]
local a = 2
for k = 3, #KEYS do
  local load, count = string.byte(ARGV[a]) == 111, tonumber(string.sub(ARGV[a], 2))
  local wanted = {}
  for i = 1, count do wanted[i] = ARGV[a + i] end
  a = a + 1 + count
  local status, left, value = 0, 0, false
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
      value = v
    end
  end
  local lease = 0
  if load and status ~= 1 then
    local close = string.find(KEYS[k], '}', 1, true)
    local key = string.sub(KEYS[k], 1, close) .. ':l:' .. string.sub(KEYS[k], close + 4)
    local held = redis.call('PTTL', key)
    if held > 0 then
      lease = -held
    else
      lease = redis.call('INCR', KEYS[2])
      redis.call('SET', key, lease, 'PX', leaseMs)
    end
  end
  local versions = 0
  if load and count > 0 then
    versions = redis.call('HMGET', KEYS[1], unpack(wanted))
    for i = 1, count do versions[i] = versions[i] or '0' end
  end
  if status == 1 then
    out[#out + 1] = left
  else
    out[#out + 1] = { status, left, lease, versions }
  end
  out[#out + 1] = value
end
return out
