-- Writes one object atomically: reads its current state, checks existence, version and unique
-- constraints, moves every index entry from the old values to the new ones, then writes the hash.
-- KEYS[1] object: the object's hash
-- KEYS[2] ids: the partition's sorted set of ids (score 0); the partition's hash tag is its prefix
-- KEYS[3] expiry: the partition's sorted set of expiry times (ms) by id
-- ARGV[1] mode: create | update | upsert | replace
-- ARGV[2] id: the object id
-- ARGV[3] spec: the model's index description (JSON, see src/store/schema.ts)
-- ARGV[4] expectedVersion: the version the caller expects, or '' for any
-- ARGV[5] ttl: ms to live from now, '' to keep the current expiry, '-1' to remove it
-- ARGV[6] returnObject: '1' to return the object's fields after the write, '0' not to
-- ARGV[7] deadline: server time (ms) after which the write must not happen (unique claims), or ''
-- ARGV[8] ops: number of operations that follow as (op, field, value) triples: s = set,
--   u = unset, t = set the folded term, e = set the plug-in index entries (JSON [[key, score], ...]),
--   w = set the token stream of a text field,
--   I = add to an integer, N = add to a number
-- returns unknown[]: {version, created (1 or 0), field, value, ...} (fields only with returnObject)
-- error E_EXISTS: create of an id that exists
-- error E_NOT_FOUND: update of an id that does not exist
-- error E_VERSION_CONFLICT: the object's version is not expectedVersion
-- error E_UNIQUE_VIOLATION: a unique constraint would be broken; nothing is written
-- error E_NOT_NUMBER: an increment of a field whose value is not a number
-- error E_RANGE: an increment would leave the safe integer or finite number range
-- error E_CLAIM_EXPIRED: the deadline has passed; nothing is written
-- @include _object.lua
local mode, id = ARGV[1], ARGV[2]
local base = string.sub(KEYS[2], 1, -5)
local spec = cjson.decode(ARGV[3])
local now = server_now()
if ARGV[7] ~= '' and now > tonumber(ARGV[7]) then return redis.error_reply('E_CLAIM_EXPIRED ' .. id) end

local old = load_object(KEYS[1])
if old ~= nil and expired(KEYS[3], id, now) then
  purge(base, spec, id, KEYS[1], KEYS[2], KEYS[3])
  old = nil
end
if mode == 'create' and old ~= nil then return redis.error_reply('E_EXISTS ' .. id) end
if mode == 'update' and old == nil then return redis.error_reply('E_NOT_FOUND ' .. id) end
local version = old and tonumber(old['$v']) or 0
if ARGV[4] ~= '' and tonumber(ARGV[4]) ~= version then
  return redis.error_reply('E_VERSION_CONFLICT ' .. version)
end

local new = {}
if old ~= nil and mode ~= 'replace' then
  for k, v in pairs(old) do new[k] = v end
end
local n = tonumber(ARGV[8])
for i = 0, n - 1 do
  local op, field, value = ARGV[9 + i * 3], ARGV[10 + i * 3], ARGV[11 + i * 3]
  if op == 's' then
    new[field] = value
  elseif op == 'u' then
    new[field] = nil
    new['$t:' .. field] = nil
    new['$x:' .. field] = nil
    new['$w:' .. field] = nil
  elseif op == 't' then
    new['$t:' .. field] = value
  elseif op == 'e' then
    new['$x:' .. field] = value
  elseif op == 'w' then
    new['$w:' .. field] = value
  else
    local current = tonumber(new[field] or '0')
    if current == nil then return redis.error_reply('E_NOT_NUMBER ' .. field) end
    local sum = current + tonumber(value)
    if op == 'I' then
      if math.abs(sum) > 9007199254740991 then return redis.error_reply('E_RANGE ' .. field) end
      new[field] = string.format('%.0f', sum)
    else
      if sum ~= sum or sum == math.huge or sum == -math.huge then return redis.error_reply('E_RANGE ' .. field) end
      local text = string.format('%.15g', sum)
      if tonumber(text) ~= sum then text = string.format('%.17g', sum) end
      new[field] = text
    end
  end
end

local conflict, owner = unique_conflict(base, spec, id, old, new, KEYS[2], KEYS[3], now)
if conflict then return redis.error_reply('E_UNIQUE_VIOLATION ' .. conflict .. ' ' .. owner) end

update_indexes(base, spec, id, old, new)
version = version + 1
new['$v'] = tostring(version)
if old ~= nil then
  if mode == 'replace' then
    redis.call('DEL', KEYS[1])
  else
    local gone = {}
    for k in pairs(old) do
      if new[k] == nil then gone[#gone + 1] = k end
    end
    if #gone > 0 then redis.call('HDEL', KEYS[1], unpack(gone)) end
  end
end
local flat = {}
for k, v in pairs(new) do
  if old == nil or mode == 'replace' or old[k] ~= v then
    flat[#flat + 1] = k
    flat[#flat + 1] = v
  end
end
if #flat > 0 then redis.call('HSET', KEYS[1], unpack(flat)) end
if old == nil then redis.call('ZADD', KEYS[2], 0, id) end
if ARGV[5] == '-1' then
  redis.call('ZREM', KEYS[3], id)
elseif ARGV[5] ~= '' then
  redis.call('ZADD', KEYS[3], now + tonumber(ARGV[5]), id)
end
local reply = { version, old == nil and 1 or 0 }
if ARGV[6] == '1' then
  for k, v in pairs(new) do
    if string.sub(k, 1, 1) ~= '$' then
      reply[#reply + 1] = k
      reply[#reply + 1] = v
    end
  end
end
return reply
