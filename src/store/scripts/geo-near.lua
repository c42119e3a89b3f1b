#!lua flags=no-writes
-- The live objects of one partition nearest to a point by a geo field, closest first, with their
-- distances and fields: GEOSEARCH ASC WITHDIST in growing circles (across the antimeridian, with
-- the mirror circle past it), else (a circle reaching a pole) every point measured with Redis' formula.
-- KEYS[1] expiry: the partition's sorted set of expiry times (ms) by id
-- KEYS[2] geo: the field's geo set (the geo plug-in's entries)
-- ARGV[1] lon: the point's longitude
-- ARGV[2] lat: the point's latitude
-- ARGV[3] radius: the largest distance, in meters
-- ARGV[4] count: the most objects to return
-- ARGV[5] rows: '1' to return each object's fields (a model), '0' not to (a standalone geo index)
-- returns string: JSON array of [id, distance in meters (text, 4 decimals), flat field/value list or false]
-- @include _object.lua
-- @include _geo.lua
-- @include _order.lua
local base = string.sub(KEYS[1], 1, -5)
local lon, lat, radius, count = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local now = server_now()
local dead, ndead = {}, 0
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)) do
  dead[id] = true
  ndead = ndead + 1
end

local function by_distance(a, b)
  if a[2] ~= b[2] then return a[2] < b[2] end
  return bcmp(a[1], b[1]) < 0
end

-- GEOSEARCH ASC COUNT within radius r: the nearest live objects within r. A circle across the
-- antimeridian adds its mirror circles' points measured from the center (see geo_mirror); nil
-- when the circle reaches a pole or half the longitudes.
local function search(r)
  local circle = { lon = lon, lat = lat, r = r }
  local live = {}
  for _, h in ipairs(geo_nearest_first(KEYS[2], lon, lat, { 'BYRADIUS', r, 'm' }, count + ndead)) do
    if not dead[h[1]] then live[#live + 1] = h end
  end
  if not geo_wraps(circle) then
    table.sort(live, by_distance)
    return live
  end
  local mirrors = geo_mirror(circle)
  if mirrors == nil then return nil end
  local seen = {}
  for _, h in ipairs(live) do seen[h[1]] = true end
  local side = {}
  for _, m in ipairs(mirrors) do
    for _, id in ipairs(redis.call('GEOSEARCH', KEYS[2], 'FROMLONLAT', m.lon, m.lat, 'BYRADIUS', m.r, 'm')) do side[#side + 1] = id end
  end
  for at = 1, #side, 4000 do
    local chunk = { unpack(side, at, math.min(at + 3999, #side)) }
    for i, p in ipairs(redis.call('GEOPOS', KEYS[2], unpack(chunk))) do
      local id = chunk[i]
      if p and not seen[id] and not dead[id] then
        seen[id] = true
        local d = tonumber(string.format('%.4f', geo_dist(tonumber(p[1]), tonumber(p[2]), lon, lat)))
        if d <= r then live[#live + 1] = { id, d } end
      end
    end
  end
  table.sort(live, by_distance)
  return live
end

-- Growing circles first: once one holds `count` live objects they are the nearest of all, since
-- everything outside it is farther. Only the last resort measures every point.
local hits
local r = 1000
while r < radius and hits == nil do
  local live = search(r)
  if live == nil then break end
  if #live >= count then hits = live end
  r = r * 8
end
if hits == nil then hits = search(radius) end
if hits == nil then
  hits = {}
  local at = 0
  while true do
    local chunk = redis.call('ZRANGE', KEYS[2], at, at + 4999)
    if #chunk > 0 then
      local pos = redis.call('GEOPOS', KEYS[2], unpack(chunk))
      for i, id in ipairs(chunk) do
        local p = pos[i]
        if p and not dead[id] then
          local d = geo_dist(tonumber(p[1]), tonumber(p[2]), lon, lat)
          if d <= radius then hits[#hits + 1] = { id, tonumber(string.format('%.4f', d)) } end
        end
      end
    end
    if #chunk < 5000 then break end
    at = at + 5000
  end
  table.sort(hits, by_distance)
end

local out = {}
for i = 1, math.min(count, #hits) do
  local id = hits[i][1]
  out[i] = { id, string.format('%.4f', hits[i][2]), ARGV[5] == '1' and redis.call('HGETALL', base .. ':h:' .. enc(id)) }
end
if #out == 0 then return '[]' end
return cjson.encode(out)
