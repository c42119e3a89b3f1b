#!lua flags=no-writes
-- Reads live objects of one partition; expired ones read as missing.
-- KEYS[1] ids: the partition's sorted set of ids (score 0); the partition's hash tag is its prefix
-- KEYS[2] expiry: the partition's sorted set of expiry times (ms) by id
-- ARGV[1] ids: the ids to read, as a JSON array
-- ARGV[2] hidden: '1' to include the hidden `$` fields (version, folded terms), '0' not to
-- returns unknown[]: one entry per id: the flat field/value list, or 0 when missing
-- @include _object.lua
local base = string.sub(KEYS[1], 1, -5)
local ids = cjson.decode(ARGV[1])
local now = server_now()
local out = {}
for i, id in ipairs(ids) do
  local flat = redis.call('HGETALL', base .. ':h:' .. enc(id))
  if #flat == 0 or expired(KEYS[2], id, now) then
    out[i] = 0
  else
    local visible = {}
    for j = 1, #flat, 2 do
      if ARGV[2] == '1' or string.sub(flat[j], 1, 1) ~= '$' then
        visible[#visible + 1] = flat[j]
        visible[#visible + 1] = flat[j + 1]
      end
    end
    out[i] = visible
  end
end
return out
