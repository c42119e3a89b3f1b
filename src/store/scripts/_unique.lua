-- Shared helpers of the unique-value scripts (models with several partitions).
-- An owner entry is "<token>:<id>"; a bare id (no token) reads as token ''.
local function parse_owner(value)
  if not value then return nil, nil end
  local token, id = string.match(value, '^(%x*):(.*)$')
  if token == nil then return '', value end
  return token, id
end

-- A claim is "<expiresAt>:<token>:<id>".
local function parse_claim(value)
  if not value then return nil, nil, nil end
  local at, token, id = string.match(value, '^(%d+):(%x+):(.*)$')
  return tonumber(at), token, id
end
