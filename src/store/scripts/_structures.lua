-- The walk shared by verify-entries.lua and reindex-entries.lua (same KEYS and ARGV): checks every
-- member of the structures KEYS[3..] against the object it names, calling
-- on_stale(mode, key, position, member, id, term, reason) for each member the object's stored
-- state does not call for. Modes: S equality set (members are ids), Z sorted set of ids, L sorted
-- set of lexical members (term NUL id), H unique hash (term -> id), E expiry set (ids whose object
-- must exist), O an object hash (its id must be in the ids set), T a big text term's head. A text
-- posting (Z) also needs its term in the field's dictionary, its tfs within the term's tf bound
-- and, for a big term, its place in the head (on_text).

local function structure_walker(base, spec)
  local cache = {}
  local function entries_of(id)
    local c = cache[id]
    if c == nil then
      local set = {}
      local obj = load_object(base .. ':h:' .. enc(id))
      for _, e in ipairs(expected_entries(base, spec, id, obj)) do set[e[2] .. '\n' .. e[3]] = true end
      c = { exists = obj ~= nil, set = set }
      cache[id] = c
    end
    return c
  end

  local function check(mode, key, pos, m, on_stale, on_orphan)
    if mode == 'O' then
      local part = string.sub(key, #base + 4)
      local id = dec(part)
      if string.sub(key, #base + 1, #base + 3) == ':h:' and enc(id) == part and not redis.call('ZSCORE', KEYS[1], id) then
        on_orphan('orphan-hash', key, pos, id)
      end
      return
    end
    if mode == 'E' then
      if redis.call('EXISTS', base .. ':h:' .. enc(m)) == 0 then on_orphan('orphan-expiry', key, pos, m) end
      return
    end
    local id, term = m, ''
    if mode == 'L' then
      id, term = split_lexm(m)
      if id == nil then
        on_stale(mode, key, pos, m, '', '', 'missing-object')
        return
      end
    elseif mode == 'H' then
      id, term = redis.call('HGET', key, m), m
      if not id then return end
    elseif mode == 'Z' then
      term = redis.call('ZSCORE', key, m) or ''
    end
    local c = entries_of(id)
    if not c.set[key .. '\n' .. m] then
      on_stale(mode, key, pos, m, id, term, c.exists and 'other-value' or 'missing-object')
    end
  end

  -- A text posting's term must be in its field's dictionary and its tfs within the term's bound,
  -- and a big term's postings below its head's cut in the head, those outside within its bound Q: checked on the members read (flat
  -- member, score list) of a posting set or bucket; on_text(kind, position, field, term, tf).
  local function check_text(key, pos, flat, on_text)
    local rest = string.sub(key, #base + 1)
    local field, part = string.match(rest, '^:w:([^:]+):([^:]+):%d+$')
    if field == nil then field, part = string.match(rest, '^:w:([^:]+):([^:]+)$') end
    if field == nil or #flat == 0 then return end
    local term = dec(part)
    if not dict_has(base, field, term) then on_text('missing-dictionary-term', pos, field, term, 0) end
    local most = 1
    for i = 2, #flat, 2 do
      local tf = posting_tf(tonumber(flat[i]))
      if tf > most then most = tf end
    end
    local bound = tonumber(redis.call('HGET', base .. ':wm:' .. field, term) or '1')
    if most > bound then on_text('low-tf-bound', pos, field, term, most) end
    local m = text_meta(base, field, term)
    if m and rest ~= ':w:' .. field .. ':' .. part then
      local head = base .. ':wt:' .. field .. ':' .. part
      for i = 1, #flat, 2 do
        local score = tonumber(flat[i + 1])
        local len, tf = posting_len(score), posting_tf(score)
        local hs = head_score(len, tf, m.A)
        local held = tonumber(redis.call('ZSCORE', head, flat[i]) or '-1')
        if (hs < m.T and held ~= hs) or (held < 0 and length_per_tf(len, tf) < m.Q) then
          on_text('wrong-text-head', pos, field, term, 0)
          return
        end
      end
    end
  end

  -- A big term's head (mode T) must hold postings only, each scored its q, and its count of
  -- postings must be right (a head without a big term is wrong too).
  local function check_head(key, pos, on_text)
    local field, part = string.match(string.sub(key, #base + 1), '^:wt:([^:]+):([^:]+)$')
    if field == nil then return end
    local term = dec(part)
    local m = text_meta(base, field, term)
    local ok = m ~= nil
    if ok then
      local flat = all_postings(base, field, term)
      local score_of = {}
      for i = 1, #flat, 2 do score_of[flat[i]] = tonumber(flat[i + 1]) end
      ok = #flat / 2 == m.df
      local head = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
      for i = 1, #head, 2 do
        local s = score_of[head[i]]
        if s == nil or head_score(posting_len(s), posting_tf(s), m.A) ~= tonumber(head[i + 1]) then ok = false end
      end
    end
    if not ok then on_text('wrong-text-head', pos, field, term, 0) end
  end

  -- Walks whole structures (ARGV[4] = 0) within the member budget, or the given members of KEYS[3].
  local function walk(on_stale, on_orphan, on_text)
    local modes, budget, count = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
    local big, bad = {}, {}
    if count > 0 then
      -- members read with a cursor earlier: only those still present are checked
      local mode, key = string.sub(modes, 1, 1), KEYS[3]
      for i = 5, 4 + count do
        local m = ARGV[i]
        local present
        if mode == 'S' then present = redis.call('SISMEMBER', key, m) == 1
        elseif mode == 'H' then present = redis.call('HEXISTS', key, m) == 1
        else present = redis.call('ZSCORE', key, m) ~= false end
        if present and mode ~= 'T' then check(mode, key, 1, m, on_stale, on_orphan) end
      end
      if mode == 'T' then
        check_head(key, 1, on_text)
      elseif mode == 'Z' then
        local members = { unpack(ARGV, 5, 4 + count) }
        local flat = {}
        for i, s in ipairs(redis.call('ZMSCORE', key, unpack(members))) do
          if s then
            flat[#flat + 1] = members[i]
            flat[#flat + 1] = s
          end
        end
        check_text(key, 1, flat, on_text)
      end
      return 1, big, bad
    end
    local used, done = 0, 0
    for pos = 1, #KEYS - 2 do
      local key, mode = KEYS[pos + 2], string.sub(modes, pos, pos)
      local want = 'zset'
      if mode == 'S' then want = 'set' elseif mode == 'H' or mode == 'O' then want = 'hash' end
      local found = redis.call('TYPE', key).ok
      if found ~= 'none' and found ~= want then
        bad[#bad + 1] = pos
      elseif found ~= 'none' then
        local size = 1
        if mode == 'S' then size = redis.call('SCARD', key)
        elseif mode == 'H' then size = redis.call('HLEN', key)
        elseif mode ~= 'O' then size = redis.call('ZCARD', key) end
        if size > budget then
          big[#big + 1] = pos
        elseif used > 0 and used + size > budget then
          break
        else
          used = used + size
          local members
          if mode == 'S' then members = redis.call('SMEMBERS', key)
          elseif mode == 'H' then members = redis.call('HKEYS', key)
          elseif mode == 'O' then members = { key }
          else members = redis.call('ZRANGE', key, 0, -1) end
          if mode == 'T' then
            check_head(key, pos, on_text)
            members = {}
          end
          for _, m in ipairs(members) do check(mode, key, pos, m, on_stale, on_orphan) end
          if mode == 'Z' and string.sub(key, #base + 1, #base + 3) == ':w:' then
            check_text(key, pos, redis.call('ZRANGE', key, 0, -1, 'WITHSCORES'), on_text)
          end
        end
      end
      done = pos
    end
    return done, big, bad
  end

  return walk, cache
end
