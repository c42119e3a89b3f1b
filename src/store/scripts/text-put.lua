-- Adds or replaces documents of one partition of a standalone text index, moving their postings
-- from the stored records to the new ones in the same call.
-- KEYS[1] docs: the partition's hash of document records (see _documents.lua); the partition's hash tag is its prefix
-- ARGV[1] fields: JSON list of the index's field names, in record order
-- ARGV[2] batch: JSON [[id, record, source JSON or ''], ...]
-- returns integer: the number of documents that were not in the index before
-- @include _object.lua
-- @include _documents.lua
local base = string.match(KEYS[1], '^(.*):[^:]*$')
local fields = cjson.decode(ARGV[1])
local batch = text_batch(base)
local added = 0
for _, item in ipairs(cjson.decode(ARGV[2])) do
  local id, record, source = item[1], item[2], item[3]
  local old = redis.call('HGET', KEYS[1], id)
  if not old then
    old = nil
    added = added + 1
  end
  move_document(batch, fields, id, old, record)
  redis.call('HSET', KEYS[1], id, record)
  if source ~= '' then
    redis.call('HSET', base .. ':src', id, source)
  elseif old ~= nil then
    redis.call('HDEL', base .. ':src', id)
  end
end
text_commit(batch)
return added
