-- Shared helpers of the store scripts, inlined by `-- @include _object.lua`.
-- Index keys are derived from `base`, the partition's hash tag taken from a declared key, so every
-- key a script touches is in that declared key's slot. Value parts are percent-encoded exactly like
-- encodeKeyPart() in src/core/keys.ts, so they cannot leave their part or forge a tag.
local function enc_byte(c)
  return string.format('%%%02X', string.byte(c))
end

local function enc(s)
  if not string.find(s, '[^%w_%.%-]') then return s end
  return (string.gsub(s, '[^%w_%.%-]', enc_byte))
end

-- Lexical index member: the term with NUL escaped as NUL 0xFF (order preserving), NUL, the id.
local function lexm(term, id)
  return (string.gsub(term, '%z', '\0\255')) .. '\0' .. id
end

local function load_object(key)
  local flat = redis.call('HGETALL', key)
  if #flat == 0 then return nil end
  local obj = {}
  for i = 1, #flat, 2 do obj[flat[i]] = flat[i + 1] end
  return obj
end

-- The term a field is indexed under: the folded text for case-insensitive fields, else the value.
local function term_of(obj, name, flags)
  if obj == nil then return nil end
  if string.find(flags, 'c', 1, true) then return obj['$t:' .. name] end
  return obj[name]
end

local function terms_of(obj, name, flags)
  local t = term_of(obj, name, flags)
  if t == nil then return {} end
  if string.find(flags, 'a', 1, true) then return cjson.decode(t) end
  return { t }
end

local function unique_term(obj, fields)
  local parts = {}
  for i, f in ipairs(fields) do
    local t = term_of(obj, f[1], f[2])
    if t == nil then return nil end
    parts[i] = t
  end
  if #parts == 1 then return parts[1] end
  for i, p in ipairs(parts) do parts[i] = enc(p) end
  return table.concat(parts, ':')
end

-- Compound entry of an object: key and member (score index: member id, score the last value).
local function compound_entry(base, id, obj, index)
  if obj == nil then return nil end
  local fields = index[2]
  local parts = { base, 'cx', enc(index[1]) }
  for i = 1, #fields - 1 do
    local t = term_of(obj, fields[i][1], fields[i][2])
    if t == nil then return nil end
    parts[#parts + 1] = enc(t)
  end
  local last = fields[#fields]
  local v = term_of(obj, last[1], last[2])
  if v == nil then return nil end
  local key = table.concat(parts, ':')
  if index[3] == 'l' then return key, lexm(v, id), 0 end
  return key, id, tonumber(v)
end


-- Text fields store their analyzed token stream with the object as `$w:<field>`: terms joined by
-- \31, an empty term where a stopword was, so positions survive (src/search/text-stream.ts). The
-- field's postings `<base>:w:<field>:<term>` hold ids scored length * 1024 + min(tf, 1023), so a
-- ranking reads term frequency and document length from one posting; `<base>:wd:<field>:...` is its
-- term dictionary (for prefix and fuzzy words, see dict_add); `<base>:wm:<field>` holds, for terms some
-- object has more than once, an upper bound of their tf (it never shrinks while the term is indexed;
-- top-k reads bound unseen scores with it); `<base>:ws` counts per field the objects with a value
-- (`n:<field>`) and their total length (`l:<field>`). Big terms' postings are bucketed (see SMALL_MAX).
local function split_stream(s)
  local out, i = {}, 1
  while true do
    local j = string.find(s, '\31', i, true)
    if not j then
      out[#out + 1] = string.sub(s, i)
      return out
    end
    out[#out + 1] = string.sub(s, i, j - 1)
    i = j + 1
  end
end

-- Term frequencies and length (number of terms) of a stream.
local function stream_counts(stream)
  local tf, len = {}, 0
  if stream == nil then return tf, 0 end
  for t in string.gmatch(stream, '[^\31]+') do
    tf[t] = (tf[t] or 0) + 1
    len = len + 1
  end
  return tf, len
end

local function posting_score(len, tf)
  return len * 1024 + math.min(tf, 1023)
end

-- A field's term dictionary is bucketed by the first two bytes of the term, so that each bucket
-- stays a small listpack-encoded sorted set (score 0, lexical): `<base>:wd:<field>:<enc(two bytes)>`;
-- `<base>:wdb:<field>` lists the buckets that hold terms (for one-byte prefixes and fuzzy words).
local function dict_bucket(term)
  return string.sub(term, 1, 2)
end

local function dict_key(base, field, bucket)
  return base .. ':wd:' .. field .. ':' .. enc(bucket)
end

local function dict_add(base, field, term)
  local bucket = dict_bucket(term)
  local key = dict_key(base, field, bucket)
  redis.call('ZADD', key, 0, term)
  redis.call('ZADD', base .. ':wdb:' .. field, 0, bucket)
end

local function dict_remove(base, field, term)
  local bucket = dict_bucket(term)
  local key = dict_key(base, field, bucket)
  if redis.call('ZREM', key, term) == 1 and redis.call('EXISTS', key) == 0 then
    redis.call('ZREM', base .. ':wdb:' .. field, bucket)
  end
end

local function dict_has(base, field, term)
  local bucket = dict_bucket(term)
  return redis.call('ZSCORE', dict_key(base, field, bucket), term) ~= false and redis.call('ZSCORE', base .. ':wdb:' .. field, bucket) ~= false
end

-- Postings of a term are one sorted set `<base>:w:<field>:<term>` while the term has at most
-- SMALL_MAX documents (Redis keeps such a set listpack-encoded, ~8 bytes a posting; a bigger one
-- becomes a skiplist, ~90). A term past that is "big": its postings are spread over B buckets
-- `<base>:w:<field>:<term>:<j>` by posting_hash(id) % B (B a power of two, grown when the buckets
-- hold BUCKET_FILL postings on average, so that none passes 128), and its head
-- `<base>:wt:<field>:<term>` holds at most HEAD_MAX postings of highest impact (see head_score):
-- every posting scored below the cut T is in the head, so top-k reads bound what the rest can
-- score. `<base>:wc:<field>` maps a big term to "B T df A Q": A the average length the impacts
-- were taken with, Q a lower bound of length * 1024 / tf over the postings outside the head.
local SMALL_MAX = 128
local BUCKET_FILL = 80
local HEAD_MAX = 120
local HEAD_MIN = 40
local NO_CUT = 1e15

-- A cheap hash of an id's length and last four bytes (ids often differ at the end; one string.byte
-- call), remembered for the script call (an object's id meets every term of its text).
local hashes = {}
local function posting_hash(id)
  local h = hashes[id]
  if h == nil then
    local a, b, c, d = string.byte(id, -4, -1)
    h = (((#id * 131 + a) * 131 + (b or 7)) * 131 + (c or 11)) * 131 + (d or 13)
    hashes[id] = h
  end
  return h
end

-- A head entry's score: the impact level (the BM25 part of the posting with k1 = 1.2, b = 0.75
-- and average length A, in 4096 steps from the best), then length and tf, so that a head read in
-- score order goes from the highest impact down and gives each posting's length and tf back
-- (head_posting). Lengths stay below 2^20 (positions stop at 10^6).
local IMPACT_LEVELS = 4096
local function head_score(len, tf, A)
  local impact = tf * 2.2 / (tf + 0.3 + 0.9 * len / A)
  local level = math.min(IMPACT_LEVELS - 1, math.floor((2.2 - impact) * IMPACT_LEVELS / 2.2))
  return level * 1073741824 + len * 1024 + tf
end

-- The length and tf of a head entry's score, and its impact level.
local function head_posting(hs)
  local tf = hs % 1024
  local rest = (hs - tf) / 1024
  local len = rest % 1048576
  return len, tf, (rest - len) / 1048576
end

-- length * 1024 / tf, rounded down: past a big term's head, every posting's is at least Q.
local function length_per_tf(len, tf)
  return math.floor(len * 1024 / tf)
end

local function posting_tf(score)
  return score % 1024
end

local function posting_len(score)
  return (score - score % 1024) / 1024
end

-- Big-term descriptions read or written in this script call, by meta key and term (false: small).
local text_metas = {}

local function parse_meta(v)
  local B, T, df, A, Q = string.match(v, '^(%d+) (%S+) (%d+) (%S+) (%S+)$')
  return { B = tonumber(B), T = tonumber(T), df = tonumber(df), A = tonumber(A), Q = tonumber(Q) }
end

local function text_meta(base, f, t)
  local mkey = base .. ':wc:' .. f
  local cache = text_metas[mkey]
  if cache == nil then
    cache = {}
    text_metas[mkey] = cache
  end
  local m = cache[t]
  if m == nil then
    local v = redis.call('HGET', mkey, t)
    if v then
      m = parse_meta(v)
    else
      m = false
    end
    cache[t] = m
  end
  return m or nil
end

local function text_meta_save(base, f, t, m)
  local mkey = base .. ':wc:' .. f
  text_metas[mkey] = text_metas[mkey] or {}
  text_metas[mkey][t] = m or false
  if m then
    redis.call('HSET', mkey, t, string.format('%d %.17g %d %.17g %.17g', m.B, m.T, m.df, m.A, m.Q))
  else
    redis.call('HDEL', mkey, t)
  end
end

local function bucket_key(prefix, m, id)
  return prefix .. ':' .. (posting_hash(id) % m.B)
end

-- The key that holds (or would hold) the posting of `id` for term t (prefix: `<base>:w:<f>:<enc t>`).
local function posting_key(base, f, t, id)
  local prefix = base .. ':w:' .. f .. ':' .. enc(t)
  local m = text_meta(base, f, t)
  if m then return bucket_key(prefix, m, id) end
  return prefix
end

-- Every key holding postings of term t.
local function posting_keys(base, f, t)
  local prefix = base .. ':w:' .. f .. ':' .. enc(t)
  local m = text_meta(base, f, t)
  if not m then return { prefix } end
  local keys = {}
  for j = 0, m.B - 1 do keys[j + 1] = prefix .. ':' .. j end
  return keys
end

-- Writes flat {id, score, ...} postings into m.B buckets (each a new listpack).
local function fill_buckets(prefix, m, flat)
  local args = {}
  for i = 1, #flat, 2 do
    local j = posting_hash(flat[i]) % m.B
    local a = args[j]
    if a == nil then
      a = {}
      args[j] = a
    end
    a[#a + 1] = flat[i + 1]
    a[#a + 1] = flat[i]
  end
  for j, a in pairs(args) do
    for at = 1, #a, 512 do redis.call('ZADD', prefix .. ':' .. j, unpack(a, at, math.min(at + 511, #a))) end
  end
end

-- A field's average length now (the impact reference of heads built now).
local function field_average(base, f)
  local v = redis.call('HMGET', base .. ':ws', 'n:' .. f, 'l:' .. f)
  local n, l = tonumber(v[1] or '0'), tonumber(v[2] or '0')
  if n <= 0 or l <= 0 then return 1 end
  return l / n
end

-- Rebuilds a big term's head, cut and bound Q from its flat {id, score, ...} postings, with
-- impacts taken at the field's average length now.
local function rebuild_head(base, f, t, m, flat)
  m.A = field_average(base, f)
  local items = {}
  for i = 1, #flat, 2 do
    local score = tonumber(flat[i + 1])
    items[#items + 1] = { head_score(posting_len(score), posting_tf(score), m.A), flat[i] }
  end
  table.sort(items, function(x, y) return x[1] < y[1] or (x[1] == y[1] and x[2] < y[2]) end)
  local head = base .. ':wt:' .. f .. ':' .. enc(t)
  redis.call('DEL', head)
  local args = {}
  for i = 1, math.min(HEAD_MAX, #items) do
    args[#args + 1] = items[i][1]
    args[#args + 1] = items[i][2]
  end
  if #args > 0 then redis.call('ZADD', head, unpack(args)) end
  m.T = items[HEAD_MAX + 1] and items[HEAD_MAX + 1][1] or NO_CUT
  m.Q = NO_CUT
  for i = HEAD_MAX + 1, #items do
    local len, tf = head_posting(items[i][1])
    m.Q = math.min(m.Q, length_per_tf(len, tf))
  end
end

local function all_postings(base, f, t)
  local flat = {}
  for _, key in ipairs(posting_keys(base, f, t)) do
    for _, v in ipairs(redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')) do flat[#flat + 1] = v end
  end
  return flat
end

-- A small term past SMALL_MAX becomes big: buckets of about 32 postings, and a head.
local function make_big(base, f, t, prefix)
  local flat = redis.call('ZRANGE', prefix, 0, -1, 'WITHSCORES')
  redis.call('DEL', prefix)
  local m = { B = 1, T = NO_CUT, df = #flat / 2, A = 1, Q = NO_CUT }
  while m.df / m.B > 32 do m.B = m.B * 2 end
  fill_buckets(prefix, m, flat)
  rebuild_head(base, f, t, m, flat)
  text_meta_save(base, f, t, m)
end

-- Spreads a big term's postings over at least twice the buckets (new keys, so each is a listpack again).
local function grow_buckets(base, f, t, prefix, m)
  local flat = all_postings(base, f, t)
  for j = 0, m.B - 1 do redis.call('DEL', prefix .. ':' .. j) end
  while m.df > BUCKET_FILL / 2 * m.B do m.B = m.B * 2 end
  fill_buckets(prefix, m, flat)
end

-- Groups ids by their bucket of big term m: bucket number -> list.
local function by_bucket(m, ids)
  local groups = {}
  for _, id in ipairs(ids) do
    local j = posting_hash(id) % m.B
    local list = groups[j]
    if list == nil then
      list = {}
      groups[j] = list
    end
    list[#list + 1] = id
  end
  return groups
end

-- The term leaves the dictionary, the tf bounds and the big-term descriptions.
local function term_gone(base, f, t)
  dict_remove(base, f, t)
  redis.call('HDEL', base .. ':wm:' .. f, t)
  if text_meta(base, f, t) then
    redis.call('DEL', base .. ':wt:' .. f .. ':' .. enc(t))
    text_meta_save(base, f, t, nil)
  end
end

local function zadd_pairs(key, args)
  local added = 0
  for at = 1, #args, 512 do added = added + redis.call('ZADD', key, unpack(args, at, math.min(at + 511, #args))) end
  return added
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
      local ids, score_of, into, out = {}, {}, {}, {}
      for _, p in ipairs(puts) do
        ids[#ids + 1] = p[1]
        score_of[p[1]] = posting_score(p[2], p[3])
        local tf = math.min(p[3], 1023)
        local hs = head_score(p[2], tf, m.A)
        if hs < m.T then
          into[#into + 1] = hs
          into[#into + 1] = p[1]
        else
          m.Q = math.min(m.Q, length_per_tf(p[2], tf))
          if p[4] then out[#out + 1] = p[1] end
        end
      end
      for j, list in pairs(by_bucket(m, ids)) do
        local args = {}
        for _, id in ipairs(list) do
          args[#args + 1] = score_of[id]
          args[#args + 1] = id
        end
        m.df = m.df + zadd_pairs(prefix .. ':' .. j, args)
      end
      if m.df > BUCKET_FILL * m.B then grow_buckets(base, f, t, prefix, m) end
      if #out > 0 then redis.call('ZREM', head, unpack(out)) end
      if #into > 0 then
        -- a head never passes 128 entries (past them Redis would make it a skiplist for good)
        local entries = {}
        for i = 1, #into, 2 do entries[#entries + 1] = { into[i], into[i + 1] } end
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
              local len, ptf = head_posting(tonumber(popped[j]))
              m.Q = math.min(m.Q, length_per_tf(len, ptf))
            end
          end
        end
      end
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
  local stats = base .. ':ws'
  for name, dn in pairs(batch.n) do
    local count = dn ~= 0 and redis.call('HINCRBY', stats, 'n:' .. name, dn) or nil
    if count ~= nil and count <= 0 then
      redis.call('HDEL', stats, 'n:' .. name, 'l:' .. name)
    elseif batch.l[name] ~= 0 then
      redis.call('HINCRBY', stats, 'l:' .. name, batch.l[name])
    end
  end
  batch.terms, batch.n, batch.l = {}, {}, {}
end

local function text_update(base, name, id, a, b)
  if a == b then return end
  local batch = text_batch(base)
  text_stage(batch, name, id, a, b)
  text_commit(batch)
end

-- Moves every index entry of object `id` from its `old` state to its `new` state (either may be nil).
local function update_indexes(base, spec, id, old, new)
  for _, f in ipairs(spec.f) do
    local name, flags = f[1], f[2]
    if string.find(flags, 's', 1, true) then
      local before, after = {}, {}
      for _, t in ipairs(terms_of(old, name, flags)) do before[t] = true end
      for _, t in ipairs(terms_of(new, name, flags)) do after[t] = true end
      for t in pairs(before) do
        if not after[t] then redis.call('SREM', base .. ':eq:' .. name .. ':' .. enc(t), id) end
      end
      for t in pairs(after) do
        if not before[t] then redis.call('SADD', base .. ':eq:' .. name .. ':' .. enc(t), id) end
      end
    end
    if string.find(flags, 'n', 1, true) then
      local a = new and new[name]
      if a == nil then
        if old and old[name] ~= nil then redis.call('ZREM', base .. ':num:' .. name, id) end
      elseif old == nil or old[name] ~= a then
        redis.call('ZADD', base .. ':num:' .. name, tonumber(a), id)
      end
    end
    if string.find(flags, 'l', 1, true) then
      local a, b = term_of(old, name, flags), term_of(new, name, flags)
      if a ~= b then
        if a ~= nil then redis.call('ZREM', base .. ':lex:' .. name, lexm(a, id)) end
        if b ~= nil then redis.call('ZADD', base .. ':lex:' .. name, 0, lexm(b, id)) end
      end
    end
  end
  for _, u in ipairs(spec.u) do
    local a, b = unique_term(old, u[2]), unique_term(new, u[2])
    if a ~= b then
      local key = base .. ':uq:' .. u[1]
      if a ~= nil and redis.call('HGET', key, a) == id then redis.call('HDEL', key, a) end
      if b ~= nil then redis.call('HSET', key, b, id) end
    end
  end
  for _, name in ipairs(spec.p) do
    local a, b = old and old['$x:' .. name], new and new['$x:' .. name]
    if a ~= b then
      local after = b and cjson.decode(b) or {}
      local keep = {}
      for _, e in ipairs(after) do keep[e[1]] = true end
      for _, e in ipairs(a and cjson.decode(a) or {}) do
        if not keep[e[1]] then redis.call('ZREM', base .. ':x:' .. name .. ':' .. enc(e[1]), id) end
      end
      for _, e in ipairs(after) do redis.call('ZADD', base .. ':x:' .. name .. ':' .. enc(e[1]), e[2], id) end
    end
  end
  for _, name in ipairs(spec.t) do
    text_update(base, name, id, old and old['$w:' .. name], new and new['$w:' .. name])
  end
  for _, x in ipairs(spec.x) do
    local ka, ma, sa = compound_entry(base, id, old, x)
    local kb, mb, sb = compound_entry(base, id, new, x)
    if ka ~= kb or ma ~= mb or sa ~= sb then
      if ka ~= nil then redis.call('ZREM', ka, ma) end
      if kb ~= nil then redis.call('ZADD', kb, sb, mb) end
    end
  end
end

local function server_now()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Removes an object and all its index entries.
local function purge(base, spec, id, key, ids_key, exp_key)
  local old = load_object(key)
  if old ~= nil then update_indexes(base, spec, id, old, nil) end
  redis.call('DEL', key)
  redis.call('ZREM', ids_key, id)
  redis.call('ZREM', exp_key, id)
  return old
end

-- True when the object is past its expiry time.
local function expired(exp_key, id, now)
  local at = redis.call('ZSCORE', exp_key, id)
  return at and tonumber(at) <= now
end

-- Returns the name of the first unique constraint `new` would break, and the id holding it. An
-- owner that has expired (not yet swept) is purged first: its values are free.
local function unique_conflict(base, spec, id, old, new, ids_key, exp_key, now)
  for _, u in ipairs(spec.u) do
    local t = unique_term(new, u[2])
    if t ~= nil and t ~= unique_term(old, u[2]) then
      local owner = redis.call('HGET', base .. ':uq:' .. u[1], t)
      if owner and owner ~= id then
        if not expired(exp_key, owner, now) then return u[1], owner end
        purge(base, spec, owner, base .. ':h:' .. enc(owner), ids_key, exp_key)
      end
    end
  end
  return nil
end
