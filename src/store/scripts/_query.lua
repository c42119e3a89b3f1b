-- Query helpers, inlined into query.lua after its partition locals (base, ids_key, N) and
-- _order.lua (bcmp, top): range bounds in index member space, the per-object check of a where
-- tree, index cardinalities (estimates and exact counts) and candidate enumeration.

-- A term as it appears in a lexical index member (NUL escaped as NUL 0xFF, see lexm()).
local function lesc(t)
  return (string.gsub(t, '%z', '\0\255'))
end

-- The id and the escaped term of a lexical index member.
local function lsplit(m)
  local pos = 1
  while true do
    local i = sfind(m, '\0', pos, true)
    if sbyte(m, i + 1) ~= 255 then return ssub(m, i + 1), ssub(m, 1, i - 1) end
    pos = i + 2
  end
end

local function lookup(list)
  local set = {}
  for _, v in ipairs(list) do set[v] = true end
  return set
end

local function znum(text)
  if text == '-inf' then return -huge end
  if text == '+inf' then return huge end
  return tonumber(text)
end

-- Score range {a, ae, b, be} (texts, exclusive flags) as ZRANGEBYSCORE bounds.
local function zmin(r)
  if r.a == '-inf' then return '-inf' end
  return (r.ae == 1 and '(' or '') .. r.a
end

local function zmax(r)
  if r.b == '+inf' then return '+inf' end
  return (r.be == 1 and '(' or '') .. r.b
end

-- Term range {a?, ae, b?, be} or prefix {p} as ZRANGEBYLEX bounds over lexical index members.
local function lmin(r)
  if r.p then return r.p == '' and '-' or ('[' .. lesc(r.p)) end
  if not r.a then return '-' end
  if r.ae == 1 then return '(' .. lesc(r.a) .. '\0\255' end
  return '[' .. lesc(r.a) .. '\0'
end

local function lmax(r)
  if r.p then return r.p == '' and '+' or ('(' .. lesc(r.p) .. '\255') end
  if not r.b then return '+' end
  if r.be == 1 then return '(' .. lesc(r.b) .. '\0' end
  return '[' .. lesc(r.b) .. '\0\255'
end

-- The same over the ids set, whose members are the raw ids.
local function imin(r)
  if r.p then return r.p == '' and '-' or ('[' .. r.p) end
  if not r.a then return '-' end
  return (r.ae == 1 and '(' or '[') .. r.a
end

local function imax(r)
  if r.p then return r.p == '' and '+' or ('(' .. r.p .. '\255') end
  if not r.b then return '+' end
  return (r.be == 1 and '(' or '[') .. r.b
end

local function num_in(n, r)
  if n < r.lo or (r.ae == 1 and n == r.lo) then return false end
  if n > r.hi or (r.be == 1 and n == r.hi) then return false end
  return true
end

local function lex_in(v, r)
  if r.p then return ssub(v, 1, #r.p) == r.p end
  if r.a then
    local c = bcmp(v, r.a)
    if c < 0 or (c == 0 and r.ae == 1) then return false end
  end
  if r.b then
    local c = bcmp(v, r.b)
    if c > 0 or (c == 0 and r.be == 1) then return false end
  end
  return true
end

local function encoded_tuple(parts)
  local out = {}
  for i, p in ipairs(parts) do out[i] = enc(p) end
  return table.concat(out, ':')
end

-- Resolves hash fields to positions in the per-object HMGET reply and precomputes lookups.
local function prepare(node, need)
  local t = node.t
  if t == 'and' or t == 'or' then
    for _, c in ipairs(node.c) do prepare(c, need) end
  elseif t == 'not' then
    prepare(node.c, need)
  elseif t == 'set' then
    node.i = need(node.h)
    node.in_ = lookup(node.v)
  elseif t == 'num' then
    node.i = need(node.h)
    for _, r in ipairs(node.r) do r.lo, r.hi = znum(r.a), znum(r.b) end
  elseif t == 'lex' or t == 'miss' then
    node.i = need(node.h)
  elseif t == 'id' then
    if node.v then node.in_ = lookup(node.v) end
  elseif t == 'uq' or t == 'uo' then
    node.is = {}
    for k, h in ipairs(node.h) do node.is[k] = need(h) end
    node.in_ = lookup(node.v)
  elseif t == 'cx' then
    node.is = {}
    for k, h in ipairs(node.h) do node.is[k] = need(h) end
    node.li = need(node.lh)
    node.in_ = {}
    for _, alt in ipairs(node.v) do node.in_[encoded_tuple(alt)] = true end
    if node.o == 'n' then
      for _, r in ipairs(node.r) do r.lo, r.hi = znum(r.a), znum(r.b) end
    end
  end
end

-- True when the object (`vals`: its HMGET reply) matches the node.
-- Sorted set of a plug-in index range {k = encoded key part, a, b}.
local function px_key(node, r) return base .. ':x:' .. node.f .. ':' .. r.k end

-- Geo areas, exactly as GEOSEARCH decides them (see _geo.lua); a leaf's hits are read once.
local function geo_key(node) return base .. ':x:' .. node.f .. ':' .. node.k end
local function geo_search(node)
  if not node.hits then node.hits = geo_area_ids(geo_key(node), node) end
  return node.hits
end

local function check(node, id, vals)
  local t = node.t
  if t == 'geo' then return geo_in(geo_key(node), node, id) end
  if t == 'px' then
    for _, r in ipairs(node.r) do
      local s = redis.call('ZSCORE', px_key(node, r), id)
      if s and tonumber(s) >= znum(r.a) and tonumber(s) <= znum(r.b) then return true end
    end
    return false
  end
  if t == 'and' then
    for _, c in ipairs(node.c) do
      if not check(c, id, vals) then return false end
    end
    return true
  elseif t == 'or' then
    for _, c in ipairs(node.c) do
      if check(c, id, vals) then return true end
    end
    return false
  elseif t == 'not' then
    return not check(node.c, id, vals)
  elseif t == 'all' then
    return true
  elseif t == 'none' then
    return false
  elseif t == 'set' then
    local v = vals[node.i]
    if not v then return false end
    if node.a == 1 then
      for _, m in ipairs(cjson.decode(v)) do
        if node.in_[m] then return true end
      end
      return false
    end
    return node.in_[v] == true
  elseif t == 'num' then
    local v = vals[node.i]
    if not v then return false end
    local n = tonumber(v)
    for _, r in ipairs(node.r) do
      if num_in(n, r) then return true end
    end
    return false
  elseif t == 'lex' then
    local v = vals[node.i]
    if not v then return false end
    for _, r in ipairs(node.r) do
      if lex_in(v, r) then return true end
    end
    return false
  elseif t == 'id' then
    if node.in_ then return node.in_[id] == true end
    for _, r in ipairs(node.r) do
      if lex_in(id, r) then return true end
    end
    return false
  elseif t == 'uq' or t == 'uo' then
    local parts = {}
    for k, i in ipairs(node.is) do
      local v = vals[i]
      if not v then return false end
      parts[k] = v
    end
    local term = #parts == 1 and parts[1] or encoded_tuple(parts)
    return node.in_[term] == true
  elseif t == 'cx' then
    local parts = {}
    for k, i in ipairs(node.is) do
      local v = vals[i]
      if not v then return false end
      parts[k] = v
    end
    if not node.in_[encoded_tuple(parts)] then return false end
    local v = vals[node.li]
    if not v then return false end
    for _, r in ipairs(node.r) do
      if node.o == 'n' then
        if num_in(tonumber(v), r) then return true end
      elseif lex_in(v, r) then
        return true
      end
    end
    return false
  elseif t == 'miss' then
    return not vals[node.i]
  end
  return false
end

-- True when every object matching the node has hash field `h` (so it is in that field's index).
local function implies(node, h)
  local t = node.t
  if t == 'num' or t == 'lex' then return node.h == h end
  if t == 'cx' then return node.lh == h end
  if t == 'none' then return true end
  if t == 'and' then
    for _, c in ipairs(node.c) do
      if implies(c, h) then return true end
    end
    return false
  end
  if t == 'or' then
    for _, c in ipairs(node.c) do
      if not implies(c, h) then return false end
    end
    return #node.c > 0
  end
  return false
end

local function set_key(node, term) return base .. ':eq:' .. node.f .. ':' .. enc(term) end
local function num_key(f) return base .. ':num:' .. f end
local function lex_key(f) return base .. ':lex:' .. f end
local function cx_key(node, alt) return base .. ':cx:' .. enc(node.n) .. ':' .. encoded_tuple(alt) end

-- Number of index entries of a leaf: exact for the objects (live or expired) it matches, except
-- for a multi-term array leaf where one object can be counted once per term.
local function leaf_count(node)
  if node.cnt then return node.cnt end
  local t, n = node.t, 0
  if t == 'set' then
    for _, v in ipairs(node.v) do n = n + redis.call('SCARD', set_key(node, v)) end
  elseif t == 'num' then
    for _, r in ipairs(node.r) do n = n + redis.call('ZCOUNT', num_key(node.f), zmin(r), zmax(r)) end
  elseif t == 'lex' then
    for _, r in ipairs(node.r) do n = n + redis.call('ZLEXCOUNT', lex_key(node.f), lmin(r), lmax(r)) end
  elseif t == 'id' then
    if node.v then
      for _, id in ipairs(node.v) do
        if redis.call('ZSCORE', ids_key, id) then n = n + 1 end
      end
    else
      for _, r in ipairs(node.r) do n = n + redis.call('ZLEXCOUNT', ids_key, imin(r), imax(r)) end
    end
  elseif t == 'uq' then
    for _, v in ipairs(node.v) do n = n + redis.call('HEXISTS', base .. ':uq:' .. node.n, v) end
  elseif t == 'px' then
    for _, r in ipairs(node.r) do n = n + redis.call('ZCOUNT', px_key(node, r), r.a, r.b) end
  elseif t == 'geo' then
    n = #geo_search(node)
  elseif t == 'cx' then
    for _, alt in ipairs(node.v) do
      local key = cx_key(node, alt)
      for _, r in ipairs(node.r) do
        if node.o == 'n' then
          n = n + redis.call('ZCOUNT', key, zmin(r), zmax(r))
        else
          n = n + redis.call('ZLEXCOUNT', key, lmin(r), lmax(r))
        end
      end
    end
  end
  node.cnt = n
  return n
end

local LEAF = { set = true, num = true, lex = true, id = true, uq = true, cx = true, px = true, geo = true }

-- Candidates an enumeration of the node reads (the cost of the filter strategy).
local function enum_cost(node)
  if node.ec then return node.ec end
  local t, c = node.t, N
  if LEAF[t] then
    c = leaf_count(node)
  elseif t == 'none' then
    c = 0
  elseif t == 'and' then
    for _, ch in ipairs(node.c) do
      local x = enum_cost(ch)
      if x < c then c = x end
    end
  elseif t == 'or' then
    c = 0
    for _, ch in ipairs(node.c) do c = c + enum_cost(ch) end
    if c > N then c = N end
  elseif t == 'miss' and node.diff then
    c = node.cnt
  end
  node.ec = c
  return c
end

-- Estimated matches (independent conditions), for the cost of walking an ordered index.
local function match_est(node)
  if node.me then return node.me end
  local t, m = node.t, N
  if LEAF[t] then
    m = leaf_count(node)
  elseif t == 'none' then
    m = 0
  elseif t == 'and' then
    for _, ch in ipairs(node.c) do
      if N > 0 then m = m * match_est(ch) / N end
    end
  elseif t == 'or' then
    m = 0
    for _, ch in ipairs(node.c) do m = m + match_est(ch) end
    if m > N then m = N end
  elseif t == 'not' then
    m = N - match_est(node.c)
  elseif t == 'miss' then
    m = node.cnt or N / 2
  end
  node.me = m
  return m
end

local function each(list, emit)
  for _, id in ipairs(list) do emit(id) end
end

local function all_ids(emit)
  local at = 0
  while at < N do
    each(redis.call('ZRANGE', ids_key, at, at + 4999), emit)
    at = at + 5000
  end
end

local function leaf_ids(node, emit)
  local t = node.t
  if t == 'set' then
    for _, v in ipairs(node.v) do each(redis.call('SMEMBERS', set_key(node, v)), emit) end
  elseif t == 'num' then
    for _, r in ipairs(node.r) do each(redis.call('ZRANGEBYSCORE', num_key(node.f), zmin(r), zmax(r)), emit) end
  elseif t == 'lex' then
    for _, r in ipairs(node.r) do
      for _, m in ipairs(redis.call('ZRANGEBYLEX', lex_key(node.f), lmin(r), lmax(r))) do emit((lsplit(m))) end
    end
  elseif t == 'id' then
    if node.v then
      for _, id in ipairs(node.v) do
        if redis.call('ZSCORE', ids_key, id) then emit(id) end
      end
    else
      for _, r in ipairs(node.r) do each(redis.call('ZRANGEBYLEX', ids_key, imin(r), imax(r)), emit) end
    end
  elseif t == 'px' then
    for _, r in ipairs(node.r) do each(redis.call('ZRANGEBYSCORE', px_key(node, r), r.a, r.b), emit) end
  elseif t == 'geo' then
    each(geo_search(node), emit)
  elseif t == 'uq' then
    for _, v in ipairs(node.v) do
      local id = redis.call('HGET', base .. ':uq:' .. node.n, v)
      if id then emit(id) end
    end
  elseif t == 'cx' then
    for _, alt in ipairs(node.v) do
      local key = cx_key(node, alt)
      for _, r in ipairs(node.r) do
        if node.o == 'n' then
          each(redis.call('ZRANGEBYSCORE', key, zmin(r), zmax(r)), emit)
        else
          for _, m in ipairs(redis.call('ZRANGEBYLEX', key, lmin(r), lmax(r))) do emit((lsplit(m))) end
        end
      end
    end
  end
end

-- Emits a superset of the node's matches (maybe with repeats): an AND from its most selective
-- child, an OR as the union of its children, anything else from the ids set.
local function enumerate(node, emit)
  local t = node.t
  if LEAF[t] then
    leaf_ids(node, emit)
  elseif t == 'none' then
    return
  elseif t == 'and' then
    local best
    for _, ch in ipairs(node.c) do
      if best == nil or enum_cost(ch) < enum_cost(best) then best = ch end
    end
    if best == nil or enum_cost(best) >= N then all_ids(emit) else enumerate(best, emit) end
  elseif t == 'or' and enum_cost(node) < N then
    for _, ch in ipairs(node.c) do enumerate(ch, emit) end
  elseif t == 'miss' and node.diff then
    each(redis.call('ZDIFF', 2, ids_key, node.diff), emit)
  else
    all_ids(emit)
  end
end

local function chunk_for(k)
  if k < 0 then return 512 end
  return math.max(16, math.min(512, k + 1))
end
