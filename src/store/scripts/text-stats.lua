#!lua flags=no-writes
-- The statistics one partition contributes to ranking a full-text query on a model or text index with several
-- partitions: the caller sums them over every partition, so that scores are the same wherever an
-- object lives, and passes the sums to query.lua as the query's `g`.
-- KEYS[1] ids: the partition's ids (a model's ids set, an index's document hash); its hash tag is the partition's
-- ARGV[1] text: the compiled text query as JSON (see _text.lua)
-- returns string: JSON {n = {field = objects with a value}, l = {field = total length},
--   d = {field = {term = objects with it}}, e = {leaf number = {{field, term}, ...}}}
-- error E_QUERY_TOO_BROAD: a prefix or fuzzy word stands for too many terms (detail: leaf, limit)
-- @include _object.lua
-- @include _order.lua
-- @include _edits.lua
-- @include _text.lua
local base = string.match(KEYS[1], '^(.*):[^:]*$')
return cjson.encode(text_stats(base, cjson.decode(ARGV[1])))
