-- Result ordering helpers shared by query.lua and text-search.lua: byte-order string comparison and
-- top-k selection.
local sbyte, ssub, sfind, floor, huge = string.byte, string.sub, string.find, math.floor, math.huge

-- Byte (UTF-8 code point) order of two strings: -1, 0 or 1. Lua's own `<` on strings follows
-- the server's collation locale, so it is never used for ordering.
local function bcmp(a, b)
  if a == b then return 0 end
  local la, lb = #a, #b
  local n = la < lb and la or lb
  local i = 1
  while i + 7 <= n and ssub(a, i, i + 7) == ssub(b, i, i + 7) do i = i + 8 end
  while i <= n do
    local x, y = sbyte(a, i), sbyte(b, i)
    if x ~= y then return x < y and -1 or 1 end
    i = i + 1
  end
  return la < lb and -1 or 1
end

-- The first k items in result order (all of them, unsorted, when k < 0).
local function top(items, k, before)
  if k < 0 then return items end
  if k == 0 then return {} end
  if #items <= 2 * k then
    table.sort(items, before)
    for i = #items, k + 1, -1 do items[i] = nil end
    return items
  end
  local heap = {} -- heap[1] is the last (worst) of the k kept items
  local function up(i)
    while i > 1 do
      local p = floor(i / 2)
      if not before(heap[p], heap[i]) then break end
      heap[p], heap[i] = heap[i], heap[p]
      i = p
    end
  end
  local function down(i)
    local n = #heap
    while true do
      local l, w = 2 * i, i
      if l <= n and before(heap[w], heap[l]) then w = l end
      if l + 1 <= n and before(heap[w], heap[l + 1]) then w = l + 1 end
      if w == i then return end
      heap[w], heap[i] = heap[i], heap[w]
      i = w
    end
  end
  for _, it in ipairs(items) do
    if #heap < k then
      heap[#heap + 1] = it
      up(#heap)
    elseif before(it, heap[1]) then
      heap[1] = it
      down(1)
    end
  end
  table.sort(heap, before)
  return heap
end
