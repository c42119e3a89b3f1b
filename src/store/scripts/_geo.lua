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
-- area that crosses it is searched on both sides (see geo_mirror), and one that reaches a pole or
-- spans half the longitudes by checking every point of the geo set.
-- The farthest latitude an area reaches and its half width in degrees of longitude there.
local function geo_extent(node)
  local half_h = (node.r and tonumber(node.r) or tonumber(node.h) / 2) / EARTH_M / DEG
  local half_w = node.r and tonumber(node.r) or tonumber(node.w) / 2
  local far = math.abs(tonumber(node.lat)) + half_h
  if far >= 89.9 then return far, math.huge end
  return far, half_w / (EARTH_M * math.cos(far * DEG)) / DEG
end

local function geo_wraps(node)
  local _, d = geo_extent(node)
  return tonumber(node.lon) - d <= -180 or tonumber(node.lon) + d >= 180
end

-- The circles around the antimeridian points at the area's latitude (lon -180 and 180: the cells
-- on either edge of the geohash grid) that hold the area's points GEOSEARCH misses near it: a point
-- of the area is within (radius, or half width plus half height) of the center C, so within that
-- plus |CA| of A. nil when every point must be checked.
local function geo_mirror(node)
  local _, d = geo_extent(node)
  if d >= 90 then return nil end
  local lon, lat = tonumber(node.lon), tonumber(node.lat)
  local reach = node.r and tonumber(node.r) or (tonumber(node.w) + tonumber(node.h)) / 2
  local r = reach + geo_dist(lon, lat, 180, lat) + 1
  return { { lon = -180, lat = lat, r = r }, { lon = 180, lat = lat, r = r } }
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

-- The members of geo set `key` in the area: GEOSEARCH; for an area across the antimeridian also
-- the mirror circles at it, every candidate checked; every point checked when there are none.
local function geo_area_ids(key, area)
  local shape = area.r and { 'BYRADIUS', area.r, 'm' } or { 'BYBOX', area.w, area.h, 'm' }
  if not geo_wraps(area) then
    return redis.call('GEOSEARCH', key, 'FROMLONLAT', area.lon, area.lat, unpack(shape))
  end
  local hits, seen = {}, {}
  local mirrors = geo_mirror(area)
  if mirrors ~= nil then
    local lists = { redis.call('GEOSEARCH', key, 'FROMLONLAT', area.lon, area.lat, unpack(shape)) }
    for _, m in ipairs(mirrors) do lists[#lists + 1] = redis.call('GEOSEARCH', key, 'FROMLONLAT', m.lon, m.lat, 'BYRADIUS', m.r, 'm') end
    for _, found in ipairs(lists) do
      for _, id in ipairs(found) do
        if not seen[id] then
          seen[id] = true
          if geo_in(key, area, id) then hits[#hits + 1] = id end
        end
      end
    end
    return hits
  end
  local at = 0
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

-- GEOSEARCH ... ASC WITHDIST COUNT n from a point (shape: BYRADIUS / BYBOX arguments), with every
-- point tied with the n-th at its distance too, so that ties can be broken by id: {{id, distance}}.
local function geo_nearest_first(key, lon, lat, shape, n)
  local c = n
  while true do
    local args = { 'GEOSEARCH', key, 'FROMLONLAT', lon, lat }
    for _, a in ipairs(shape) do args[#args + 1] = a end
    for _, a in ipairs({ 'ASC', 'WITHDIST', 'COUNT', c + 1 }) do args[#args + 1] = a end
    local found = redis.call(unpack(args))
    if #found <= c or tonumber(found[#found][2]) > tonumber(found[n][2]) then
      local out = {}
      for i, h in ipairs(found) do
        if i <= c then out[i] = { h[1], tonumber(h[2]) } end
      end
      return out
    end
    c = c * 2
  end
end
