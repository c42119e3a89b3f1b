-- Text writes of the store scripts, inlined by _object.lua after _postings.lua: a term's posting
-- changes applied in a few calls (apply_term), and batches of objects' changes staged and applied
-- term by term (text_batch, text_stage, text_commit; text_update for one object).

-- The term leaves the dictionary, the tf bounds and the big-term descriptions.
local function term_gone(base, f, t)
  dict_remove(base, f, t)
  redis.call('HDEL', base .. ':wm:' .. f, t)
  if text_meta(base, f, t) then
    redis.call('DEL', base .. ':wt:' .. f .. ':' .. enc(t))
    text_meta_save(base, f, t, nil)
  end
end

-- Puts head entries {head score, id} of big term m into its head, best first, while they score
-- below its cut; a head never passes 128 entries (past them Redis would make it a skiplist for
-- good), so the overflow is popped as it comes and lowers the cut.
local function add_to_head(head, m, entries)
  table.sort(entries, function(x, y) return x[1] < y[1] end)
  local i = 1
  while i <= #entries and entries[i][1] < m.T do
    local room = 128 - redis.call('ZCARD', head)
    local args = {}
    while i <= #entries and #args < 2 * room and entries[i][1] < m.T do
      args[#args + 1] = entries[i][1]
      args[#args + 1] = entries[i][2]
      i = i + 1
    end
    redis.call('ZADD', head, unpack(args))
    local over = redis.call('ZCARD', head) - HEAD_MAX
    if over > 0 then
      local popped = redis.call('ZPOPMAX', head, over)
      m.T = tonumber(popped[#popped])
      for j = 2, #popped, 2 do
        local len, tf = head_posting(tonumber(popped[j]))
        m.Q = math.min(m.Q, length_per_tf(len, tf))
      end
    end
  end
end

-- Applies the posting changes of term t in field f: `puts` {id, len, tf, existed} (existed: the
-- object may have the posting already) and `drops` (ids), all in a few calls per term.
local function apply_term(base, f, t, puts, drops, later)
  local prefix = base .. ':w:' .. f .. ':' .. enc(t)
  local m = text_meta(base, f, t)
  local most = 1
  for _, p in ipairs(puts) do
    if p[3] > most then most = p[3] end
  end
  if most > 1 then later.bounds[t] = most end
  if not m then
    if #drops > 0 then redis.call('ZREM', prefix, unpack(drops)) end
    local added = 0
    if #puts > 0 then
      local args = {}
      for _, p in ipairs(puts) do
        args[#args + 1] = posting_score(p[2], p[3])
        args[#args + 1] = p[1]
      end
      added = zadd_pairs(prefix, args)
    end
    local size = redis.call('ZCARD', prefix)
    if size == 0 then
      if #drops > 0 then term_gone(base, f, t) end
      return
    end
    if added > 0 and added == size then later.words[#later.words + 1] = t end
    if size > SMALL_MAX then make_big(base, f, t, prefix) end
  else
    local head = base .. ':wt:' .. f .. ':' .. enc(t)
    if #drops > 0 then
      for j, list in pairs(by_bucket(m, drops)) do m.df = m.df - redis.call('ZREM', prefix .. ':' .. j, unpack(list)) end
      redis.call('ZREM', head, unpack(drops))
    end
    if #puts > 0 then
      local flat, into, out = {}, {}, {}
      for _, p in ipairs(puts) do
        flat[#flat + 1] = p[1]
        flat[#flat + 1] = posting_score(p[2], p[3])
        local tf = math.min(p[3], 1023)
        local hs = head_score(p[2], tf, m.A)
        if hs < m.T then
          into[#into + 1] = { hs, p[1] }
        else
          m.Q = math.min(m.Q, length_per_tf(p[2], tf))
          if p[4] then out[#out + 1] = p[1] end
        end
      end
      m.df = m.df + fill_buckets(prefix, m, flat)
      if m.df > BUCKET_FILL * m.B then grow_buckets(base, f, t, prefix, m) end
      if #out > 0 then redis.call('ZREM', head, unpack(out)) end
      if #into > 0 then add_to_head(head, m, into) end
    end
    if m.df <= 0 then
      term_gone(base, f, t)
      return
    end
    if m.T < NO_CUT and redis.call('ZCARD', head) < HEAD_MIN then rebuild_head(base, f, t, m, all_postings(base, f, t)) end
    text_meta_save(base, f, t, m)
  end
end

-- Work apply_term leaves for the end of a field's terms: dictionary words to add, tf bounds to raise.
local function text_later()
  return { words = {}, bounds = {} }
end

local function finish_terms(base, f, later)
  if #later.words > 0 then
    local buckets = {}
    for _, t in ipairs(later.words) do
      local bucket = dict_bucket(t)
      local list = buckets[bucket]
      if list == nil then
        list = {}
        buckets[bucket] = list
      end
      list[#list + 1] = 0
      list[#list + 1] = t
    end
    local registry = {}
    for bucket, args in pairs(buckets) do
      zadd_pairs(dict_key(base, f, bucket), args)
      registry[#registry + 1] = 0
      registry[#registry + 1] = bucket
    end
    zadd_pairs(base .. ':wdb:' .. f, registry)
  end
  local terms, wanted = {}, {}
  for t, n in pairs(later.bounds) do
    terms[#terms + 1] = t
    wanted[#wanted + 1] = n
  end
  if #terms > 0 then
    local maxtf = base .. ':wm:' .. f
    local known = redis.call('HMGET', maxtf, unpack(terms))
    local raise = {}
    for i, t in ipairs(terms) do
      if not known[i] or tonumber(known[i]) < wanted[i] then
        raise[#raise + 1] = t
        raise[#raise + 1] = math.min(wanted[i], 1023)
      end
    end
    if #raise > 0 then redis.call('HSET', maxtf, unpack(raise)) end
  end
end

-- Puts the posting of `id` for term t (tf n, document length len); `existed`: it may be there already.
local function posting_put(base, f, t, id, len, n, existed)
  local later = text_later()
  apply_term(base, f, t, { { id, len, n, existed } }, {}, later)
  finish_terms(base, f, later)
end

-- Text changes of several objects of one partition, applied term by term (text_commit): per
-- field and term, the last change staged for each id.
local function text_batch(base)
  return { base = base, terms = {}, n = {}, l = {} }
end

-- Stages the move of object `id`'s postings in field `name` from token stream a to b (either may be nil).
local function text_stage(batch, name, id, a, b)
  if a == b then return end
  local before, blen = stream_counts(a)
  local after, alen = stream_counts(b)
  local terms = batch.terms[name]
  if terms == nil then
    terms = {}
    batch.terms[name] = terms
  end
  for t in pairs(before) do
    if after[t] == nil then
      local ops = terms[t]
      if ops == nil then
        ops = {}
        terms[t] = ops
      end
      ops[id] = false
    end
  end
  for t, n in pairs(after) do
    if before[t] ~= n or alen ~= blen then
      local ops = terms[t]
      if ops == nil then
        ops = {}
        terms[t] = ops
      end
      ops[id] = { id, alen, n, before[t] ~= nil }
    end
  end
  local dn = (b and 1 or 0) - (a and 1 or 0)
  batch.n[name] = (batch.n[name] or 0) + dn
  batch.l[name] = (batch.l[name] or 0) + alen - blen
end

local function text_commit(batch)
  local base = batch.base
  -- the counts first: a head built below takes its impacts at the average with this batch
  local stats = base .. ':ws'
  for name, dn in pairs(batch.n) do
    local count = dn ~= 0 and redis.call('HINCRBY', stats, 'n:' .. name, dn) or nil
    if count ~= nil and count <= 0 then
      redis.call('HDEL', stats, 'n:' .. name, 'l:' .. name)
    elseif batch.l[name] ~= 0 then
      redis.call('HINCRBY', stats, 'l:' .. name, batch.l[name])
    end
  end
  for name, terms in pairs(batch.terms) do
    -- the big-term descriptions of every term at once
    local list = {}
    for t in pairs(terms) do list[#list + 1] = t end
    local mkey = base .. ':wc:' .. name
    text_metas[mkey] = text_metas[mkey] or {}
    local cache = text_metas[mkey]
    for at = 1, #list, 1000 do
      local chunk = { unpack(list, at, math.min(at + 999, #list)) }
      for i, v in ipairs(redis.call('HMGET', mkey, unpack(chunk))) do
        local m = false
        if v then m = parse_meta(v) end
        cache[chunk[i]] = m
      end
    end
    local later = text_later()
    for t, ops in pairs(terms) do
      local puts, drops = {}, {}
      for id, value in pairs(ops) do
        if value then puts[#puts + 1] = value else drops[#drops + 1] = id end
      end
      apply_term(base, name, t, puts, drops, later)
    end
    finish_terms(base, name, later)
  end
  batch.terms, batch.n, batch.l = {}, {}, {}
end

local function text_update(base, name, id, a, b)
  if a == b then return end
  local batch = text_batch(base)
  text_stage(batch, name, id, a, b)
  text_commit(batch)
end
