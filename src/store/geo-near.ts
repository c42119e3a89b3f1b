import { InvalidArgumentError } from '../core/errors.js';
import { MAX_DISTANCE_M, checkPoint } from '../search/geohash.js';
import type { GeoPoint } from '../search/geohash.js';
import { ValidationError, storeScriptErrors } from './errors.js';
import { decodeRow } from './input.js';
import type { PartitionKeys } from './keys.js';
import type { ModelInternals } from './model-internals.js';
import { compareBytes } from './query-compile.js';
import { geoNearScript } from './scripts/index.generated.js';

/** An object found near a point, with its distance in meters (Redis' formula, 0.1 mm resolution). */
export interface Nearby<R> {
  readonly row: R;
  readonly distance: number;
}

/** Options of a nearest-objects search. */
export interface NearestOptions {
  /** How many objects to return (1 to 10,000). */
  readonly limit: number;
  /**
   * Only objects at most this far, in meters. The search grows circles from 1 km until one holds
   * `limit` objects; only when a circle would cross the antimeridian or reach a pole is every
   * point of the field's geo set measured. @defaultValue the whole Earth
   */
  readonly radius?: number;
}

const MAX_LIMIT = 10_000;

function invalid(field: string, reason: string): never {
  throw new ValidationError(field, reason);
}

/**
 * The `limit` live objects nearest to `center` by geo field `field`, closest first (ties by id):
 * each partition answers its own nearest in one read-only call (GEOSEARCH ASC, or a measured scan
 * for areas GEOSEARCH cannot answer), and the client keeps the best of them.
 */
export async function nearestObjects(internals: ModelInternals, field: string, center: unknown, options: NearestOptions): Promise<Nearby<Record<string, unknown>>[]> {
  const compiled = internals.schema.fields.get(field);
  const geo = compiled?.plugin?.geo;
  if (compiled === undefined || geo === undefined) invalid('field', `${JSON.stringify(field)} is not a geo field of model ${internals.schema.name}`);
  let point: GeoPoint;
  try {
    point = checkPoint(center, 'center');
  } catch (error) {
    if (error instanceof InvalidArgumentError) invalid(error.field, error.reason);
    throw error;
  }
  const { limit, radius = MAX_DISTANCE_M } = options;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_LIMIT) invalid('limit', `must be an integer from 1 to ${String(MAX_LIMIT)}`);
  if (typeof radius !== 'number' || !(radius > 0) || radius > MAX_DISTANCE_M) invalid('radius', `must be meters, more than 0 and at most ${String(MAX_DISTANCE_M)}`);
  const scripts = internals.context.scripts;
  const lon = point.lon === 180 ? -180 : point.lon; // the meridian where the geo set's cells start
  const plans = internals.partitions.map((keys: PartitionKeys) =>
    scripts.plan(
      geoNearScript,
      { expiry: keys.expiry, geo: keys.plugin(field, geo.key) },
      { lon: String(lon), lat: String(point.lat), radius: String(radius), count: String(limit), rows: '1' },
    ),
  );
  const found: { id: string; distance: number; flat: string[] }[] = [];
  for (const result of await scripts.execMany(plans, storeScriptErrors)) {
    if (!result.ok) throw result.error;
    const parsed: unknown = JSON.parse(typeof result.value === 'string' ? result.value : '[]');
    for (const [id, distance, flat] of (Array.isArray(parsed) ? parsed : []) as [string, string, string[]][]) found.push({ id, distance: Number(distance), flat });
  }
  found.sort((a, b) => a.distance - b.distance || compareBytes(a.id, b.id));
  return found.slice(0, limit).map((f) => ({ row: decodeRow(internals.schema, f.id, f.flat), distance: f.distance }));
}
