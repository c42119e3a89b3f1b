-- Helpers of the verify and reindex scripts, inlined after `-- @include _object.lua` (whose enc,
-- lexm, term_of, terms_of, unique_term, compound_entry, expired and purge they use), so the entries
-- they expect are exactly the ones update_indexes() writes.

-- Every index entry object `id` must have for its stored state `obj`, as a list of
-- { kind, key, member, score, index name, term, unique fields, tf of a text posting } where kind is S (set member),
-- Z (sorted set member with that score) or H (unique hash: field `member` -> the id).
local function expected_entries(base, spec, id, obj)
  local out = {}
  if obj == nil then return out end
  for _, f in ipairs(spec.f) do
    local name, flags = f[1], f[2]
    if string.find(flags, 's', 1, true) then
      local seen = {}
      for _, t in ipairs(terms_of(obj, name, flags)) do
        if not seen[t] then
          seen[t] = true
          out[#out + 1] = { 'S', base .. ':eq:' .. name .. ':' .. enc(t), id, 0, name, t }
        end
      end
    end
    if string.find(flags, 'n', 1, true) and obj[name] ~= nil and tonumber(obj[name]) ~= nil then
      out[#out + 1] = { 'Z', base .. ':num:' .. name, id, tonumber(obj[name]), name, obj[name] }
    end
    if string.find(flags, 'l', 1, true) then
      local t = term_of(obj, name, flags)
      if t ~= nil then out[#out + 1] = { 'Z', base .. ':lex:' .. name, lexm(t, id), 0, name, t } end
    end
  end
  for _, u in ipairs(spec.u) do
    local t = unique_term(obj, u[2])
    if t ~= nil then out[#out + 1] = { 'H', base .. ':uq:' .. u[1], t, 0, u[1], t, u[2] } end
  end
  for _, name in ipairs(spec.p) do
    local stored = obj['$x:' .. name]
    for _, e in ipairs(stored and cjson.decode(stored) or {}) do
      out[#out + 1] = { 'Z', base .. ':x:' .. name .. ':' .. enc(e[1]), id, e[2], name, e[1] }
    end
  end
  for _, name in ipairs(spec.t) do
    local stream = obj['$w:' .. name]
    if stream ~= nil then
      local tf, len = stream_counts(stream)
      for t, n in pairs(tf) do
        -- [8]: the term frequency, marking a text posting (whose repair also fixes the dictionary)
        out[#out + 1] = { 'Z', posting_key(base, name, t, id), id, posting_score(len, n), name, t, false, n }
      end
    end
  end
  for _, x in ipairs(spec.x) do
    local key, member, score = compound_entry(base, id, obj, x)
    if key ~= nil and score ~= nil then
      local last = x[2][#x[2]]
      out[#out + 1] = { 'Z', key, member, score, x[1], term_of(obj, last[1], last[2]) }
    end
  end
  return out
end

-- The id and the term of a lexical index member (see lexm), or nil when it is not one.
local function split_lexm(m)
  local i = 1
  while true do
    local z = string.find(m, '\0', i, true)
    if z == nil then return nil end
    if string.byte(m, z + 1) ~= 255 then
      return string.sub(m, z + 1), (string.gsub(string.sub(m, 1, z - 1), '%z\255', '\0'))
    end
    i = z + 2
  end
end

-- Reverses enc().
local function dec(s)
  return (string.gsub(s, '%%(%x%x)', function(h) return string.char(tonumber(h, 16)) end))
end

local function score_text(n)
  return string.format('%.17g', n)
end

-- Adds the entries the stored state `obj` of live object `id` calls for that are missing, and fixes
-- wrong scores and unique owners. report(kind, id, key, index, term, other, expected) is called
-- for every repair, and with kind 'duplicate-unique' for a unique value another live object holds
-- (left as it is: which object keeps the value is for a person to decide).
local function ensure_entries(base, spec, id, obj, ids_key, exp_key, now, report)
  for _, e in ipairs(expected_entries(base, spec, id, obj)) do
    local kind, key, member, score, index, term = e[1], e[2], e[3], e[4], e[5], e[6]
    if kind == 'S' then
      if redis.call('SADD', key, member) == 1 then report('missing-entry', id, key, index, term, '', '') end
    elseif kind == 'Z' then
      local s = redis.call('ZSCORE', key, member)
      if not s or tonumber(s) ~= score then
        if e[8] then
          -- a restored text posting: its term in the dictionary, its tf within the term's bound, a big term's head and count
          posting_put(base, index, term, member, posting_len(score), e[8], s ~= false)
          dict_add(base, index, term)
        else
          redis.call('ZADD', key, score, member)
        end
        report(s and 'wrong-score' or 'missing-entry', id, key, index, term, s or '', score_text(score))
      end
    else
      local owner = redis.call('HGET', key, member)
      if not owner then
        redis.call('HSET', key, member, id)
        report('missing-entry', id, key, index, term, '', '')
      elseif owner ~= id then
        local okey = base .. ':h:' .. enc(owner)
        local other = load_object(okey)
        local holds = other ~= nil and unique_term(other, e[7]) == member
        if holds and not expired(exp_key, owner, now) then
          report('duplicate-unique', id, key, index, term, owner, '')
        else
          if holds then
            -- an expired object still holds the value until it is swept: sweep it now
            purge(base, spec, owner, okey, ids_key, exp_key)
            report('expired-object', owner, okey, '', '', '', '')
          end
          redis.call('HSET', key, member, id)
          report('wrong-unique-owner', id, key, index, term, owner, '')
        end
      end
    end
  end
end

-- Recounts a text term's postings and rebuilds a big term's head from them (after repairs); a
-- term left without postings leaves the dictionary, the tf bounds and the big-term descriptions.
local function refresh_term(base, f, t)
  local m = text_meta(base, f, t)
  local flat = all_postings(base, f, t)
  if #flat == 0 then
    term_gone(base, f, t)
    return
  end
  if not m then
    redis.call('DEL', base .. ':wt:' .. f .. ':' .. enc(t))
    return
  end
  m.df = #flat / 2
  rebuild_head(base, f, t, m, flat)
  text_meta_save(base, f, t, m)
end

-- Appends (id, constraint, term, token) for each unique value the object holds (the token of the
-- write that took it, see settle-unique.lua), for checks done in TypeScript against the unique-value buckets.
local function push_unique_terms(terms, uniques, id, obj)
  for _, u in ipairs(uniques) do
    local t = unique_term(obj, u[2])
    if t ~= nil then
      terms[#terms + 1] = id
      terms[#terms + 1] = u[1]
      terms[#terms + 1] = t
      terms[#terms + 1] = obj['$u:' .. u[1]] or ''
    end
  end
end
