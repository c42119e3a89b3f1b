import type { Cache } from '../cache/cache.js';
import type { HierarchicalCounter } from '../counters/hierarchical-counter.js';
import type { UniqueCounter } from '../counters/unique-counter.js';
import { kickass } from '../kickass.js';
import type { Kickass } from '../kickass.js';
import type { Model } from '../store/model.js';
import type { FieldMap } from '../store/types.js';
import type { SyncOptions } from '../sync/sync-options.js';
import { UsageError, optionValue } from './args.js';
import type { ParsedArgs } from './args.js';
import { loadConfigModule } from './config-file.js';
import { demoCatalog } from './demo-data.js';

/** What the CLI and the dashboard use of a model, whatever its fields. */
export type CatalogModel = Pick<Model<FieldMap>, 'name' | 'schema' | 'internals' | 'count' | 'verify' | 'reindex'>;

/** A unique counter of either id kind. */
export type AnyUniqueCounter = UniqueCounter | UniqueCounter<string>;

/** A counter as retention() and funnel() take it: they count bits, whatever the id kind (they check that counters share an id space). */
export function analysable(counter: AnyUniqueCounter): UniqueCounter<string> {
  return counter as UniqueCounter<string>;
}

/**
 * What the CLI and the dashboard work on: the components a config module's default export
 * defines on the instance it is given, e.g.
 * `export default (kr) => ({ models: [kr.model('user', {...})], uniqueCounters: [kr.uniqueCounter('visit', {...})] })`.
 */
export interface Catalog {
  /** Models, found by name. */
  readonly models?: readonly CatalogModel[];
  /** Unique counters, found by name. */
  readonly uniqueCounters?: readonly AnyUniqueCounter[];
  /** Hierarchical counters, found by name. */
  readonly hierarchicalCounters?: readonly HierarchicalCounter[];
  /** Caches, found by namespace. */
  readonly caches?: readonly Cache[];
  /** A MySQL/MariaDB sync's options. */
  readonly sync?: SyncOptions;
}

/** A catalog from what a config module built: `{ models, ... }`, or a sync's options alone (the sync command's config). */
export function toCatalog(value: unknown, file: string): Catalog {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UsageError(`${file} must return an object such as { models: [...] } or a sync's options`);
  if ('tables' in value && 'source' in value) return { sync: value as SyncOptions };
  for (const key of Object.keys(value)) {
    if (!['models', 'uniqueCounters', 'hierarchicalCounters', 'caches', 'sync'].includes(key)) throw new UsageError(`${file} returned an unknown entry "${key}" (models, uniqueCounters, hierarchicalCounters, caches, sync)`);
  }
  return value;
}

/** The component called `name` in a list, or a UsageError that names what there is. */
export function pick<T>(list: readonly T[] | undefined, nameOf: (item: T) => string, name: string | undefined, what: string): T {
  const names = (list ?? []).map(nameOf);
  if (name === undefined) throw new UsageError(`name a ${what}: ${names.length === 0 ? `the config defines none` : names.join(', ')}`);
  const found = (list ?? []).find((item) => nameOf(item) === name);
  if (found === undefined) throw new UsageError(`there is no ${what} named ${name} (${names.length === 0 ? 'the config defines none' : `there is ${names.join(', ')}`})`);
  return found;
}

/** How long a command waits for Redis to answer before it says it cannot reach it. */
const CONNECT_TIMEOUT_MS = 5000;

/** A kickass instance on `url` that has answered a PING, or an Error saying in one sentence why not. */
export async function connectKickass(url: string | undefined, prefix: string | undefined): Promise<Kickass> {
  let lastError: Error | undefined;
  const kr = kickass({ ...(url === undefined ? {} : { connection: url }), ...(prefix === undefined ? {} : { prefix }), onConnectionError: (error) => (lastError = error) });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      kr.client.ping(),
      new Promise((_, reject) => {
        timer = setTimeout(() => {
          reject(new Error('no answer'));
        }, CONNECT_TIMEOUT_MS);
        // the first refused or failed connection decides: a command line does not wait for retries
        kr.client.once('error', reject);
      }),
    ]);
    return kr;
  } catch (error) {
    kr.client.disconnect();
    const reason = lastError?.message ?? (error instanceof Error ? error.message : String(error));
    throw new Error(`cannot reach Redis at ${url ?? 'redis://127.0.0.1:6379'} (${reason}): start it, or give --url or REDIS_URL`);
  } finally {
    clearTimeout(timer);
  }
}

/** A kickass instance and the catalog of `--config <file>` (or, with `--demo`, of the demo data). */
export interface OpenCatalog {
  readonly kr: Kickass;
  readonly catalog: Catalog;
  /** What the catalog came from, for messages. */
  readonly source: string;
}

/** Connects as `--url`, REDIS_URL or the config's redis.url (in that order) and builds the catalog. */
async function openCatalog(args: ParsedArgs, command: string): Promise<OpenCatalog> {
  const file = optionValue(args, 'config');
  const demo = args.options.has('demo');
  if (file === undefined && !demo) throw new UsageError(`kickass ${command} needs --config <file> or --demo (see kickass ${command} --help)`);
  if (file !== undefined && demo) throw new UsageError('give --config <file> or --demo, not both');
  const config = file === undefined ? { build: demoCatalog, redis: { prefix: 'demo' } } : await loadConfigModule(file);
  const url = optionValue(args, 'url') ?? process.env.REDIS_URL ?? config.redis.url;
  const prefix = optionValue(args, 'prefix') ?? config.redis.prefix;
  const kr = await connectKickass(url, prefix);
  const source = file ?? 'the demo data';
  try {
    return { kr, catalog: toCatalog(await config.build(kr), source), source };
  } catch (error) {
    await kr.close();
    throw error;
  }
}

/** Opens the catalog, runs `work` on it and closes the instance whatever happens: the frame of every catalog command. */
export async function withCatalog(args: ParsedArgs, command: string, work: (opened: OpenCatalog) => Promise<number>): Promise<number> {
  const opened = await openCatalog(args, command);
  try {
    return await work(opened);
  } finally {
    await opened.kr.close();
  }
}
