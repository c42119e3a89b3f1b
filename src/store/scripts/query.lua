#!lua flags=no-writes
-- Answers one query on one partition in a single call: picks how to find candidates from the
-- index cardinalities, checks every condition per candidate, orders, pages after a cursor and
-- returns rows, ids or a count. Expired objects (expiry <= server time) never match.
-- KEYS[1] ids: the partition's sorted set of ids (score 0); the partition's hash tag is its prefix
-- KEYS[2] expiry: the partition's sorted set of expiry times (ms) by id
-- ARGV[1] query: the compiled query as JSON (see src/store/query-compile.ts): m mode (rows, ids,
--   count), w where tree, s order, k most items to return (-1 for all), c cursor, sel fields,
--   x a full-text query (see _text.lua), tt 1 to count every text match even when ranking a top k
-- returns unknown[]: {count (count mode; text queries: their matches, or -1 when not counted) or 0, strategy, objects examined, server microseconds
--   spent, items as a JSON array of [id, sort value text or false (missing, or ordered by id),
--   rows only: flat field/value list (with the hidden '$' fields unless fields are selected)]}
-- error E_QUERY_TOO_BROAD: a prefix or fuzzy word stands for too many terms (detail: leaf, limit)
-- @include _object.lua
local Q = cjson.decode(ARGV[1])
local ids_key, exp_key = KEYS[1], KEYS[2]
local base = string.sub(ids_key, 1, -5)
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local N = redis.call('ZCARD', ids_key)
local K = Q.k

-- Expired objects: usually none; a few are looked up in a table, many one by one.
local nexp = redis.call('ZCOUNT', exp_key, '-inf', now)
local dead, dead_list
if nexp > 0 and nexp <= 20000 then
  dead_list, dead = redis.call('ZRANGEBYSCORE', exp_key, '-inf', now), {}
  for _, id in ipairs(dead_list) do dead[id] = true end
end
local function alive(id)
  if nexp == 0 then return true end
  if dead then return not dead[id] end
  local at = redis.call('ZSCORE', exp_key, id)
  return not (at and tonumber(at) <= now)
end

-- @include _geo.lua
-- @include _order.lua
-- @include _query.lua
-- @include _edits.lua
-- @include _text.lua

-- Hash fields every candidate is read for: '$v' (existence) first, then what the checks need.
local hfields, hpos = {}, {}
local function need(h)
  if not hpos[h] then
    hfields[#hfields + 1] = h
    hpos[h] = #hfields + 1
  end
  return hpos[h]
end
local root = Q.w
prepare(root, need)
local S = Q.s
local kind, desc = S.k, S.d == 'd'
-- S.r: ordered by text relevance (the BM25 score, not a field); S.g: by distance (see item)
if kind ~= 'i' and not S.r and not S.g then S.i = need(S.h) end

local examined = 0
local NO_FIELDS = {}
-- The HMGET reply of a live object matching `node`, or nil. Every candidate exists (indexes and
-- the ids set hold existing objects only), so nothing is read when no condition reads a field.
local function test(id, node)
  if not alive(id) then return nil end
  examined = examined + 1
  if #hfields == 0 then return check(node, id, NO_FIELDS) and NO_FIELDS or nil end
  local vals = redis.call('HMGET', base .. ':h:' .. enc(id), '$v', unpack(hfields))
  if not vals[1] or not check(node, id, vals) then return nil end
  return vals
end

-- Result order: sort value (missing last) in the asked direction, then id ascending.
local function before(x, y)
  if kind == 'i' then
    local c = bcmp(x.id, y.id)
    if desc then return c > 0 end
    return c < 0
  end
  local a, b = x.v, y.v
  if a == nil or b == nil then
    if a ~= nil then return true end
    if b ~= nil then return false end
    return bcmp(x.id, y.id) < 0
  end
  if a ~= b then
    local lt
    if kind == 'n' then lt = a < b else lt = bcmp(a, b) < 0 end
    if desc then return not lt end
    return lt
  end
  return bcmp(x.id, y.id) < 0
end

-- S.g: ordered by distance (meters) from a point, by the object's point in a geo plug-in's geo set
local near_key = S.g and (base .. ':x:' .. S.g.f .. ':' .. S.g.k)
local function item(id, vals)
  if kind == 'i' then return { id = id } end
  if near_key then
    local pos = redis.call('GEOPOS', near_key, id)[1]
    if not pos then return { id = id } end
    local d = geo_dist(tonumber(pos[1]), tonumber(pos[2]), tonumber(S.g.lon), tonumber(S.g.lat))
    return { id = id, s = string.format('%.17g', d), v = d }
  end
  local s = vals[S.i]
  if not s then return { id = id } end
  return { id = id, s = s, v = kind == 'n' and tonumber(s) or s }
end

local cur
if Q.c then
  cur = { id = Q.c.i }
  if kind ~= 'i' and Q.c.v then cur.s = Q.c.v; cur.v = kind == 'n' and tonumber(Q.c.v) or Q.c.v end
end

-- Filter strategy: enumerate candidates, check each, keep those after the cursor.
local EXACT = { set = true, num = true, uq = true, id = true, px = true, geo = true }

-- Keeps the candidates that are members of an index leaf, with one command per index key
-- (SMISMEMBER, ZMSCORE) instead of reading every candidate's hash.
local BULK = { set = true, num = true, geo = true }
local function bulk_keep(c, list)
  local keep = {}
  for at = 1, #list, 4000 do
    local chunk = { unpack(list, at, math.min(at + 3999, #list)) }
    local off = at - 1
    local function mark_chunk(reply, ok)
      for i, v in ipairs(reply) do
        if ok(v) then keep[list[off + i]] = true end
      end
    end
    if c.t == 'set' then
      for _, v in ipairs(c.v) do mark_chunk(redis.call('SMISMEMBER', set_key(c, v), unpack(chunk)), function(x) return x == 1 end) end
    elseif c.t == 'num' then
      local scores = redis.call('ZMSCORE', num_key(c.f), unpack(chunk))
      mark_chunk(scores, function(x)
        if not x then return false end
        local n = tonumber(x)
        for _, r in ipairs(c.r) do
          if num_in(n, r) then return true end
        end
        return false
      end)
    end
  end
  if c.t == 'geo' then
    local hits = {}
    for _, id in ipairs(geo_search(c)) do hits[id] = true end
    for _, id in ipairs(list) do
      if hits[id] then keep[id] = true end
    end
  end
  local out = {}
  for _, id in ipairs(list) do
    if keep[id] then out[#out + 1] = id end
  end
  return out
end

-- An AND of set, score and geo leaves ordered by id: candidates from the most selective leaf,
-- then bulk membership for the others; no object is read (nil when the node is not one).
local function bulk_and(node)
  if node ~= root or node.t ~= 'and' or kind ~= 'i' then return nil end
  local best
  for _, c in ipairs(node.c) do
    if not BULK[c.t] then return nil end
    if best == nil or enum_cost(c) < enum_cost(best) then best = c end
  end
  local list, seen = {}, {}
  enumerate(best, function(id)
    if not seen[id] then
      seen[id] = true
      list[#list + 1] = id
    end
  end)
  for _, c in ipairs(node.c) do
    if c ~= best and #list > 0 then list = bulk_keep(c, list) end
  end
  return list
end

local function run_filter(node)
  local bulk = bulk_and(node)
  if bulk then
    local items = {}
    for _, id in ipairs(bulk) do
      if alive(id) and not (cur and not before(cur, { id = id })) then
        examined = examined + 1
        items[#items + 1] = { id = id }
      end
    end
    return items
  end
  local seen, items = {}, {}
  -- These leaves enumerate exactly their matches: ordered by id, nothing needs reading but liveness.
  local exact = node == root and EXACT[node.t] and kind == 'i'
  enumerate(node, function(id)
    if seen[id] then return end
    seen[id] = true
    if kind == 'i' and cur and not before(cur, { id = id }) then return end
    local vals
    if exact then
      if alive(id) then
        examined = examined + 1
        vals = NO_FIELDS
      end
    else
      vals = test(id, node)
    end
    if vals then
      local it = item(id, vals)
      if cur == nil or before(cur, it) then items[#items + 1] = it end
    end
  end)
  return items
end

-- Walks the ids set in id order after `after`, keeping the first k matches.
local function walk_ids(node, k, after, rev)
  local items, chunk = {}, chunk_for(k)
  if rev then
    local r = after and redis.call('ZLEXCOUNT', ids_key, '-', '(' .. after) or N
    while r > 0 do
      local a = math.max(0, r - chunk)
      local list = redis.call('ZRANGE', ids_key, a, r - 1)
      for i = #list, 1, -1 do
        if test(list[i], node) then
          items[#items + 1] = { id = list[i] }
          if k >= 0 and #items >= k then return items end
        end
      end
      r, chunk = a, math.min(chunk * 2, 2048)
    end
    return items
  end
  local r = after and redis.call('ZLEXCOUNT', ids_key, '-', '[' .. after) or 0
  while r < N do
    local list = redis.call('ZRANGE', ids_key, r, r + chunk - 1)
    for _, id in ipairs(list) do
      if test(id, node) then
        items[#items + 1] = { id = id }
        if k >= 0 and #items >= k then return items end
      end
    end
    r, chunk = r + chunk, math.min(chunk * 2, 2048)
  end
  return items
end

-- Matches in id order (ascending, or descending when `rev`): walk the ids set or filter,
-- whichever reads fewer objects.
local function by_id(node, k, after, rev)
  local walk = N
  if k >= 0 then walk = math.min(N, k * N / math.max(match_est(node), 1)) end
  if walk <= enum_cost(node) then return walk_ids(node, k, after, rev), 'walk' end
  return top(run_filter(node), k, before), 'filter'
end

-- @include _query_sorted.lua

-- Exact number of objects (live or expired) matching the node from index sizes alone, or nil.
local function index_count(node)
  local t = node.t
  if t == 'all' then return N end
  if t == 'none' then return 0 end
  if t == 'not' then
    local c = index_count(node.c)
    return c and N - c
  end
  if t == 'set' and node.a == 1 and #node.v > 1 then return nil end
  if t == 'px' and #node.r > 1 then return nil end -- one object can sit in several ranges
  if LEAF[t] then return leaf_count(node) end
  if t == 'and' and #node.c >= 2 then
    local keys = {}
    for _, c in ipairs(node.c) do
      if c.t ~= 'set' or #c.v ~= 1 then return nil end
      keys[#keys + 1] = set_key(c, c.v[1])
    end
    return redis.call('SINTERCARD', #keys, unpack(keys))
  end
  return nil
end

-- Full-text queries: every text match is a candidate, checked against the where tree, then
-- counted or ordered by relevance or by the sort field.
local function text_answer()
  local function stream_of(id, f) return redis.call('HGET', base .. ':h:' .. enc(id), '$w:' .. f) end
  local function universe(cand)
    local all = {}
    for _, id in ipairs(cand or redis.call('ZRANGE', ids_key, 0, -1)) do all[id] = 0 end
    return all
  end
  local engine = text_engine(base, Q.x, stream_of, universe, N)
  if S.r and K > 0 and Q.m ~= 'count' and not Q.tt then
    local function keep(id) return test(id, root) ~= nil end
    local best = text_top(engine, K, keep, before, cur)
    if best then
      for _, it in ipairs(best) do it.s = string.format('%.17g', it.v) end
      return -1, best, 'text:top'
    end
  end
  local hits = engine.hits()
  local total, items = 0, {}
  for id, score in pairs(hits) do
    local vals = test(id, root)
    if vals then
      total = total + 1
      local it
      if S.r then
        it = { id = id, s = string.format('%.17g', score), v = score }
      else
        it = item(id, vals)
      end
      if cur == nil or before(cur, it) then items[#items + 1] = it end
    end
  end
  if Q.m == 'count' then return total, nil, 'text:count' end
  return total, top(items, K, before), 'text:all'
end

local out
if Q.x then
  local total, items, strategy = text_answer()
  out = { total, strategy, examined, 0, items }
elseif Q.m == 'count' then
  local total, strategy = index_count(root), 'count:index'
  if total ~= nil and nexp > 0 then
    if dead_list and #dead_list <= total then
      for _, id in ipairs(dead_list) do
        examined = examined + 1
        local vals = redis.call('HMGET', base .. ':h:' .. enc(id), '$v', unpack(hfields))
        if vals[1] and check(root, id, vals) then total = total - 1 end
      end
      strategy = 'count:index-expired'
    else
      total = nil
    end
  end
  if total == nil then
    total, strategy = 0, 'count:filter'
    local seen = {}
    enumerate(root, function(id)
      if seen[id] then return end
      seen[id] = true
      if test(id, root) then total = total + 1 end
    end)
  end
  out = { total, strategy, examined, 0 }
else
  local items, strategy
  if kind == 'i' then
    items, strategy = by_id(root, K, cur and cur.id or nil, desc)
    strategy = strategy .. ':id'
  else
    items, strategy = by_field(K)
  end
  out = { 0, strategy, examined, 0, items }
end
if Q.m ~= 'count' then
  local list = {}
  for n, it in ipairs(out[5]) do
    local entry = { it.id, it.s or false }
    if Q.m == 'rows' then
      local key = base .. ':h:' .. enc(it.id)
      if Q.sel == nil then
        entry[3] = redis.call('HGETALL', key) -- hidden '$' fields included; the client skips them
      else
        local flat = {}
        if #Q.sel > 0 then
          local vals = redis.call('HMGET', key, unpack(Q.sel))
          for i, f in ipairs(Q.sel) do
            if vals[i] then
              flat[#flat + 1] = f
              flat[#flat + 1] = vals[i]
            end
          end
        end
        entry[3] = flat
      end
    end
    list[n] = entry
  end
  out[5] = #list > 0 and cjson.encode(list) or '[]'
end
local done = redis.call('TIME')
out[4] = (tonumber(done[1]) - tonumber(clock[1])) * 1000000 + tonumber(done[2]) - tonumber(clock[2])
return out
