-- Full-text matching and BM25 ranking over one partition's postings (see text_update in
-- _object.lua for the layout), inlined after _object.lua, _order.lua (top) and _edits.lua. A compiled text query X
-- (src/search/text-plan.ts) holds: n the node tree, f {field = weight}, k1 and b, mx the most terms
-- a prefix or fuzzy word may expand to, and g the statistics to rank with (absent: this
-- partition's own, which is exact when the model has one partition). Nodes:
--   {y='t', i=leaf number, m='e'|'p'|'f', d=edits, a={{field, term or prefix}, ...}} a word
--   {y='p', a={{field, {{relative position, term}, ...}}, ...}} a phrase
--   {y='a', c={...}} and, {y='o', c={...}} or, {y='n', c=node} not

-- The dictionary terms a prefix or fuzzy word stands for, as {field, term} pairs.
local function text_expand(base, leaf, mx)
  local out = {}
  for _, alt in ipairs(leaf.a) do
    local f, w = alt[1], alt[2]
    local buckets
    if leaf.m == 'p' and #w >= 2 then
      buckets = { dict_bucket(w) }
    elseif leaf.m == 'p' then
      buckets = redis.call('ZRANGEBYLEX', base .. ':wdb:' .. f, '[' .. w, '(' .. w .. '\255')
    else
      buckets = redis.call('ZRANGE', base .. ':wdb:' .. f, 0, -1)
    end
    local q = leaf.m == 'f' and utf8_chars(w)
    for _, bucket in ipairs(buckets) do
      local key = dict_key(base, f, bucket)
      if leaf.m == 'p' then
        for _, t in ipairs(redis.call('ZRANGEBYLEX', key, '[' .. w, '(' .. w .. '\255', 'LIMIT', 0, mx + 1 - #out)) do
          out[#out + 1] = { f, t }
        end
      else
        for _, t in ipairs(redis.call('ZRANGE', key, 0, -1)) do
          if math.abs(#t - #w) <= 4 * leaf.d and within_edits(q, utf8_chars(t), leaf.d) then out[#out + 1] = { f, t } end
        end
      end
      if #out > mx then break end
    end
  end
  if #out > mx then
    error({ err = 'E_QUERY_TOO_BROAD ' .. leaf.i .. ' ' .. mx })
  end
  return out
end

-- This partition's statistics for X: n and l (objects with a value, total length) per field,
-- d[field][term] document frequencies, e[leaf number] the expansions of prefix and fuzzy words.
local function text_stats(base, X)
  local g = { n = {}, l = {}, d = {}, e = {} }
  for f in pairs(X.f) do
    local v = redis.call('HMGET', base .. ':ws', 'n:' .. f, 'l:' .. f)
    g.n[f], g.l[f], g.d[f] = tonumber(v[1] or '0'), tonumber(v[2] or '0'), {}
  end
  local function df(f, t)
    if g.d[f][t] == nil then
      local m = text_meta(base, f, t)
      g.d[f][t] = m and m.df or redis.call('ZCARD', base .. ':w:' .. f .. ':' .. enc(t))
    end
  end
  local function walk(node)
    if node.y == 't' then
      local alts = node.a
      if node.m ~= 'e' then
        alts = text_expand(base, node, X.mx)
        g.e[tostring(node.i)] = alts
      end
      for _, a in ipairs(alts) do df(a[1], a[2]) end
    elseif node.y == 'p' then
      for _, alt in ipairs(node.a) do
        for _, item in ipairs(alt[2]) do df(alt[1], item[2]) end
      end
    elseif node.y == 'n' then
      walk(node.c)
    else
      for _, c in ipairs(node.c) do walk(c) end
    end
  end
  walk(X.n)
  return g
end

-- True when the stream's terms hold the phrase: each {relative position, term} at its place.
local function has_phrase(terms, seq)
  local first = seq[1][2]
  for p = 1, #terms do
    if terms[p] == first then
      local ok = true
      for j = 2, #seq do
        if terms[p + seq[j][1]] ~= seq[j][2] then
          ok = false
          break
        end
      end
      if ok then return true end
    end
  end
  return false
end

local function ids_of(map)
  local list = {}
  for id in pairs(map) do list[#list + 1] = id end
  return list
end

-- Calls fn(id, score) for each posting of term t in field f (score nil unless with_scores), of the
-- candidate ids `cand`, or of every object when cand is nil: a big term's candidates are looked
-- up bucket by bucket.
local function read_postings(base, f, t, cand, with_scores, fn)
  if cand == nil then
    for _, key in ipairs(posting_keys(base, f, t)) do
      if with_scores then
        local flat = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
        for i = 1, #flat, 2 do fn(flat[i], tonumber(flat[i + 1])) end
      else
        for _, id in ipairs(redis.call('ZRANGE', key, 0, -1)) do fn(id, nil) end
      end
    end
    return
  end
  local prefix = base .. ':w:' .. f .. ':' .. enc(t)
  local m = text_meta(base, f, t)
  local groups = m and by_bucket(m, cand) or { [''] = cand }
  for j, list in pairs(groups) do
    local key = j == '' and prefix or prefix .. ':' .. j
    for at = 1, #list, 4000 do
      local chunk = #list <= 4000 and list or { unpack(list, at, math.min(at + 3999, #list)) }
      local scores = redis.call('ZMSCORE', key, unpack(chunk))
      for i = 1, #chunk do
        local sc = scores[i]
        if sc then fn(chunk[i], tonumber(sc)) end
      end
    end
  end
end

-- The evaluator of X on one partition: eval(node, cand) returns id -> BM25 score of the objects
-- matching the node (among the candidate ids when cand is given). stream_of(id, field) reads an
-- object's token stream (for phrases); universe(cand) returns id -> 0 for the candidate ids, or for
-- every object when cand is nil (for NOT without a positive side); total is the object count.
local function text_engine(base, X, stream_of, universe, total)
  local g = X.g or text_stats(base, X)
  local k1, b = X.k1, X.b
  local info = {}
  for f, w in pairs(X.f) do
    local n = g.n[f] or 0
    local avg = n > 0 and (g.l[f] or 0) / n or 1
    if avg <= 0 then avg = 1 end
    info[f] = { w = w, n = n, avg = avg }
  end
  local function df(f, t)
    local d = g.d[f]
    return d and d[t] or 0
  end
  local function alts_of(node)
    if node.m == 'e' then return node.a end
    return g.e[tostring(node.i)] or {}
  end

  -- A (field, term)'s BM25 constants, computed once per query: weight * idf, and the parts of the
  -- length normalization. A posting's part is wi * tf * (k1 + 1) / (tf + norm + scale * len),
  -- written the same in add_term and part so that full evaluation and top-k reads agree to the bit.
  local constants = {}
  local function term_constants(f, t)
    local key = f .. '\0' .. t
    local c = constants[key]
    if c == nil then
      local F, d = info[f], df(f, t)
      c = { wi = F.w * math.log(1 + (F.n - d + 0.5) / (d + 0.5)), norm = k1 * (1 - b), scale = k1 * b / F.avg }
      constants[key] = c
    end
    return c
  end

  -- Adds the BM25 contribution of term t in field f to acc, for the candidates (or all postings).
  local function add_term(acc, f, t, cand)
    local c = term_constants(f, t)
    local wi, norm, scale = c.wi, c.norm, c.scale
    read_postings(base, f, t, cand, true, function(id, packed)
      local tf = packed % 1024
      local len = (packed - tf) / 1024
      acc[id] = (acc[id] or 0) + wi * tf * (k1 + 1) / (tf + norm + scale * len)
    end)
  end

  local estimates = {}
  local function estimate(node)
    if estimates[node] then return estimates[node] end
    local e = 0
    if node.y == 't' then
      for _, a in ipairs(alts_of(node)) do e = e + df(a[1], a[2]) end
    elseif node.y == 'p' then
      for _, alt in ipairs(node.a) do
        local m = total
        for _, item in ipairs(alt[2]) do m = math.min(m, df(alt[1], item[2])) end
        e = e + m
      end
    elseif node.y == 'o' then
      for _, c in ipairs(node.c) do e = e + estimate(c) end
    elseif node.y == 'a' then
      e = total
      for _, c in ipairs(node.c) do
        if c.y ~= 'n' then e = math.min(e, estimate(c)) end
      end
    else
      e = total
    end
    estimates[node] = e
    return e
  end

  local eval
  local function phrase(f, seq, cand)
    local order = {}
    for i, item in ipairs(seq) do order[i] = item end
    table.sort(order, function(x, y) return df(f, x[2]) < df(f, y[2]) end)
    local acc = nil
    for _, item in ipairs(order) do
      local m = {}
      add_term(m, f, item[2], acc and ids_of(acc) or cand)
      if acc then
        for id, s in pairs(m) do m[id] = s + acc[id] end
      end
      acc = m
      if next(acc) == nil then return acc end
    end
    local out = {}
    for id, s in pairs(acc) do
      local stream = stream_of(id, f)
      if stream and has_phrase(split_stream(stream), seq) then out[id] = s end
    end
    return out
  end

  eval = function(node, cand)
    local y = node.y
    local acc = {}
    if y == 't' then
      for _, a in ipairs(alts_of(node)) do add_term(acc, a[1], a[2], cand) end
    elseif y == 'p' then
      for _, alt in ipairs(node.a) do
        for id, s in pairs(phrase(alt[1], alt[2], cand)) do acc[id] = (acc[id] or 0) + s end
      end
    elseif y == 'o' then
      for _, c in ipairs(node.c) do
        for id, s in pairs(eval(c, cand)) do acc[id] = (acc[id] or 0) + s end
      end
    elseif y == 'n' then
      acc = universe(cand)
      for id in pairs(eval(node.c, ids_of(acc))) do acc[id] = nil end
    else
      local pos, neg = {}, {}
      for _, c in ipairs(node.c) do
        if c.y == 'n' then neg[#neg + 1] = c.c else pos[#pos + 1] = c end
      end
      table.sort(pos, function(p, q) return estimate(p) < estimate(q) end)
      if #pos == 0 then
        acc = universe(cand)
        for _, c in ipairs(neg) do
          if next(acc) == nil then break end
          for id in pairs(eval(c, ids_of(acc))) do acc[id] = nil end
        end
      else
        -- the rarest side's matches with their scores, then each other side's scores for the
        -- matches so far (an object it does not match drops out)
        acc = eval(pos[1], cand)
        for i = 2, #pos do
          if next(acc) == nil then break end
          local more = eval(pos[i], ids_of(acc))
          for id, s in pairs(acc) do
            local add = more[id]
            acc[id] = add and s + add or nil
          end
        end
        for _, c in ipairs(neg) do
          if next(acc) == nil then break end
          for id in pairs(eval(c, ids_of(acc))) do acc[id] = nil end
        end
      end
    end
    return acc
  end

  -- The score a (field, term) posting with this tf and length adds.
  local function part(f, t, tf, len)
    local c = term_constants(f, t)
    return c.wi * tf * (k1 + 1) / (tf + c.norm + c.scale * len)
  end

  -- The most a (field, term) posting of impact level at least `level` (see head_score, taken at
  -- average length A) adds with k1 = 1.2 and b = 0.75: at another average length, its part is at
  -- most avg / A times the impact.
  local function impact_bound(f, t, level, A)
    return term_constants(f, t).wi * (2.2 - level * 2.2 / IMPACT_LEVELS) * math.max(1, info[f].avg / A)
  end

  -- The most a (field, term) posting with tf at most maxtf and length / tf at least r adds:
  -- tf (k1 + 1) / (tf + k1 (1 - b) + k1 b len / avg) <= (k1 + 1) / (1 + k1 (1 - b) / maxtf + k1 b r / avg).
  local function bound(f, t, maxtf, r)
    return term_constants(f, t).wi * (k1 + 1) / (1 + k1 * (1 - b) / maxtf + k1 * b * r / info[f].avg)
  end

  -- The postings of positive words and phrase terms (not under NOT), each with the number of
  -- times the query scores it (m): a score is at most the sum of m times each posting's part.
  local function positive_lists(root)
    local lists, seen = {}, {}
    local function add(f, t)
      local key = base .. ':w:' .. f .. ':' .. enc(t)
      local L = seen[key]
      if L then
        L.m = L.m + 1
      else
        L = { f = f, t = t, key = key, m = 1 }
        seen[key] = L
        lists[#lists + 1] = L
      end
    end
    local function walk(node)
      if node.y == 't' then
        for _, a in ipairs(alts_of(node)) do add(a[1], a[2]) end
      elseif node.y == 'p' then
        for _, alt in ipairs(node.a) do
          for _, item in ipairs(alt[2]) do add(alt[1], item[2]) end
        end
      elseif node.y ~= 'n' then
        for _, c in ipairs(node.c) do walk(c) end
      end
    end
    walk(root)
    return lists, seen
  end

  return {
    base = base,
    X = X,
    total = total,
    eval = eval,
    alts_of = alts_of,
    estimate = estimate,
    bound = bound,
    impact_bound = impact_bound,
    part = part,
    positive_lists = positive_lists,
    -- every object matching X with its BM25 score: a table id -> score
    hits = function() return eval(X.n, nil) end,
  }
end

-- @include _text_top.lua
