-- Geo helpers shared by the query scripts, inlined by `-- @include _geo.lua` (before _query.lua):
-- distances with the formula and Earth radius Redis uses, and areas decided exactly as GEOSEARCH
-- decides them. An area is {lon, lat, r} (radius) or {lon, lat, w, h} (box), meters, as texts.
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

-- Whether the point `id` of geo set `key` lies in the area (GEOSEARCH's formulas, decoded point).
local function geo_in(key, area, id)
  local pos = redis.call('GEOPOS', key, id)[1]
  if not pos then return false end
  local x, y, cx, cy = tonumber(pos[1]), tonumber(pos[2]), tonumber(area.lon), tonumber(area.lat)
  if area.r then return geo_dist(x, y, cx, cy) <= tonumber(area.r) end
  if EARTH_M * math.abs(cy * DEG - y * DEG) > tonumber(area.h) / 2 then return false end
  return geo_dist(x, y, cx, y) <= tonumber(area.w) / 2
end

-- The members of geo set `key` in the area: GEOSEARCH, or every point checked when it wraps.
local function geo_area_ids(key, area)
  if not geo_wraps(area) then
    local shape = area.r and { 'BYRADIUS', area.r, 'm' } or { 'BYBOX', area.w, area.h, 'm' }
    return redis.call('GEOSEARCH', key, 'FROMLONLAT', area.lon, area.lat, unpack(shape))
  end
  local hits, at = {}, 0
  while true do
    local chunk = redis.call('ZRANGE', key, at, at + 4999)
    for _, id in ipairs(chunk) do
      if geo_in(key, area, id) then hits[#hits + 1] = id end
    end
    if #chunk < 5000 then break end
    at = at + 5000
  end
  return hits
end
