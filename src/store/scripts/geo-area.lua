#!lua flags=no-writes
-- The points of one partition of a standalone geo index inside an area, nearest the area's
-- center first (ties by id), with their distances; or only how many there are.
-- KEYS[1] points: the partition's geo set
-- ARGV[1] area: JSON {lon, lat, r} (radius) or {lon, lat, w, h} (box), meters, as texts
-- ARGV[2] count: the most points to return, 0 to count them
-- returns unknown: the number of points (count 0), else JSON [[id, distance in meters (text, 4 decimals)], ...]
-- @include _geo.lua
-- @include _order.lua
local area = cjson.decode(ARGV[1])
local count = tonumber(ARGV[2])
local shape = area.r and { 'BYRADIUS', area.r, 'm' } or { 'BYBOX', area.w, area.h, 'm' }
if count == 0 then return #geo_area_ids(KEYS[1], area) end
local hits = {}
if not geo_wraps(area) then
  hits = geo_nearest_first(KEYS[1], area.lon, area.lat, shape, count)
else
  local ids = geo_area_ids(KEYS[1], area)
  local lon, lat = tonumber(area.lon), tonumber(area.lat)
  for at = 1, #ids, 4000 do
    local chunk = { unpack(ids, at, math.min(at + 3999, #ids)) }
    for i, p in ipairs(redis.call('GEOPOS', KEYS[1], unpack(chunk))) do
      if p then hits[#hits + 1] = { chunk[i], tonumber(string.format('%.4f', geo_dist(tonumber(p[1]), tonumber(p[2]), lon, lat))) } end
    end
  end
end
table.sort(hits, function(a, b)
  if a[2] ~= b[2] then return a[2] < b[2] end
  return bcmp(a[1], b[1]) < 0
end)
local out = {}
for i = 1, math.min(count, #hits) do out[i] = { hits[i][1], string.format('%.4f', hits[i][2]) } end
if #out == 0 then return '[]' end
return cjson.encode(out)
