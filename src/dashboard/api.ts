import { KickassError } from '../core/errors.js';
import type { Kickass } from '../kickass.js';
import type { Model } from '../store/model.js';
import type { FieldMap } from '../store/types.js';
import { readSyncStatus } from '../sync/sync-status.js';
import type { AnyUniqueCounter, Catalog, CatalogModel } from '../cli/catalog.js';
import { countParam, instantParam, optionalInstantParam, slotsBefore, unitParam } from '../cli/instants.js';
import { cohortReport, funnelReport, topReport } from '../cli/reports.js';
import type { Parameters } from '../cli/instants.js';
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

function named<T>(list: readonly T[] | undefined, nameOf: (item: T) => string, name: string | undefined, what: string): T {
  const found = (list ?? []).find((item) => nameOf(item) === name);
  if (found === undefined) throw new ApiError(404, `there is no ${what} named ${String(name)}`);
  return found;
}

/** A request's query string as named parameters, whose mistakes are 400s. */
function queryParameters(query: URLSearchParams): Parameters {
  return { get: (name) => query.get(name) ?? undefined, invalid: (name, reason) => new ApiError(400, `${name} ${reason}`) };
}

function json(params: Parameters, name: string): unknown {
  const text = params.get(name);
  if (text === undefined || text === '') return undefined;
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

type Handler = (source: DashboardSource, params: Parameters) => Promise<unknown>;

const counter = (source: DashboardSource, name: string | undefined): AnyUniqueCounter => named(source.catalog.uniqueCounters, (c) => c.name, name, 'unique counter');
const model = (source: DashboardSource, name: string | undefined): CatalogModel => named(source.catalog.models, (m) => m.name, name, 'model');

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
  model: async (source, params) => {
    const m = model(source, params.get('name'));
    return { name: m.name, objects: await m.count(), partitions: m.schema.partitions, fields: describeFields(m.schema) };
  },
  query: async (source, params) => {
    const m = queryable(model(source, params.get('model')));
    let q = m.find(json(params, 'where') as never);
    const search = params.get('search');
    if (search !== undefined && search !== '') q = q.search(search);
    const sort = params.get('sort');
    if (sort !== undefined && sort !== '') q = q.sortBy(sort, params.get('dir') === 'desc' ? 'desc' : 'asc');
    const limit = countParam(params, 'limit', 20, 200);
    const [rows, count] = await Promise.all([q.limit(limit).all(), q.count()]);
    return { count, rows };
  },
  verify: async (source, params) => model(source, params.get('model')).verify(),
  series: async (source, params) => {
    const c = counter(source, params.get('counter'));
    const u = unitParam(params, 'unit', c.slots, 'the counter');
    const to = instantParam(params, 'to', Date.now());
    return { counter: c.name, unit: u, counts: await c.counts(u, slotsBefore(c.calendar, u, to, countParam(params, 'slots', 30, 1000) - 1), to) };
  },
  cohort: async (source, params) => {
    const c = counter(source, params.get('counter'));
    const activityName = params.get('activity');
    const activity = activityName === undefined || activityName === '' ? c : counter(source, activityName);
    const unit = unitParam(params, 'unit', c.slots, 'the counter');
    return await cohortReport(c, activity, unit, instantParam(params, 'to', Date.now()), countParam(params, 'cohorts', 8, 366), countParam(params, 'periods', 7, 366));
  },
  funnel: async (source, params) => {
    const steps = (params.get('steps') ?? '').split(',').filter((s) => s !== '').map((name) => counter(source, name));
    const first = steps[0];
    if (first === undefined || steps.length < 2) throw new ApiError(400, 'steps must name at least two unique counters');
    return await funnelReport(steps, unitParam(params, 'unit', first.slots, 'the counter'), countParam(params, 'window', 7, 366), optionalInstantParam(params, 'from'));
  },
  hierarchy: async (source, params) => {
    const c = named(source.catalog.hierarchicalCounters, (h) => h.name, params.get('counter'), 'hierarchical counter');
    const path = json(params, 'path') ?? [];
    if (!Array.isArray(path) || !path.every((s): s is string => typeof s === 'string')) throw new ApiError(400, 'path must be a JSON array of strings');
    return await topReport(c, path, unitParam(params, 'resolution', c.resolutions, c.name), instantParam(params, 'at', Date.now()), countParam(params, 'limit', 12, 100));
  },
  sync: async ({ kr, catalog }) => (catalog.sync === undefined ? null : readSyncStatus(kr.context, catalog.sync.name, catalog.sync.source)),
};

/** POST handlers: write actions, only with allowWrites. */
const WRITES: Readonly<Record<string, Handler>> = {
  reindex: async (source, params) => model(source, params.get('model')).reindex(),
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
    return await handler(source, queryParameters(query));
  } catch (error) {
    if (error instanceof KickassError && error.code !== 'E_CONNECTION') throw new ApiError(400, error.message);
    throw error;
  }
}
