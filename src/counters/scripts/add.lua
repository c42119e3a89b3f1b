-- Adds a batch to a counter group: per target key its bits (a byte range merged with BITOP OR
-- through a scratch key, or single bits) or, for an approximate counter, its ids (PFADD), or the
-- union of other targets (the group's universe takes every slot key of one unit), then the key's
-- expiry.
-- KEYS[1] scratch: a scratch key of the group, deleted before the script ends; the group's hash tag is its prefix
-- KEYS[2..] targets: the keys written (slot keys and the group's universe)
-- ARGV[1..] per target, four values: kind ('r' a byte range of bits, 'f' a JSON list of bit offsets, 'h' a JSON list of ids, 'o' a JSON list of the targets it takes the union of, by number from 1), expire at (ms since the epoch, '0' for none), byte offset (kind 'r'), payload
-- returns integer: the number of targets written
for t = 2, #KEYS do
  local key = KEYS[t]
  local at = (t - 2) * 4
  local kind, offset, payload = ARGV[at + 1], tonumber(ARGV[at + 3]), ARGV[at + 4]
  if kind == 'r' then
    redis.call('SETRANGE', KEYS[1], offset, payload)
    redis.call('BITOP', 'OR', key, key, KEYS[1])
    redis.call('DEL', KEYS[1])
  elseif kind == 'f' then
    local args = { 'BITFIELD', key }
    for _, bit in ipairs(cjson.decode(payload)) do
      args[#args + 1] = 'SET'
      args[#args + 1] = 'u1'
      args[#args + 1] = bit
      args[#args + 1] = 1
      if #args >= 4002 then
        redis.call(unpack(args))
        args = { 'BITFIELD', key }
      end
    end
    if #args > 2 then redis.call(unpack(args)) end
  elseif kind == 'o' then
    local args = { 'BITOP', 'OR', key, key }
    for _, n in ipairs(cjson.decode(payload)) do args[#args + 1] = KEYS[1 + n] end
    redis.call(unpack(args))
  else
    local ids = cjson.decode(payload)
    for i = 1, #ids, 1000 do redis.call('PFADD', key, unpack(ids, i, math.min(i + 999, #ids))) end
  end
end
-- expiries last: a slot past its retention goes, but only after the unions have read it
for t = 2, #KEYS do
  local expire = tonumber(ARGV[(t - 2) * 4 + 2])
  if expire > 0 then redis.call('PEXPIREAT', KEYS[t], expire) end
end
return #KEYS - 1
