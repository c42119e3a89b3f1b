import { funnel, retention } from '../counters/analysis.js';
import type { SlotUnit } from '../counters/calendar.js';
import { SLOT_UNITS } from '../counters/calendar.js';
import { KickassError } from '../core/errors.js';
import type { Kickass } from '../kickass.js';
import type { Model } from '../store/model.js';
import type { FieldMap } from '../store/types.js';
import { readSyncStatus } from '../sync/sync-status.js';
import { analysable } from '../cli/catalog.js';
import type { AnyUniqueCounter, Catalog, CatalogModel } from '../cli/catalog.js';
import { periodsBegun, slotsBefore } from '../cli/instants.js';
import { collectStats, describeFields } from '../cli/stats.js';

/** What the dashboard's API answers from. */
export interface DashboardSource {
  readonly kr: Kickass;
  readonly catalog: Catalog;
  /** Write actions (reindex) are refused unless true. */
  readonly allowWrites: boolean;
}

/** An API answer other than 200: the HTTP status and one sentence. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function named<T>(list: readonly T[] | undefined, nameOf: (item: T) => string, name: string | null, what: string): T {
  const found = (list ?? []).find((item) => nameOf(item) === name);
  if (found === undefined) throw new ApiError(404, `there is no ${what} named ${String(name)}`);
  return found;
}

function integer(query: URLSearchParams, name: string, fallback: number, max: number): number {
  const text = query.get(name);
  if (text === null || text === '') return fallback;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1 || n > max) throw new ApiError(400, `${name} must be a whole number from 1 to ${String(max)}`);
  return n;
}

function instant(query: URLSearchParams, name: string): number {
  const text = query.get(name);
  if (text === null || text === '' || text === 'now') return Date.now();
  const at = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(at)) throw new ApiError(400, `${name} must be a date`);
  return at;
}

function unit(query: URLSearchParams, allowed: readonly SlotUnit[]): SlotUnit {
  const text = query.get('unit') ?? (allowed.includes('day') ? 'day' : allowed[0]);
  const found = SLOT_UNITS.find((u) => u === text);
  if (found === undefined || !allowed.includes(found)) throw new ApiError(400, `unit must be one of ${allowed.join(', ')}`);
  return found;
}

function json(query: URLSearchParams, name: string): unknown {
  const text = query.get(name);
  if (text === null || text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ApiError(400, `${name} is not JSON`);
  }
}

/** Queries need the model's own type; the catalog only knows its shape. */
function queryable(model: CatalogModel): Model<FieldMap> {
  return model as unknown as Model<FieldMap>;
}

type Handler = (source: DashboardSource, query: URLSearchParams) => Promise<unknown>;

const counter = (source: DashboardSource, name: string | null): AnyUniqueCounter => named(source.catalog.uniqueCounters, (c) => c.name, name, 'unique counter');
const model = (source: DashboardSource, name: string | null): CatalogModel => named(source.catalog.models, (m) => m.name, name, 'model');

/** GET handlers by path (below /api/), every one read-only. */
const READS: Readonly<Record<string, Handler>> = {
  overview: async ({ kr, catalog, allowWrites }) => ({
    prefix: kr.prefix,
    allowWrites,
    stats: await collectStats(kr, catalog),
    models: (catalog.models ?? []).map((m) => m.name),
    uniqueCounters: (catalog.uniqueCounters ?? []).map((c) => ({ name: c.name, slots: c.slots, approximate: c.approximate })),
    hierarchicalCounters: (catalog.hierarchicalCounters ?? []).map((c) => ({ name: c.name, resolutions: c.resolutions })),
    caches: (catalog.caches ?? []).map((c) => c.namespace),
    sync: catalog.sync?.name ?? null,
  }),
  model: async (source, query) => {
    const m = model(source, query.get('name'));
    return { name: m.name, objects: await m.count(), partitions: m.schema.partitions, fields: describeFields(m.schema) };
  },
  query: async (source, query) => {
    const m = queryable(model(source, query.get('model')));
    let q = m.find(json(query, 'where') as never);
    const search = query.get('search');
    if (search !== null && search !== '') q = q.search(search);
    const sort = query.get('sort');
    if (sort !== null && sort !== '') q = q.sortBy(sort, query.get('dir') === 'desc' ? 'desc' : 'asc');
    const limit = integer(query, 'limit', 20, 200);
    const [rows, count] = await Promise.all([q.limit(limit).all(), q.count()]);
    return { count, rows };
  },
  verify: async (source, query) => model(source, query.get('model')).verify(),
  series: async (source, query) => {
    const c = counter(source, query.get('counter'));
    const u = unit(query, c.slots);
    const to = instant(query, 'to');
    return { counter: c.name, unit: u, counts: await c.counts(u, slotsBefore(c.calendar, u, to, integer(query, 'slots', 30, 1000) - 1), to) };
  },
  cohort: async (source, query) => {
    const c = counter(source, query.get('counter'));
    const activityName = query.get('activity');
    const activity = activityName === null || activityName === '' ? c : counter(source, activityName);
    const u = unit(query, c.slots);
    const to = instant(query, 'to');
    const from = slotsBefore(c.calendar, u, to, integer(query, 'cohorts', 8, 366) - 1);
    const rows = await retention({ cohort: analysable(c), activity: analysable(activity), unit: u, from, to, periods: integer(query, 'periods', 7, 366) });
    const columns = integer(query, 'periods', 7, 366) + 1;
    const now = Math.max(Date.now(), to);
    return { counter: c.name, activity: activity.name, unit: u, rows: rows.map((r) => ({ ...r, begun: periodsBegun(c.calendar, u, r.start, now, columns) })) };
  },
  funnel: async (source, query) => {
    const steps = (query.get('steps') ?? '').split(',').filter((s) => s !== '').map((name) => counter(source, name));
    const first = steps[0];
    if (first === undefined || steps.length < 2) throw new ApiError(400, 'steps must name at least two unique counters');
    const u = unit(query, first.slots);
    const window = integer(query, 'window', 7, 366);
    const from = query.get('from') === null ? slotsBefore(first.calendar, u, Date.now(), window - 1) : instant(query, 'from');
    return { unit: u, from: new Date(first.calendar.slotStart(u, from)), window, steps: await funnel({ steps: steps.map(analysable), unit: u, from, window }) };
  },
  hierarchy: async (source, query) => {
    const c = named(source.catalog.hierarchicalCounters, (h) => h.name, query.get('counter'), 'hierarchical counter');
    const path = json(query, 'path') ?? [];
    if (!Array.isArray(path) || !path.every((s): s is string => typeof s === 'string')) throw new ApiError(400, 'path must be a JSON array of strings');
    const resolution = unit(query, c.resolutions);
    const at = instant(query, 'at');
    const [node, children] = await Promise.all([c.get(path, resolution, at), c.children(path, resolution, at, { top: integer(query, 'limit', 12, 100) })]);
    return { counter: c.name, path, resolution, slot: new Date(c.calendar.slotStart(resolution, at)), node, ...children };
  },
  sync: async ({ kr, catalog }) => (catalog.sync === undefined ? null : readSyncStatus(kr.context, catalog.sync.name, catalog.sync.source)),
};

/** POST handlers: write actions, only with allowWrites. */
const WRITES: Readonly<Record<string, Handler>> = {
  reindex: async (source, query) => model(source, query.get('model')).reindex(),
};

/** Answers one API call; library errors (bad input) become 400s naming what was wrong. */
export async function answer(source: DashboardSource, method: string, name: string, query: URLSearchParams): Promise<unknown> {
  const handler = method === 'GET' ? READS[name] : method === 'POST' ? WRITES[name] : undefined;
  if (handler === undefined) {
    if (method === 'POST' && name in READS) throw new ApiError(405, `${name} is read with GET`);
    throw new ApiError(404, `no API ${method} ${name}`);
  }
  if (method === 'POST' && !source.allowWrites) throw new ApiError(403, 'the dashboard is read-only: start it with --allow-writes to allow this');
  try {
    return await handler(source, query);
  } catch (error) {
    if (error instanceof KickassError && error.code !== 'E_CONNECTION') throw new ApiError(400, error.message);
    throw error;
  }
}
