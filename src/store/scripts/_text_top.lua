-- Top-k reads of a text query (text_top), inlined at the end of _text.lua (it uses the engine).

-- The k best matches of the engine's query (score descending, id ascending; only those `before`
-- puts after `after` when given) that keep(id) accepts, as items {id, v = score}, without reading every
-- posting (a threshold algorithm): every positive posting list is read at its best end (a small
-- term's whole set, a big term's head, both with each posting's length and tf), the objects met
-- are scored exactly (for a word or an OR of words, only those whose known part plus the bounds
-- of the lists that did not show them could reach the k-th best), and the answer stands when the
-- k-th best beats what an object met nowhere could score: past a big term's head cut, a posting
-- has length / tf at least the cut's, which bounds its part whatever k1, b and the average length.
-- Until then the open list cheapest to read is read whole. Returns nil when a full evaluation
-- suits the query better.
local FULL_EVALUATION_MAX = 400
local function text_top(engine, k, keep, before, after)
  local base, X, total = engine.base, engine.X, engine.total
  -- every match must be in a positive posting: not so for a NOT outside an AND with a positive side
  local function covered(node)
    if node.y == 't' or node.y == 'p' then return true end
    if node.y == 'n' then return false end
    local any, all = false, true
    for _, c in ipairs(node.c) do
      local yes = covered(c)
      any, all = any or yes, all and yes
    end
    if node.y == 'a' then return any end
    return all
  end
  if not covered(X.n) or X.b < 0 or X.k1 < 0 then return nil end
  -- a full evaluation reads about this many postings; few are cheaper than the reads below
  local budget = engine.estimate(X.n)
  if X.g then
    -- the estimate counts documents of every partition: scale it to this one's share
    local everywhere = 0
    for _, n in pairs(X.g.n) do everywhere = math.max(everywhere, n) end
    if everywhere > 0 then budget = budget * math.min(1, total / everywhere) end
  end
  if budget <= FULL_EVALUATION_MAX then return nil end
  local lists, by_key = engine.positive_lists(X.n)
  if #lists == 0 or #lists > 32 then return nil end
  -- a word or an OR of words scores the sum of its lists' parts: an object's known parts bound it
  local function sum_of_parts(node)
    if node.y == 't' then return true end
    if node.y ~= 'o' then return false end
    for _, c in ipairs(node.c) do
      if not sum_of_parts(c) then return false end
    end
    return true
  end
  local partial = sum_of_parts(X.n) and after == nil
  local known, order = {}, {}
  local function note(i, id, part)
    local K = known[id]
    if K == nil then
      K = { s = 0 }
      known[id] = K
      order[#order + 1] = id
    end
    if not K[i] then
      K[i] = part
      K.s = K.s + part
    end
  end
  -- a list is complete once every posting it has is known; until then L.bound bounds the part
  -- of a posting it has not shown
  local heads = {}
  for i, L in ipairs(lists) do
    L.i = i
    local m = text_meta(base, L.f, L.t)
    if m then
      L.head = base .. ':wt:' .. L.f .. ':' .. enc(L.t)
      L.pos, L.df, L.cut, L.avg, L.q = 0, m.df, m.T, m.A, m.Q
      L.maxtf = tonumber(redis.call('HGET', base .. ':wm:' .. L.f, L.t) or '1')
      heads[#heads + 1] = L
    else
      local flat = redis.call('ZRANGE', L.key, 0, -1, 'WITHSCORES')
      for j = 1, #flat, 2 do
        local packed = tonumber(flat[j + 1])
        note(i, flat[j], L.m * engine.part(L.f, L.t, posting_tf(packed), posting_len(packed)))
      end
      L.complete, L.bound = true, 0
    end
  end
  -- heads are in impact order for k1 = 1.2, b = 0.75: with those, entries unseen score at most
  -- the impact of the last one read; with others a head is read whole, and past it length / tf
  -- is at least the term's Q
  local standard = X.k1 == 1.2 and X.b == 0.75
  local function read_heads(chunk)
    for _, L in ipairs(heads) do
      if L.pos >= 0 then
        local flat = redis.call('ZRANGE', L.head, L.pos, standard and L.pos + chunk - 1 or -1, 'WITHSCORES')
        local level
        for j = 1, #flat, 2 do
          local len, tf
          len, tf, level = head_posting(tonumber(flat[j + 1]))
          note(L.i, flat[j], L.m * engine.part(L.f, L.t, tf, len))
        end
        if not standard or #flat < 2 * chunk then
          L.pos = -1
          if L.cut >= NO_CUT then
            L.complete, L.bound = true, 0
          elseif standard then
            L.bound = L.m * engine.impact_bound(L.f, L.t, select(3, head_posting(L.cut)), L.avg)
          elseif L.q >= NO_CUT then
            L.complete, L.bound = true, 0
          else
            L.bound = L.m * engine.bound(L.f, L.t, L.maxtf, L.q / 1024)
          end
        else
          L.pos = L.pos + chunk
          L.bound = L.m * engine.impact_bound(L.f, L.t, level, L.avg)
        end
      end
    end
  end
  -- an object whose part in every list is known (or absent from a complete one) is scored from
  -- them, adding the parts in the order eval() does, so the score is the same to the last bit
  local single = true
  for _, L in ipairs(lists) do
    if L.m ~= 1 then single = false end
  end
  local function known_score(node, K)
    local acc
    if node.y == 't' then
      for _, a in ipairs(engine.alts_of(node)) do
        local part = K[by_key[base .. ':w:' .. a[1] .. ':' .. enc(a[2])].i]
        if part then acc = (acc or 0) + part end
      end
    else
      for _, c in ipairs(node.c) do
        local v = known_score(c, K)
        if v then acc = (acc or 0) + v end
      end
    end
    return acc
  end
  local work = 0
  local items, exact, kept = {}, {}, {}
  local function keeps(id)
    local yes = kept[id]
    if yes == nil then
      yes = keep(id)
      kept[id] = yes
    end
    return yes
  end
  local function score(ids)
    if #ids == 0 then return end
    work = work + #ids * #lists
    for id, v in pairs(engine.eval(X.n, ids)) do
      if keeps(id) then
        local it = { id = id, v = v }
        if after == nil or before(after, it) then items[#items + 1] = it end
      end
    end
    for _, id in ipairs(ids) do exact[id] = true end
  end
  local chunk = 32
  read_heads(chunk)
  while true do
    local threshold, open, reading = 0, {}, false
    for _, L in ipairs(lists) do
      if not L.complete then
        threshold = threshold + L.bound
        open[#open + 1] = L
        if L.pos and L.pos >= 0 then reading = true end
      end
    end
    local need = {}
    if partial then
      -- the k-th best known part among kept objects: an object whose part plus the bounds of
      -- the open lists that did not show it stays below cannot be among the k best
      local parts = {}
      for _, id in ipairs(order) do
        if keeps(id) then parts[#parts + 1] = known[id].s end
      end
      local floor = 0
      if #parts >= k then
        table.sort(parts, function(x, y) return x > y end)
        floor = parts[k] * (1 - 1e-12) - 1e-12
      end
      for _, id in ipairs(order) do
        local K = known[id]
        if not exact[id] then
          local most, whole = K.s, single
          for _, L in ipairs(open) do
            if not K[L.i] then
              most = most + L.bound
              whole = false
            end
          end
          if most > floor then
            if whole then
              exact[id] = true
              local v = known_score(X.n, K)
              if v and keeps(id) then items[#items + 1] = { id = id, v = v } end
            else
              need[#need + 1] = id
            end
          end
        end
      end
    else
      for _, id in ipairs(order) do
        if not exact[id] then need[#need + 1] = id end
      end
    end
    score(need)
    if work > budget then return nil end
    if threshold == 0 then return top(items, k, before) end
    if #items >= k then
      items = top(items, k, before)
      if items[k].v > threshold * (1 + 1e-12) + 1e-12 then return items end
    end
    if reading then
      chunk = HEAD_MAX
      work = work + chunk * #heads
      read_heads(chunk)
    else
      -- the open list cheapest to read, read whole: its unseen postings are known from now on
      local L = open[1]
      for _, O in ipairs(open) do
        if O.df < L.df then L = O end
      end
      work = work + L.df
      if work > budget then return nil end
      read_postings(base, L.f, L.t, nil, true, function(id, packed)
        note(L.i, id, L.m * engine.part(L.f, L.t, posting_tf(packed), posting_len(packed)))
      end)
      L.complete, L.bound = true, 0
    end
  end
end
