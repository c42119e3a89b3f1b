-- Removes documents of one partition of a standalone text index with their postings.
-- KEYS[1] docs: the partition's hash of document records (see _documents.lua); the partition's hash tag is its prefix
-- ARGV[1] fields: JSON list of the index's field names, in record order
-- ARGV[2..] ids: the documents to remove
-- returns integer: the number of documents that were in the index
-- @include _object.lua
-- @include _documents.lua
local base = string.match(KEYS[1], '^(.*):[^:]*$')
local fields = cjson.decode(ARGV[1])
local batch = text_batch(base)
local removed = 0
for i = 2, #ARGV do
  local id = ARGV[i]
  local old = redis.call('HGET', KEYS[1], id)
  if old then
    move_document(batch, fields, id, old, nil)
    redis.call('HDEL', KEYS[1], id)
    redis.call('HDEL', base .. ':src', id)
    removed = removed + 1
  end
end
text_commit(batch)
return removed
