-- Answers ordered by a field, inlined into query.lua where it stands (it uses that script's
-- locals: Q, S, K, cur, test, before, item, by_id, run_filter and the rest): walk an ordered
-- index source from the cursor, or filter and sort, whichever reads fewer objects (by_field).

-- An ordered source for the sort: an index key (score or lexical members) and the rank range
-- [lo, hi) of a value range in it.
local function source(key, r, name)
  local lo, hi = 0, redis.call('ZCARD', key)
  if r then
    if kind == 'n' then
      if r.a ~= '-inf' then lo = redis.call('ZCOUNT', key, '-inf', (r.ae == 1 and '' or '(') .. r.a) end
      if r.b ~= '+inf' then hi = redis.call('ZCOUNT', key, '-inf', zmax(r)) end
    else
      local a, b = lmin(r), lmax(r)
      if a ~= '-' then lo = redis.call('ZLEXCOUNT', key, '-', (ssub(a, 1, 1) == '[' and '(' or '[') .. ssub(a, 2)) end
      if b ~= '+' then hi = redis.call('ZLEXCOUNT', key, '-', b) end
    end
  end
  if hi < lo then hi = lo end
  return { key = key, lo = lo, hi = hi, size = hi - lo, name = name }
end

-- The cheapest ordered source: the sort field's own index (narrowed by a range condition on
-- it), or a compound index whose leading fields the where fixes and whose last field is sorted.
local function best_source()
  local own = kind == 'n' and num_key(S.f) or lex_key(S.f)
  local cands = {}
  local conds = root.t == 'and' and root.c or { root }
  local narrowed = false
  for _, c in ipairs(conds) do
    if (c.t == 'num' or c.t == 'lex') and c.h == S.h and #c.r == 1 and not narrowed then
      cands[#cands + 1] = source(own, c.r[1], (kind == 'n' and 'num:' or 'lex:') .. S.f)
      narrowed = true
    elseif c.t == 'cx' and c.lh == S.h and c.o == kind and #c.v == 1 and #c.r == 1 then
      cands[#cands + 1] = source(cx_key(c, c.v[1]), c.r[1], 'cx:' .. c.n)
    end
  end
  if not narrowed then cands[#cands + 1] = source(own, nil, (kind == 'n' and 'num:' or 'lex:') .. S.f) end
  if S.x then cands[#cands + 1] = source(cx_key(S.x, S.x.v[1]), nil, 'cx:' .. S.x.n) end
  local best = cands[1]
  for _, c in ipairs(cands) do
    if c.size < best.size then best = c end
  end
  return best
end

-- The rank range [lo, hi) of the cursor value's group in the source, and the first rank after
-- the cursor within it.
local function cursor_ranks(src)
  local key = src.key
  if kind == 'l' then
    local e = lesc(cur.s)
    return redis.call('ZLEXCOUNT', key, '-', '(' .. e .. '\0'),
      redis.call('ZLEXCOUNT', key, '-', '[' .. e .. '\0\255'),
      redis.call('ZLEXCOUNT', key, '-', '[' .. e .. '\0' .. cur.id)
  end
  local glo = redis.call('ZCOUNT', key, '-inf', '(' .. cur.s)
  local ghi = redis.call('ZCOUNT', key, '-inf', cur.s)
  local a, b = glo, ghi
  while a < b do
    local mid = floor((a + b) / 2)
    if bcmp(redis.call('ZRANGE', key, mid, mid)[1], cur.id) > 0 then b = mid else a = mid + 1 end
  end
  return glo, ghi, a
end

-- Walks an ordered source in result order from the cursor, keeping the first k matches.
-- Descending order emits value groups from the highest, each in ascending id order.
local function walk_source(src, node, k)
  local items, chunk, key, lo, hi = {}, chunk_for(k), src.key, src.lo, src.hi
  local function take(id)
    local vals = test(id, node)
    if vals then
      items[#items + 1] = item(id, vals)
      return k >= 0 and #items >= k
    end
    return false
  end
  local function id_of(m)
    if kind == 'l' then return (lsplit(m)) end
    return m
  end
  local function run(a, b)
    for _, m in ipairs(redis.call('ZRANGE', key, a, b)) do
      if take(id_of(m)) then return true end
    end
    return false
  end
  if not desc then
    local r = lo
    if cur and cur.v ~= nil then
      local _, _, first = cursor_ranks(src)
      if first > r then r = first end
    end
    while r < hi do
      local b = math.min(r + chunk - 1, hi - 1)
      if run(r, b) then return items end
      r, chunk = b + 1, math.min(chunk * 2, 2048)
    end
    return items
  end
  local topr, grp = hi, nil
  if cur and cur.v ~= nil then
    local glo, ghi, first = cursor_ranks(src)
    grp = { pos = math.max(first, lo), stop = math.min(ghi, hi) }
    topr = math.min(glo, hi)
  end
  while true do
    if grp then
      if grp.pos >= grp.stop then
        grp = nil
      else
        local b = math.min(grp.pos + chunk - 1, grp.stop - 1)
        if run(grp.pos, b) then return items end
        grp.pos, chunk = b + 1, math.min(chunk * 2, 2048)
      end
    else
      if topr <= lo then return items end
      local a = math.max(lo, topr - chunk)
      local ids, gk, raw = {}, {}, {}
      if kind == 'n' then
        local r = redis.call('ZRANGE', key, a, topr - 1, 'WITHSCORES')
        for i = 1, #r, 2 do
          ids[#ids + 1] = r[i]
          raw[#raw + 1] = r[i + 1]
          gk[#gk + 1] = tonumber(r[i + 1])
        end
      else
        for i, m in ipairs(redis.call('ZRANGE', key, a, topr - 1)) do
          local id, e = lsplit(m)
          ids[i], gk[i] = id, e
        end
      end
      local starts = { 1 }
      for i = 2, #ids do
        if gk[i] ~= gk[i - 1] then starts[#starts + 1] = i end
      end
      local first = a == lo and 1 or 2
      if first > #starts then
        -- One value fills the batch and may continue below it: walk that group by rank.
        local glo
        if kind == 'n' then
          glo = redis.call('ZCOUNT', key, '-inf', '(' .. raw[1])
        else
          glo = redis.call('ZLEXCOUNT', key, '-', '(' .. gk[1] .. '\0')
        end
        if glo < lo then glo = lo end
        grp = { pos = glo, stop = topr }
        topr = glo
      else
        for g = #starts, first, -1 do
          local s, e = starts[g], (starts[g + 1] or (#ids + 1)) - 1
          for i = s, e do
            if take(ids[i]) then return items end
          end
        end
        topr = first == 2 and (a + starts[2] - 1) or a
      end
      chunk = math.min(chunk * 2, 2048)
    end
  end
end

-- Matches ordered by a field: walk an ordered source (then the objects without the field, by
-- id), or filter and sort, whichever reads fewer objects.
local function by_field(k)
  if S.g then return top(run_filter(root), k, before), 'filter:distance' end
  -- Objects without the sorted field: all but those in its index (a score index holds ids, so
  -- ZDIFF lists them).
  local own = kind == 'n' and num_key(S.f) or lex_key(S.f)
  local miss = { t = 'miss', h = S.h, i = S.i, cnt = N - redis.call('ZCARD', own) }
  if kind == 'n' then miss.diff = own end
  local missing = { t = 'and', c = { root, miss } }
  local implied = miss.cnt == 0 or implies(root, S.h)
  local in_missing = cur ~= nil and cur.v == nil
  local src = best_source()
  local walk
  if k < 0 then
    walk = src.size
  else
    walk = math.min(src.size, k * src.size / math.max(match_est(root), 1))
  end
  if not implied and (k < 0 or in_missing) then walk = walk + enum_cost(missing) end
  if walk > enum_cost(root) then return top(run_filter(root), k, before), 'filter' end
  local items = {}
  if not in_missing then items = walk_source(src, root, k) end
  local strategy = 'walk:' .. src.name
  if not implied and (k < 0 or #items < k) then
    local rest, how = by_id(missing, k < 0 and -1 or k - #items, in_missing and cur.id or nil, false)
    for _, it in ipairs(rest) do items[#items + 1] = it end
    strategy = strategy .. '+missing:' .. how
  end
  return items, strategy
end
