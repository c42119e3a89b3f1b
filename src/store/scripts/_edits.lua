-- Edit distances over UTF-8 text, shared by the fuzzy words of text queries (_text.lua) and
-- fuzzy suggestions (suggest.lua).

-- The characters of a UTF-8 string, so that edit distances count characters, not bytes.
local function utf8_chars(s)
  local out = {}
  for ch in string.gmatch(s, '[%z\1-\127\194-\244][\128-\191]*') do out[#out + 1] = ch end
  return out
end

-- True when the edit (Levenshtein) distance of character lists a and b is at most k.
local function within_edits(a, b, k)
  local n, m = #a, #b
  if math.abs(n - m) > k then return false end
  local prev = {}
  for j = 0, m do prev[j] = j end
  for i = 1, n do
    local cur, best = { [0] = i }, i
    for j = 1, m do
      local v = math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i] == b[j] and 0 or 1))
      cur[j] = v
      if v < best then best = v end
    end
    if best > k then return false end
    prev = cur
  end
  return prev[m] <= k
end
