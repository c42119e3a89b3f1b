#!lua flags=no-writes
-- Checks index structures of one partition member by member against the objects they name: an
-- entry is stale when the object's stored values do not call for it (or there is no object).
-- Also finds object hashes whose id is missing from the ids set and expiry entries without an
-- object. Read-only; each call is one consistent snapshot.
-- KEYS[1] ids: the partition's sorted set of ids (score 0); the partition's hash tag is its prefix
-- KEYS[2] expiry: the partition's sorted set of expiry times (ms) by id
-- KEYS[3..] structures: the structures to check, all in the partition's slot
-- ARGV[1] spec: the model's index description (JSON, see src/store/schema.ts)
-- ARGV[2] modes: one letter per structure: S equality set, Z sorted set of ids, L sorted set of
--   lexical members, H unique hash, E expiry set, O object hash, T big text term's head
-- ARGV[3] budget: the most members to check in a call of whole structures; bigger structures are
--   returned to be walked with a cursor, and the call stops before the structure that would pass it
-- ARGV[4] count: 0 to check whole structures, or n to check only the n members that follow, of
--   the single structure KEYS[3]
-- returns unknown[]: {structures done, big structure positions, wrong-type structure positions,
--   problems}: each problem is {kind, structure position, id, term, reason}
-- @include _object.lua
-- @include _entries.lua
-- @include _structures.lua
local base = string.sub(KEYS[1], 1, -5)
local walk = structure_walker(base, cjson.decode(ARGV[1]))
local problems = {}
local done, big, bad = walk(function(_, _, pos, _, id, term, reason)
  problems[#problems + 1] = { 'stale-entry', pos, id, term, reason }
end, function(kind, _, pos, id)
  problems[#problems + 1] = { kind, pos, id, '', '' }
end, function(kind, pos, _, term)
  problems[#problems + 1] = { kind, pos, '', term, '' }
end)
return { done, big, bad, problems }
