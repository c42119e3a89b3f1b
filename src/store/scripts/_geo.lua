-- Geo helpers shared by the query scripts, inlined by `-- @include _geo.lua` (before _query.lua):
-- distances with the formula and Earth radius Redis uses, and the areas GEOSEARCH cannot answer.
local EARTH_M, DEG = 6372797.560856, math.pi / 180
local function geo_dist(lon1, lat1, lon2, lat2)
  local lat1r, lon1r, lat2r, lon2r = lat1 * DEG, lon1 * DEG, lat2 * DEG, lon2 * DEG
  local u, v = math.sin((lat2r - lat1r) / 2), math.sin((lon2r - lon1r) / 2)
  return 2.0 * EARTH_M * math.asin(math.sqrt(u * u + math.cos(lat1r) * math.cos(lat2r) * v * v))
end
-- GEOSEARCH drops the cells past the antimeridian (it bounds longitudes without wrapping), so an
-- area that crosses it, or reaches a pole, is answered by checking every point of the geo set.
local function geo_wraps(node)
  local lat = tonumber(node.lat)
  local half_h = (node.r and tonumber(node.r) or tonumber(node.h) / 2) / EARTH_M / DEG
  local half_w = node.r and tonumber(node.r) or tonumber(node.w) / 2
  local far = math.abs(lat) + half_h
  if far >= 89.9 then return true end
  local lon_delta = half_w / (EARTH_M * math.cos(far * DEG)) / DEG
  return tonumber(node.lon) - lon_delta <= -180 or tonumber(node.lon) + lon_delta >= 180
end
