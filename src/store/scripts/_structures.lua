-- The walk shared by verify-entries.lua and reindex-entries.lua (same KEYS and ARGV): checks every
-- member of the structures KEYS[3..] against the object it names, calling
-- on_stale(mode, key, position, member, id, term, reason) for each member the object's stored
-- state does not call for. Modes: S equality set (members are ids), Z sorted set of ids, L sorted
-- set of lexical members (term NUL id), H unique hash (term -> id), E expiry set (ids whose object
-- must exist), O an object hash (its id must be in the ids set). A text posting (Z) also needs its
-- term in the field's dictionary and its tfs within the term's tf bound (on_text).

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

  -- A text posting's term must be in its field's dictionary and its tfs within the term's bound:
  -- checked on the members read (flat member, score list); on_text(kind, position, field, term, tf).
  local function check_text(key, pos, flat, on_text)
    local field, part = string.match(string.sub(key, #base + 1), '^:w:([^:]+):(.*)$')
    if field == nil or #flat == 0 then return end
    local term = dec(part)
    if not dict_has(base, field, term) then on_text('missing-dictionary-term', pos, field, term, 0) end
    local most = 1
    for i = 2, #flat, 2 do
      local tf = tonumber(flat[i]) % 1024
      if tf > most then most = tf end
    end
    local bound = tonumber(redis.call('HGET', base .. ':wm:' .. field, term) or '1')
    if most > bound then on_text('low-tf-bound', pos, field, term, most) end
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
        if present then check(mode, key, 1, m, on_stale, on_orphan) end
      end
      if mode == 'Z' then
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
