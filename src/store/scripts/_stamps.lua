-- Stamps of stamped writes ('epoch:ordinal:index', each part a non-negative integer below 2^53),
-- inlined by `-- @include _stamps.lua`.
local function stamp_parts(s)
  local e, o, i = string.match(s, '^(%d+):(%d+):(%d+)$')
  return tonumber(e), tonumber(o), tonumber(i)
end

-- True when stamp `a` is newer than stamp `b`.
local function stamp_newer(a, b)
  local ae, ao, ai = stamp_parts(a)
  local be, bo, bi = stamp_parts(b)
  if be == nil then return true end
  if ae ~= be then return ae > be end
  if ao ~= bo then return ao > bo end
  return ai > bi
end

-- The sort score of a stamp's tombstone: its ordinal (exact below 2^53). A tombstone is dropped
-- once the sync's checkpoint passes its transaction, so the index within it does not matter, and
-- the tombstones of an older epoch are all dropped by the sweep that starts a new one.
local function stamp_score(s)
  local _, o = stamp_parts(s)
  return o
end

-- Drops at most `limit` tombstones of transactions before stamp `before`'s.
local function prune_tombstones(tombs, tomb_order, before, limit)
  local old = redis.call('ZRANGE', tomb_order, '-inf', '(' .. stamp_score(before), 'BYSCORE', 'LIMIT', 0, limit)
  if #old > 0 then
    redis.call('HDEL', tombs, unpack(old))
    redis.call('ZREM', tomb_order, unpack(old))
  end
end
