-- Creates a batch of new objects in one partition with batched index writes; all or nothing:
-- when any object exists or breaks a unique constraint, nothing is written.
-- KEYS[1] ids: the partition's sorted set of ids (score 0); the partition's hash tag is its prefix
-- KEYS[2] expiry: the partition's sorted set of expiry times (ms) by id
-- ARGV[1] spec: the model's index description (JSON)
-- ARGV[2] ttl: ms to live from now for every object, or ''
-- ARGV[3] count: the number of objects that follow, each as: id, number of fields n, then n
--   (field, value) pairs, where a field `$t:<name>` holds the folded term of a case-insensitive field
-- returns integer: the number of objects created
-- error E_EXISTS: an object with one of the ids exists (detail: its id)
-- error E_UNIQUE_VIOLATION: a unique value is taken, or given twice in the batch
-- @include _object.lua
local base = string.sub(KEYS[1], 1, -5)
local spec = cjson.decode(ARGV[1])
local now = server_now()

local function batch_call(command, key, list)
  local chunk = 2000 -- even, so (score, member) and (field, value) pairs never split
  for i = 1, #list, chunk do
    local args = { command, key }
    for j = i, math.min(i + chunk - 1, #list) do args[#args + 1] = list[j] end
    redis.call(unpack(args))
  end
end

local rows, idlist = {}, {}
local at = 4
for i = 1, tonumber(ARGV[3]) do
  local id, n = ARGV[at], tonumber(ARGV[at + 1])
  local row = {}
  for j = at + 2, at + 1 + 2 * n, 2 do row[ARGV[j]] = ARGV[j + 1] end
  at = at + 2 + 2 * n
  rows[i] = { id = id, key = base .. ':h:' .. enc(id), row = row }
  idlist[i] = id
end
-- The ids set holds exactly the existing objects, so one ZMSCORE checks the whole batch.
local present = redis.call('ZMSCORE', KEYS[1], unpack(idlist))
for i, score in ipairs(present) do
  if score then
    local r = rows[i]
    if not expired(KEYS[2], r.id, now) then return redis.error_reply('E_EXISTS ' .. r.id) end
    purge(base, spec, r.id, r.key, KEYS[1], KEYS[2])
  end
end

for _, u in ipairs(spec.u) do
  local seen, terms, owners_of = {}, {}, {}
  for _, r in ipairs(rows) do
    local t = unique_term(r.row, u[2])
    if t ~= nil then
      if seen[t] then return redis.error_reply('E_UNIQUE_VIOLATION ' .. u[1] .. ' ' .. seen[t]) end
      seen[t] = r.id
      terms[#terms + 1] = t
    end
  end
  if #terms > 0 then
    local owners = redis.call('HMGET', base .. ':uq:' .. u[1], unpack(terms))
    for k, owner in ipairs(owners) do
      if owner then return redis.error_reply('E_UNIQUE_VIOLATION ' .. u[1] .. ' ' .. owner) end
      owners_of[#owners_of + 1] = terms[k]
      owners_of[#owners_of + 1] = seen[terms[k]]
    end
    batch_call('HSET', base .. ':uq:' .. u[1], owners_of)
  end
end

local sets, zsets, ids = {}, {}, {}
local function add(map, key, a, b)
  local list = map[key]
  if list == nil then list = {}; map[key] = list end
  list[#list + 1] = a
  if b ~= nil then list[#list + 1] = b end
end
local fields = {}
for _, f in ipairs(spec.f) do
  local flags = f[2]
  fields[#fields + 1] = {
    name = f[1], flags = flags,
    set = string.find(flags, 's', 1, true) ~= nil,
    num = string.find(flags, 'n', 1, true) ~= nil,
    lex = string.find(flags, 'l', 1, true) ~= nil,
    array = string.find(flags, 'a', 1, true) ~= nil,
  }
end
for _, r in ipairs(rows) do
  for _, f in ipairs(fields) do
    local name, flags = f.name, f.flags
    if f.set then
      if f.array then
        local done = {}
        for _, t in ipairs(terms_of(r.row, name, flags)) do
          if not done[t] then
            done[t] = true
            add(sets, base .. ':eq:' .. name .. ':' .. enc(t), r.id)
          end
        end
      else
        local t = term_of(r.row, name, flags)
        if t ~= nil then add(sets, base .. ':eq:' .. name .. ':' .. enc(t), r.id) end
      end
    end
    if f.num and r.row[name] ~= nil then
      add(zsets, base .. ':num:' .. name, tonumber(r.row[name]), r.id)
    end
    if f.lex then
      local t = term_of(r.row, name, flags)
      if t ~= nil then add(zsets, base .. ':lex:' .. name, 0, lexm(t, r.id)) end
    end
  end
  for _, x in ipairs(spec.x) do
    local key, member, score = compound_entry(base, r.id, r.row, x)
    if key ~= nil then add(zsets, key, score, member) end
  end
  ids[#ids + 1] = 0
  ids[#ids + 1] = r.id
  local flat = { 'HSET', r.key, '$v', '1' }
  for k, v in pairs(r.row) do
    flat[#flat + 1] = k
    flat[#flat + 1] = v
  end
  redis.call(unpack(flat))
end
for key, list in pairs(sets) do batch_call('SADD', key, list) end
for key, list in pairs(zsets) do batch_call('ZADD', key, list) end
batch_call('ZADD', KEYS[1], ids)
if ARGV[2] ~= '' then
  local exp = {}
  for _, r in ipairs(rows) do
    exp[#exp + 1] = now + tonumber(ARGV[2])
    exp[#exp + 1] = r.id
  end
  batch_call('ZADD', KEYS[2], exp)
end
return #rows
