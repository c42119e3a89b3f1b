-- Invalidates tags in one partition of a cache: each tag's version goes up, so that every entry
-- written with the old version reads as missing from now on.
-- KEYS[1] tags: the partition's hash of tag versions
-- ARGV[1..] tags: the tags
-- returns integer: the number of tags
for i = 1, #ARGV do redis.call('HINCRBY', KEYS[1], ARGV[i], 1) end
return #ARGV
