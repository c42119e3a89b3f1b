import { optionsObject } from '../core/options.js';
import type { KickassContext } from '../core/context.js';
import { InvalidArgumentError } from '../core/errors.js';
import { partitionOf } from '../core/keys.js';
import { unlinkKeys } from '../core/scan.js';
import { ValidationError, storeScriptErrors } from '../store/errors.js';
import type { GeoArea } from '../store/fields.js';
import { checkId } from '../store/input.js';
import { globEscape } from '../core/keys.js';
import { compareBytes } from '../store/query-compile.js';
import { geoAreaScript, geoNearScript } from '../store/scripts/index.generated.js';
import { MAX_DISTANCE_M, areaWraps, checkPoint } from './geohash.js';
import type { GeoPoint } from './geohash.js';

/** A point of a standalone geo index. */
export interface GeoIndexPoint extends GeoPoint {
  readonly id: string;
}

/** A point found by a search, with its distance in meters from the search's center. */
export interface GeoHit {
  readonly id: string;
  readonly distance: number;
}

/** Options of a standalone geo index (`kr.geoIndex(name, options)`). */
export interface GeoIndexOptions {
  /** Hash slots the points spread over (Redis Cluster). @defaultValue 1 */
  readonly partitions?: number;
}

const NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
/** Points per GEOADD. */
const BATCH = 1000;
/** Most hits of one search. */
const MAX_LIMIT = 100_000;

function byDistance(a: GeoHit, b: GeoHit): number {
  return a.distance - b.distance || compareBytes(a.id, b.id);
}

/** The area as geo-area.lua reads it, validated. */
function areaArg(area: GeoArea): string {
  const point = checkPoint(area, 'area');
  const base = { lon: String(point.lon === 180 ? -180 : point.lon), lat: String(point.lat) };
  const meters = (value: unknown, name: string): string => {
    if (typeof value !== 'number' || !(value > 0) || value > MAX_DISTANCE_M) throw new InvalidArgumentError(`area.${name}`, `must be meters, more than 0 and at most ${String(MAX_DISTANCE_M)}`);
    return String(value);
  };
  if ('radius' in area) return JSON.stringify({ ...base, r: meters(area.radius, 'radius') });
  const box = area as { width?: unknown; height?: unknown };
  if (box.width === undefined && box.height === undefined) throw new InvalidArgumentError('area', 'needs radius, or width and height (meters)');
  return JSON.stringify({ ...base, w: meters(box.width, 'width'), h: meters(box.height, 'height') });
}

function limitOf(value: unknown, fallback: number): number {
  const limit = value ?? fallback;
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw new ValidationError('limit', `must be an integer from 1 to ${String(MAX_LIMIT)}`);
  return limit;
}

/**
 * A geo index of bare points with ids (no objects): radius and box searches and the nearest
 * points, each with distances and nearest first, answered exactly as GEOSEARCH decides (also
 * across the antimeridian), on one or several hash slots.
 */
export class GeoIndex {
  readonly #context: KickassContext;
  readonly #sets: readonly string[];
  readonly #tags: readonly string[];
  /** The index name. */
  readonly name: string;

  constructor(context: KickassContext, name: string, givenOptions?: GeoIndexOptions) {
    const options = optionsObject(givenOptions, 'options');
    if (typeof name !== 'string' || !NAME.test(name)) throw new InvalidArgumentError('name', 'must be 1-64 characters of A-Z, a-z, 0-9, "_", ".", "-", starting with a letter');
    const partitions = options.partitions ?? 1;
    if (!Number.isSafeInteger(partitions) || partitions < 1 || partitions > 1024) throw new InvalidArgumentError('partitions', 'must be an integer from 1 to 1024');
    const slots = Array.from({ length: partitions }, (_, p) => context.keys.slot('geo', name, p));
    this.#context = context;
    this.#tags = slots.map((s) => s.tag);
    this.#sets = slots.map((s) => s.key('pts'));
    this.name = name;
  }

  /** Adds or moves points (each GEOADD of up to 1,000 points atomic, pipelined); every point is validated first. Resolves to the number that were new. */
  async addMany(points: readonly GeoIndexPoint[]): Promise<number> {
    const list: unknown = points;
    if (!Array.isArray(list)) throw new ValidationError('points', 'must be an array of { id, lon, lat }');
    const byPartition = new Map<number, (string | number)[]>();
    points.forEach((point, i) => {
      const at = `points[${String(i)}]`;
      const id = checkId((point as { id?: unknown } | null)?.id, `${at}.id`);
      let checked: GeoPoint;
      try {
        checked = checkPoint(point, at);
      } catch (error) {
        if (error instanceof InvalidArgumentError) throw new ValidationError(error.field, error.reason, { cause: error });
        throw error;
      }
      const p = partitionOf(id, this.#sets.length);
      const args = byPartition.get(p) ?? [];
      args.push(checked.lon, checked.lat, id);
      byPartition.set(p, args);
    });
    const client = this.#context.client;
    const pending: Promise<number>[] = [];
    for (const [p, args] of byPartition) {
      for (let at = 0; at < args.length; at += BATCH * 3) pending.push(client.geoadd(this.#sets[p] as string, ...args.slice(at, at + BATCH * 3)));
    }
    return (await Promise.all(pending)).reduce((a, b) => a + b, 0);
  }

  /** Adds or moves one point; resolves true when it was new. */
  async add(id: string, point: GeoPoint): Promise<boolean> {
    const given: unknown = point;
    if (typeof given !== 'object' || given === null) throw new InvalidArgumentError('point', 'must be { lon, lat }');
    return (await this.addMany([{ id, lon: point.lon, lat: point.lat }])) === 1;
  }

  /** Removes points; resolves to the number that were in the index. */
  async remove(...ids: string[]): Promise<number> {
    const byPartition = new Map<number, string[]>();
    ids.forEach((id, i) => {
      checkId(id, `ids[${String(i)}]`);
      const p = partitionOf(id, this.#sets.length);
      byPartition.set(p, [...(byPartition.get(p) ?? []), id]);
    });
    const removed = await Promise.all([...byPartition].map(([p, list]) => this.#context.client.zrem(this.#sets[p] as string, ...list)));
    return removed.reduce((a, b) => a + b, 0);
  }

  async #area(area: GeoArea, count: number): Promise<unknown[]> {
    let arg: string;
    try {
      arg = areaArg(area);
    } catch (error) {
      if (error instanceof InvalidArgumentError && !(error instanceof ValidationError)) throw new ValidationError(error.field, error.reason, { cause: error });
      throw error;
    }
    const scripts = this.#context.scripts;
    const results = await scripts.execMany(this.#sets.map((points) => scripts.plan(geoAreaScript, { points }, { area: arg, count })), storeScriptErrors);
    return results.map((result) => {
      if (!result.ok) throw result.error;
      return result.value;
    });
  }

  /**
   * GEOSEARCH ASC WITHDIST COUNT limit + 1 straight from the client, one command per partition: null
   * when the area needs the script (see areaWraps) or a partition's last two points tie, so that
   * the script's tie widening decides which of them come first.
   */
  async #withinWithoutScript(area: GeoArea, limit: number): Promise<GeoHit[] | null> {
    const parsed = JSON.parse(areaArg(area)) as { lon: string; lat: string; r?: string; w?: string; h?: string };
    const circle = parsed.r !== undefined;
    const [halfW, halfH] = circle ? [Number(parsed.r), Number(parsed.r)] : [Number(parsed.w) / 2, Number(parsed.h) / 2];
    if (areaWraps(Number(parsed.lon), Number(parsed.lat), halfW, halfH)) return null;
    const shape = circle ? ['BYRADIUS', parsed.r as string, 'm'] : ['BYBOX', parsed.w as string, parsed.h as string, 'm'];
    const client = this.#context.client;
    const replies = await Promise.all(this.#sets.map((key) => client.call('GEOSEARCH', key, 'FROMLONLAT', parsed.lon, parsed.lat, ...shape, 'ASC', 'WITHDIST', 'COUNT', String(limit + 1)) as Promise<[string, string][]>));
    const hits: GeoHit[] = [];
    for (const reply of replies) {
      if (reply.length > limit && (reply[limit] as [string, string])[1] === (reply[limit - 1] as [string, string])[1]) return null;
      for (const [id, distance] of reply.slice(0, limit)) hits.push({ id, distance: Number(distance) });
    }
    return hits.sort(byDistance).slice(0, limit);
  }

  /** The points in a circle (`radius`) or box (`width` x `height`), meters, nearest the center first (ties by id), with distances. @defaultValue limit 1,000 */
  async within(area: GeoArea, givenOptions?: { readonly limit?: number }): Promise<GeoHit[]> {
    const options = optionsObject(givenOptions, 'options');
    const limit = limitOf(options.limit, 1000);
    let fast: GeoHit[] | null;
    try {
      fast = await this.#withinWithoutScript(area, limit);
    } catch (error) {
      if (error instanceof InvalidArgumentError && !(error instanceof ValidationError)) throw new ValidationError(error.field, error.reason, { cause: error });
      throw error;
    }
    if (fast !== null) return fast;
    const hits: GeoHit[] = [];
    for (const reply of await this.#area(area, limit)) {
      const parsed: unknown = JSON.parse(String(reply));
      for (const [id, distance] of (Array.isArray(parsed) ? parsed : []) as [string, string][]) hits.push({ id, distance: Number(distance) });
    }
    return hits.sort(byDistance).slice(0, limit);
  }

  /** The number of points in a circle or box. */
  async count(area: GeoArea): Promise<number> {
    return (await this.#area(area, 0)).reduce((sum: number, n) => sum + Number(n), 0);
  }

  /** The `limit` points nearest to `center` (within `radius` meters when given), nearest first, with distances. */
  async nearest(center: GeoPoint, givenOptions: { readonly limit: number; readonly radius?: number }): Promise<GeoHit[]> {
    const options = optionsObject(givenOptions, 'options');
    let point: GeoPoint;
    try {
      point = checkPoint(center, 'center');
    } catch (error) {
      if (error instanceof InvalidArgumentError) throw new ValidationError(error.field, error.reason, { cause: error });
      throw error;
    }
    const limit = limitOf(options.limit, 10);
    const radius = options.radius ?? MAX_DISTANCE_M;
    if (typeof radius !== 'number' || !(radius > 0) || radius > MAX_DISTANCE_M) throw new ValidationError('radius', `must be meters, more than 0 and at most ${String(MAX_DISTANCE_M)}`);
    const scripts = this.#context.scripts;
    const lon = String(point.lon === 180 ? -180 : point.lon);
    const plans = this.#sets.map((geo, p) =>
      scripts.plan(geoNearScript, { expiry: `${this.#tags[p] as string}:exp`, geo }, { lon, lat: String(point.lat), radius: String(radius), count: String(limit), rows: '0' }),
    );
    const hits: GeoHit[] = [];
    for (const result of await scripts.execMany(plans, storeScriptErrors)) {
      if (!result.ok) throw result.error;
      const parsed: unknown = JSON.parse(String(result.value));
      for (const [id, distance] of (Array.isArray(parsed) ? parsed : []) as [string, string][]) hits.push({ id, distance: Number(distance) });
    }
    return hits.sort(byDistance).slice(0, limit);
  }

  /** The point of an id (the center of its 52-bit geohash cell, as Redis returns it), or null. */
  async get(id: string): Promise<GeoPoint | null> {
    checkId(id);
    const [pos] = await this.#context.client.geopos(this.#sets[partitionOf(id, this.#sets.length)] as string, id);
    return pos ? { lon: Number(pos[0]), lat: Number(pos[1]) } : null;
  }

  /** The number of points. */
  async size(): Promise<number> {
    const sizes = await Promise.all(this.#sets.map((key) => this.#context.client.zcard(key)));
    return sizes.reduce((a, b) => a + b, 0);
  }

  /** Deletes the whole index; resolves to the number of keys removed. */
  async drop(): Promise<number> {
    let removed = 0;
    for (const tag of this.#tags) removed += await unlinkKeys(this.#context.client, `${globEscape(tag)}:*`);
    return removed;
  }
}
