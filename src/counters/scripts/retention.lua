-- A retention table in one call: for each cohort slot (optionally narrowed to a segment), its
-- size and how many of it are in each of its activity slots.
-- KEYS[1] scratch: a scratch key of the group (the narrowed cohort), deleted before the script ends; the group's hash tag is its prefix
-- KEYS[2] cell: a scratch key of the group (one cell), deleted before the script ends
-- KEYS[3] segment: the segment bitmap the cohorts are narrowed to (only read when ARGV[3] is '1')
-- KEYS[4..] keys: the cohort slots (ARGV[1] of them), then the activity slots
-- ARGV[1] rows: the number of cohort slots
-- ARGV[2] cells: JSON list per row of its activity slots, period by period (numbers from 1 among the activity slots)
-- ARGV[3] segmented: '1' when cohorts are narrowed to the segment
-- returns integer[]: per row, its size, then its count in each of its periods
local rows = tonumber(ARGV[1])
local cells = cjson.decode(ARGV[2])
local segmented = ARGV[3] == '1'
local out = {}
for r = 1, rows do
  local base = KEYS[3 + r]
  if segmented then
    redis.call('BITOP', 'AND', KEYS[1], base, KEYS[3])
    base = KEYS[1]
  end
  out[#out + 1] = redis.call('BITCOUNT', base)
  for _, a in ipairs(cells[r]) do
    local n = 0
    if redis.call('BITOP', 'AND', KEYS[2], base, KEYS[3 + rows + a]) > 0 then n = redis.call('BITCOUNT', KEYS[2]) end
    out[#out + 1] = n
  end
end
redis.call('DEL', KEYS[1], KEYS[2])
return out
