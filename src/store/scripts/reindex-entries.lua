-- Removes stale members of index structures of one partition in one atomic step: a member goes
-- only when the object it names, read in this same call, does not call for it, so an entry a
-- concurrent write made is never removed. Also puts object hashes missing from the ids set back
-- into it (their entries follow in the objects pass) and drops expiry entries without an object;
-- puts text terms back into their dictionary, raises tf bounds below a posting's tf, and recounts
-- the text terms it touched (rebuilding big terms' heads).
-- KEYS[1] ids: the partition's sorted set of ids (score 0); the partition's hash tag is its prefix
-- KEYS[2] expiry: the partition's sorted set of expiry times (ms) by id
-- KEYS[3..] structures: the structures to repair, all in the partition's slot
-- ARGV[1] spec: the model's index description (JSON, see src/store/schema.ts)
-- ARGV[2] modes: one letter per structure: S equality set, Z sorted set of ids, L sorted set of
--   lexical members, H unique hash, E expiry set, O object hash, T big text term's head
-- ARGV[3] budget: the most members to check in a call of whole structures; bigger structures are
--   returned to be walked with a cursor, and the call stops before the structure that would pass it
-- ARGV[4] count: 0 to repair whole structures, or n to check only the n members that follow, of
--   the single structure KEYS[3]
-- returns unknown[]: {structures done, big structure positions, wrong-type structure positions,
--   repairs}: each repair is {kind, structure position, id, term, reason}
-- @include _object.lua
-- @include _entries.lua
-- @include _structures.lua
local base = string.sub(KEYS[1], 1, -5)
local walk = structure_walker(base, cjson.decode(ARGV[1]))
local repairs = {}
local touched = {}
local done, big, bad = walk(function(mode, key, pos, m, id, term, reason)
  if mode == 'S' then
    redis.call('SREM', key, m)
  elseif mode == 'H' then
    redis.call('HDEL', key, m)
  else
    redis.call('ZREM', key, m)
    -- a text posting gone: its term is recounted at the end
    local field, part = string.match(string.sub(key, #base + 1), '^:w:([^:]+):([^:]+)')
    if field then touched[field .. '\0' .. dec(part)] = { field, dec(part) } end
  end
  repairs[#repairs + 1] = { 'stale-entry', pos, id, term, reason }
end, function(kind, key, pos, id)
  if kind == 'orphan-hash' then
    redis.call('ZADD', KEYS[1], 0, id)
  else
    redis.call('ZREM', key, id)
  end
  repairs[#repairs + 1] = { kind, pos, id, '', '' }
end, function(kind, pos, field, term, tf)
  if kind == 'missing-dictionary-term' then
    dict_add(base, field, term)
  elseif kind == 'wrong-text-head' then
    touched[field .. '\0' .. term] = { field, term }
  else
    redis.call('HSET', base .. ':wm:' .. field, term, tf)
  end
  repairs[#repairs + 1] = { kind, pos, '', term, '' }
end)
for _, ft in pairs(touched) do refresh_term(base, ft[1], ft[2]) end
return { done, big, bad, repairs }
