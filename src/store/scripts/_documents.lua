-- Documents of a standalone text index (src/search/text-index.ts), inlined after _object.lua. A
-- partition keeps every document in one hash `<base>:docs`, id -> record: one slot per field of
-- the index, in declaration order, joined by \30; a slot is empty when the document has no value
-- for the field, else '+' and the field's token stream (see text_stage). The source texts, when
-- the index keeps them, are in `<base>:src` (id -> JSON). Postings, dictionaries and statistics are
-- the ones text fields of models use.

-- The token stream of each field of a record (nil where the document has no value).
local function record_streams(record, count)
  local out = {}
  if record == nil then return out end
  local i, n = 1, 1
  while n <= count do
    local j = string.find(record, '\30', i, true)
    local slot = string.sub(record, i, (j or 0) - 1)
    if slot ~= '' then out[n] = string.sub(slot, 2) end
    if not j then break end
    i, n = j + 1, n + 1
  end
  return out
end

-- Stages the move of document `id`'s postings from record `a` to record `b` (either may be nil)
-- in a text batch (see text_batch; text_commit applies it).
local function move_document(batch, fields, id, a, b)
  local before, after = record_streams(a, #fields), record_streams(b, #fields)
  for i, f in ipairs(fields) do text_stage(batch, f, id, before[i], after[i]) end
end
