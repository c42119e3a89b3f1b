-- Shared helpers of the store scripts, inlined by `-- @include _object.lua`.
-- Index keys are derived from `base`, the partition's hash tag taken from a declared key, so every
-- key a script touches is in that declared key's slot. Value parts are percent-encoded exactly like
-- encodeKeyPart() in src/core/keys.ts, so they cannot leave their part or forge a tag.
local function enc_byte(c)
  return string.format('%%%02X', string.byte(c))
end

local function enc(s)
  if not string.find(s, '[^%w_%.%-]') then return s end
  return (string.gsub(s, '[^%w_%.%-]', enc_byte))
end

-- Lexical index member: the term with NUL escaped as NUL 0xFF (order preserving), NUL, the id.
local function lexm(term, id)
  return (string.gsub(term, '%z', '\0\255')) .. '\0' .. id
end

local function load_object(key)
  local flat = redis.call('HGETALL', key)
  if #flat == 0 then return nil end
  local obj = {}
  for i = 1, #flat, 2 do obj[flat[i]] = flat[i + 1] end
  return obj
end

-- The term a field is indexed under: the folded text for case-insensitive fields, else the value.
local function term_of(obj, name, flags)
  if obj == nil then return nil end
  if string.find(flags, 'c', 1, true) then return obj['$t:' .. name] end
  return obj[name]
end

local function terms_of(obj, name, flags)
  local t = term_of(obj, name, flags)
  if t == nil then return {} end
  if string.find(flags, 'a', 1, true) then return cjson.decode(t) end
  return { t }
end

local function unique_term(obj, fields)
  local parts = {}
  for i, f in ipairs(fields) do
    local t = term_of(obj, f[1], f[2])
    if t == nil then return nil end
    parts[i] = t
  end
  if #parts == 1 then return parts[1] end
  for i, p in ipairs(parts) do parts[i] = enc(p) end
  return table.concat(parts, ':')
end

-- Compound entry of an object: key and member (score index: member id, score the last value).
local function compound_entry(base, id, obj, index)
  if obj == nil then return nil end
  local fields = index[2]
  local parts = { base, 'cx', enc(index[1]) }
  for i = 1, #fields - 1 do
    local t = term_of(obj, fields[i][1], fields[i][2])
    if t == nil then return nil end
    parts[#parts + 1] = enc(t)
  end
  local last = fields[#fields]
  local v = term_of(obj, last[1], last[2])
  if v == nil then return nil end
  local key = table.concat(parts, ':')
  if index[3] == 'l' then return key, lexm(v, id), 0 end
  return key, id, tonumber(v)
end


-- @include _postings.lua
-- @include _text_writes.lua

-- Moves every index entry of object `id` from its `old` state to its `new` state (either may be nil).
-- `may_take(key, term)`, when given, decides whether `id` takes a unique value another id holds;
-- `add(command, key, ...)`, when given, takes the SADD / ZADD of new entries instead of redis.call
-- (a batch of new objects gathers them per key).
local function update_indexes(base, spec, id, old, new, may_take, add)
  add = add or redis.call
  for _, f in ipairs(spec.f) do
    local name, flags = f[1], f[2]
    if string.find(flags, 's', 1, true) then
      local before, after = {}, {}
      for _, t in ipairs(terms_of(old, name, flags)) do before[t] = true end
      for _, t in ipairs(terms_of(new, name, flags)) do after[t] = true end
      for t in pairs(before) do
        if not after[t] then redis.call('SREM', base .. ':eq:' .. name .. ':' .. enc(t), id) end
      end
      for t in pairs(after) do
        if not before[t] then add('SADD', base .. ':eq:' .. name .. ':' .. enc(t), id) end
      end
    end
    if string.find(flags, 'n', 1, true) then
      local a = new and new[name]
      if a == nil then
        if old and old[name] ~= nil then redis.call('ZREM', base .. ':num:' .. name, id) end
      elseif old == nil or old[name] ~= a then
        add('ZADD', base .. ':num:' .. name, tonumber(a), id)
      end
    end
    if string.find(flags, 'l', 1, true) then
      local a, b = term_of(old, name, flags), term_of(new, name, flags)
      if a ~= b then
        if a ~= nil then redis.call('ZREM', base .. ':lex:' .. name, lexm(a, id)) end
        if b ~= nil then add('ZADD', base .. ':lex:' .. name, 0, lexm(b, id)) end
      end
    end
  end
  for _, u in ipairs(spec.u) do
    local a, b = unique_term(old, u[2]), unique_term(new, u[2])
    if a ~= b then
      local key = base .. ':uq:' .. u[1]
      if a ~= nil and redis.call('HGET', key, a) == id then redis.call('HDEL', key, a) end
      if b ~= nil and (may_take == nil or may_take(key, b)) then redis.call('HSET', key, b, id) end
    end
  end
  for _, name in ipairs(spec.p) do
    local a, b = old and old['$x:' .. name], new and new['$x:' .. name]
    if a ~= b then
      local after = b and cjson.decode(b) or {}
      local keep = {}
      for _, e in ipairs(after) do keep[e[1]] = true end
      for _, e in ipairs(a and cjson.decode(a) or {}) do
        if not keep[e[1]] then redis.call('ZREM', base .. ':x:' .. name .. ':' .. enc(e[1]), id) end
      end
      for _, e in ipairs(after) do add('ZADD', base .. ':x:' .. name .. ':' .. enc(e[1]), e[2], id) end
    end
  end
  for _, name in ipairs(spec.t) do
    text_update(base, name, id, old and old['$w:' .. name], new and new['$w:' .. name])
  end
  for _, x in ipairs(spec.x) do
    local ka, ma, sa = compound_entry(base, id, old, x)
    local kb, mb, sb = compound_entry(base, id, new, x)
    if ka ~= kb or ma ~= mb or sa ~= sb then
      if ka ~= nil then redis.call('ZREM', ka, ma) end
      if kb ~= nil then add('ZADD', kb, sb, mb) end
    end
  end
end

local function server_now()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Sends `values` after `command key` in calls of at most 2000 values (even-sized, so pairs never split).
local function call_chunked(command, key, values)
  for i = 1, #values, 2000 do
    redis.call(command, key, unpack(values, i, math.min(i + 1999, #values)))
  end
end

-- Removes an object and all its index entries.
local function purge(base, spec, id, key, ids_key, exp_key)
  local old = load_object(key)
  if old ~= nil then update_indexes(base, spec, id, old, nil) end
  redis.call('DEL', key)
  redis.call('ZREM', ids_key, id)
  redis.call('ZREM', exp_key, id)
  return old
end

-- True when the object is past its expiry time.
local function expired(exp_key, id, now)
  local at = redis.call('ZSCORE', exp_key, id)
  return at and tonumber(at) <= now
end

-- Returns the name of the first unique constraint `new` would break, and the id holding it. An
-- owner that has expired (not yet swept) is purged first: its values are free.
local function unique_conflict(base, spec, id, old, new, ids_key, exp_key, now)
  for _, u in ipairs(spec.u) do
    local t = unique_term(new, u[2])
    if t ~= nil and t ~= unique_term(old, u[2]) then
      local owner = redis.call('HGET', base .. ':uq:' .. u[1], t)
      if owner and owner ~= id then
        if not expired(exp_key, owner, now) then return u[1], owner end
        purge(base, spec, owner, base .. ':h:' .. enc(owner), ids_key, exp_key)
      end
    end
  end
  return nil
end
