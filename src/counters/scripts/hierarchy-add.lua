-- Adds a batch of merged increments to the keys of one hash tag of a hierarchical counter. Ops
-- follow each other in ARGV and take their keys from KEYS in order:
-- 'v' expire at, JSON groups: the values of the tag's nodes in one slot (keys: the slot's values
--   hash, then one ranking per ranked group). A group is [the field prefix of a parent's children,
--   ranked (0 or 1), then per child: its field (its segment when ranked) and its value "sum
--   count[ min max]"]. A ranked child's field is the prefix, the segment's byte length, ':' and the
--   segment. Values are merged with what the hash holds; a ranked group sets the children's sums in
--   its sorted set.
-- 'b' expire at, JSON [field, value, ...]: the values of the tag's nodes in one slot of an unranked
--   resolution (key: a string holding such an array): set as sent when the key does not exist, else
--   merged into it.
-- 'u' expire at, JSON ids: a node's ids in one slot (key: a HyperLogLog).
-- 'k' expire at, JSON segments: a node's children ever seen (key: a set, its expiry only moved later).
-- Expire at is ms since the epoch, '0' for never.
-- KEYS[1..] keys: the keys of the ops, in order (one hash tag)
-- returns integer: the number of ops applied
local CHUNK = 1000

-- exact text of a number: integers as integers, others with 17 significant digits
local function text(x)
  if x % 1 == 0 and x > -1e14 and x < 1e14 then return tostring(x) end
  return string.format('%.17g', x)
end

local function expire(key, at)
  if at > 0 then redis.call('PEXPIREAT', key, at) end
end

-- the numbers of a value "sum count[ min max]"
local function parse(v)
  local i = string.find(v, ' ', 1, true)
  local j = string.find(v, ' ', i + 1, true)
  if not j then return tonumber(string.sub(v, 1, i - 1)), tonumber(string.sub(v, i + 1)) end
  local m = string.find(v, ' ', j + 1, true)
  return tonumber(string.sub(v, 1, i - 1)), tonumber(string.sub(v, i + 1, j - 1)), tonumber(string.sub(v, j + 1, m - 1)), tonumber(string.sub(v, m + 1))
end

-- the merge of two values (min and max as far as known) and the merged sum
local function merged(old, new)
  local s1, c1, n1, x1 = parse(new)
  local s0, c0, n0, x0 = parse(old)
  local value = text(s0 + s1) .. ' ' .. text(c0 + c1)
  if n1 then
    if n0 then n1, x1 = math.min(n0, n1), math.max(x0, x1) end
    value = value .. ' ' .. text(n1) .. ' ' .. text(x1)
  end
  return value, s0 + s1
end

-- sets the fields of group g that are not ranked, as sent (a new hash has nothing to merge with)
local function setAsSent(hash, g)
  for i = 3, #g, 2 * CHUNK do redis.call('HSET', hash, unpack(g, i, math.min(i + 2 * CHUNK - 1, #g))) end
end

local function values(hash, groups, at, k)
  local new = redis.call('EXISTS', hash) == 0
  if new then
    local ranked = {}
    for _, g in ipairs(groups) do
      if g[2] == 1 then ranked[#ranked + 1] = g else setAsSent(hash, g) end
    end
    groups = ranked
  end
  local fields = {}
  for _, g in ipairs(groups) do
    local prefix, ranked = g[1], g[2] == 1
    for i = 3, #g, 2 do
      if ranked then fields[#fields + 1] = prefix .. #g[i] .. ':' .. g[i] else fields[#fields + 1] = g[i] end
    end
  end
  -- a new hash holds nothing to merge with
  local old = {}
  for i = 1, new and 0 or #fields, CHUNK do
    local got = redis.call('HMGET', hash, unpack(fields, i, math.min(i + CHUNK - 1, #fields)))
    for j = 1, #got do old[i + j - 1] = got[j] end
  end
  local f, sets = 0, {}
  for _, g in ipairs(groups) do
    local rank
    if g[2] == 1 then
      rank = KEYS[k]
      k = k + 1
    end
    local scores = {}
    for i = 3, #g, 2 do
      f = f + 1
      local value, v = g[i + 1], old[f]
      local sum
      if v then
        value, sum = merged(v, value)
      elseif rank then
        sum = tonumber(string.match(value, '^%S+'))
      end
      sets[#sets + 1] = fields[f]
      sets[#sets + 1] = value
      if rank then
        scores[#scores + 1] = sum
        scores[#scores + 1] = g[i]
      end
    end
    if rank then
      for i = 1, #scores, 2 * CHUNK do redis.call('ZADD', rank, unpack(scores, i, math.min(i + 2 * CHUNK - 1, #scores))) end
      expire(rank, at)
    end
  end
  for i = 1, #sets, 2 * CHUNK do redis.call('HSET', hash, unpack(sets, i, math.min(i + 2 * CHUNK - 1, #sets))) end
  expire(hash, at)
  return k
end

-- merges a JSON array of fields and values into the one the string key holds (or sets it)
local function blob(key, sent)
  local held = redis.call('GET', key)
  if not held then
    redis.call('SET', key, sent)
    return
  end
  local old, new = cjson.decode(held), cjson.decode(sent)
  local at = {}
  for i = 1, #old, 2 do at[old[i]] = i + 1 end
  for i = 1, #new, 2 do
    local j = at[new[i]]
    if j then
      old[j] = merged(old[j], new[i + 1])
    else
      old[#old + 1] = new[i]
      old[#old + 1] = new[i + 1]
    end
  end
  redis.call('SET', key, cjson.encode(old))
end

local k, a, ops = 1, 1, 0
while a <= #ARGV do
  local op, at = ARGV[a], tonumber(ARGV[a + 1])
  ops = ops + 1
  if op == 'v' then
    k = values(KEYS[k], cjson.decode(ARGV[a + 2]), at, k + 1)
    a = a + 3
  elseif op == 'b' then
    blob(KEYS[k], ARGV[a + 2])
    expire(KEYS[k], at)
    k, a = k + 1, a + 3
  else
    local key, members = KEYS[k], cjson.decode(ARGV[a + 2])
    k, a = k + 1, a + 3
    for i = 1, #members, CHUNK do
      redis.call(op == 'u' and 'PFADD' or 'SADD', key, unpack(members, i, math.min(i + CHUNK - 1, #members)))
    end
    if op == 'u' then
      expire(key, at)
    elseif at == 0 then
      redis.call('PERSIST', key)
    elseif redis.call('PEXPIRETIME', key) < at then
      redis.call('PEXPIREAT', key, at)
    end
  end
end
return ops
