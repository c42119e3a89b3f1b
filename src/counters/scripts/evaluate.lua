-- Evaluates a set expression over bitmaps of one counter group into a result bitmap kept `ttl` ms
-- (a result still there is reused unless fresh), and returns its number of ids. Scratch keys are
-- deleted before the script ends; every key it creates carries a TTL.
-- KEYS[1] result: the result bitmap; the group's hash tag is its prefix
-- KEYS[2] universe: the group's universe of the operands' id space (for not)
-- KEYS[3..] keys: the scratch keys (ARGV[3] of them), then the operands' bitmaps
-- ARGV[1] ttl: milliseconds the result is kept
-- ARGV[2] fresh: '1' to compute it again even when a result is there
-- ARGV[3] scratch: the number of scratch keys among KEYS[3..]
-- ARGV[4] program: JSON postfix program: ["k", i] pushes operand i (from 1), ["and" | "or" | "xor", n] combines the n top entries, ["not"] complements the top within the universe
-- returns integer: the number of ids in the result
if ARGV[2] ~= '1' and redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('BITCOUNT', KEYS[1]) end
local scratch = tonumber(ARGV[3])
local used, stack = 0, {}
local function fresh_key()
  used = used + 1
  return KEYS[2 + used]
end
for _, step in ipairs(cjson.decode(ARGV[4])) do
  local op = step[1]
  if op == 'k' then
    stack[#stack + 1] = KEYS[2 + scratch + step[2]]
  elseif op == 'not' then
    local top = table.remove(stack)
    local out = fresh_key()
    -- universe AND NOT top, as universe XOR (universe AND top): the universe's length, even past top's end
    redis.call('BITOP', 'AND', out, KEYS[2], top)
    redis.call('BITOP', 'XOR', out, out, KEYS[2])
    stack[#stack + 1] = out
  else
    local n = step[2]
    local args = { 'BITOP', string.upper(op), fresh_key() }
    for i = #stack - n + 1, #stack do args[#args + 1] = stack[i] end
    for _ = 1, n do table.remove(stack) end
    redis.call(unpack(args))
    stack[#stack + 1] = args[3]
  end
end
redis.call('BITOP', 'OR', KEYS[1], stack[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1]))
for i = 1, scratch do redis.call('DEL', KEYS[2 + i]) end
return redis.call('BITCOUNT', KEYS[1])
