-- A funnel in one call: how many ids reached each step, in order at slot granularity. An id has
-- reached step k by window slot s when it did step k in some slot t <= s after reaching step k-1
-- by t (step 1: it did it in some slot <= s).
-- KEYS[1] reached: a scratch key of the group per window slot, first of ARGV[2] * 2 scratch keys (two rows of them), all deleted before the script ends; the group's hash tag is its prefix
-- KEYS[2..] keys: the scratch keys after the first, then each step's slot keys, step by step, ARGV[2] per step
-- ARGV[1] steps: the number of steps
-- ARGV[2] window: the number of slots in the window
-- returns integer[]: the number of ids that reached each step
local steps, window = tonumber(ARGV[1]), tonumber(ARGV[2])
local function scratch(row, s) return KEYS[row * window + s] end
local function slot(k, s) return KEYS[2 * window + (k - 1) * window + s] end
local out = {}
local prev, cur = 0, 1
for k = 1, steps do
  for s = 1, window do
    local here = slot(k, s)
    if k > 1 then
      redis.call('BITOP', 'AND', scratch(cur, s), scratch(prev, s), here)
      here = scratch(cur, s)
    end
    if s > 1 then
      redis.call('BITOP', 'OR', scratch(cur, s), scratch(cur, s - 1), here)
    elseif k == 1 then
      redis.call('BITOP', 'OR', scratch(cur, s), here)
    end
  end
  out[k] = redis.call('BITCOUNT', scratch(cur, window))
  prev, cur = cur, prev
end
for i = 1, 2 * window do redis.call('DEL', KEYS[i]) end
return out
