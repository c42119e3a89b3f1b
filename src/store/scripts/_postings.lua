-- Text postings of the store scripts, inlined by _object.lua (it uses enc): token streams, term
-- dictionaries, and the layout of big terms (buckets, heads, descriptions). The writes that keep
-- them are in _text_writes.lua.

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

-- ZADD of flat {score, member, ...} pairs, 256 pairs a call; returns the number of new members.
local function zadd_pairs(key, args)
  local added = 0
  for at = 1, #args, 512 do added = added + redis.call('ZADD', key, unpack(args, at, math.min(at + 511, #args))) end
  return added
end

-- Writes flat {id, score, ...} postings into their buckets of m.B; returns the number that were new.
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
  local added = 0
  for j, a in pairs(args) do added = added + zadd_pairs(prefix .. ':' .. j, a) end
  return added
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
