import { InvalidArgumentError } from '../core/errors.js';

/** A point on Earth: longitude and latitude in degrees (WGS84). */
export interface GeoPoint {
  readonly lon: number;
  readonly lat: number;
}

/** Redis' latitude limit (Web Mercator): GEOADD refuses points beyond it. */
export const MAX_LATITUDE = 85.05112878;
/** The Earth radius Redis uses for distances (meters). */
export const EARTH_RADIUS_M = 6372797.560856;
/** The largest distance between two points: half the Earth's circumference, in meters (rounded up). */
export const MAX_DISTANCE_M = 20_037_509;

const STEP = 26; // bits per coordinate: 52-bit scores, as GEOADD stores them

/** Checks a point and returns it normalized; a typed error names the field and the reason. */
export function checkPoint(value: unknown, field: string): GeoPoint {
  const { lon, lat } = (typeof value === 'object' && value !== null ? value : {}) as { lon?: unknown; lat?: unknown };
  if (typeof lon !== 'number' || !Number.isFinite(lon) || lon < -180 || lon > 180) throw new InvalidArgumentError(`${field}.lon`, 'must be a number from -180 to 180');
  if (typeof lat !== 'number' || !Number.isFinite(lat) || Math.abs(lat) > MAX_LATITUDE) {
    throw new InvalidArgumentError(`${field}.lat`, `must be a number from -${String(MAX_LATITUDE)} to ${String(MAX_LATITUDE)} (the limit of Redis geo indexes)`);
  }
  return { lon, lat };
}

/** Spreads the low 32 bits of n over the even bit positions of a 64-bit value. */
function spread(n: number): bigint {
  let x = BigInt(n >>> 0);
  x = (x | (x << 16n)) & 0x0000ffff0000ffffn;
  x = (x | (x << 8n)) & 0x00ff00ff00ff00ffn;
  x = (x | (x << 4n)) & 0x0f0f0f0f0f0f0f0fn;
  x = (x | (x << 2n)) & 0x3333333333333333n;
  x = (x | (x << 1n)) & 0x5555555555555555n;
  return x;
}

/**
 * The 52-bit geohash score GEOADD gives a point (so the index is a Redis geo set), except at the
 * two top edges: GEOADD puts lon 180 and lat 85.05112878 in a cell past the last one, where
 * GEOSEARCH does not look (a point at lon 180 was missed by a 2,400 km radius search around lon
 * 179.99). Here lon 180 is the same meridian as lon -180 and the top latitude is the last cell.
 */
export function geohashScore(point: GeoPoint): number {
  const cells = 2 ** STEP;
  const lon = point.lon === 180 ? -180 : point.lon;
  const latCell = Math.min(cells - 1, Math.floor(((point.lat + MAX_LATITUDE) / (2 * MAX_LATITUDE)) * cells));
  const lonCell = Math.floor(((lon + 180) / 360) * cells);
  return Number(spread(latCell) | (spread(lonCell) << 1n));
}

/** Great-circle distance in meters, with the formula and radius Redis uses. */
export function distanceM(a: GeoPoint, b: GeoPoint): number {
  const rad = Math.PI / 180;
  const u = Math.sin(((b.lat - a.lat) * rad) / 2);
  const v = Math.sin(((b.lon - a.lon) * rad) / 2);
  return 2 * EARTH_RADIUS_M * Math.asin(Math.sqrt(u * u + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * v * v));
}

/**
 * Whether GEOSEARCH alone cannot answer an area: it crosses the antimeridian or comes within
 * 0.1 degree of a pole (Redis bounds longitudes without wrapping). Mirrors geo_wraps in the store's
 * _geo.lua; true sends the area to the scripts that handle it.
 */
export function areaWraps(lon: number, lat: number, halfWidthM: number, halfHeightM: number): boolean {
  const deg = Math.PI / 180;
  const far = Math.abs(lat) + halfHeightM / EARTH_RADIUS_M / deg;
  if (far >= 89.9) return true;
  const d = halfWidthM / (EARTH_RADIUS_M * Math.cos(far * deg)) / deg;
  return lon - d <= -180 || lon + d >= 180;
}
