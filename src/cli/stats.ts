import { readyMasterNodes } from '../core/connection.js';
import { decodeKeyPart } from '../core/keys.js';
import { scanKeys } from '../core/scan.js';
import type { Kickass } from '../kickass.js';
import { reindexProgressKey } from '../store/maintenance.js';
import type { ModelSchema } from '../store/schema.js';
import type { Catalog } from './catalog.js';

/** What each key-name component is. */
const COMPONENTS: Readonly<Record<string, string>> = {
  obj: 'model', ids: 'id generator', tids: 'time-ordered ids', txt: 'text index', geo: 'geo index', sug: 'suggester',
  uc: 'unique counters', ucm: 'unique counter ids', hc: 'hierarchical counter', c: 'cache', sync: 'sync',
};

/** Keys and memory of one component instance (a model, a counter, a cache namespace…). */
export interface KeyGroup {
  readonly component: string;
  readonly name: string;
  readonly keys: number;
  /** Bytes by MEMORY USAGE (estimated from a sample past 2,000 keys); null when the user may not run it. */
  readonly bytes: number | null;
  readonly estimated: boolean;
}

/** A model's health as stats shows it. */
export interface ModelStats {
  readonly name: string;
  readonly objects: number;
  readonly partitions: number;
  /** Each field's kind and how it is indexed (eq, range, sort, unique, text, geo), then compound indexes. */
  readonly fields: readonly { readonly name: string; readonly kind: string; readonly indexes: readonly string[] }[];
  /** A reindex left unfinished (it resumes where it stopped). */
  readonly reindexInProgress: boolean;
}

/** What `kickass stats` and the dashboard show. */
export interface Stats {
  readonly prefix: string;
  readonly server: { readonly version: string; readonly usedMemory: number; readonly maxmemoryPolicy: string; readonly masters: number };
  readonly keys: number;
  readonly groups: readonly KeyGroup[];
  readonly models: readonly ModelStats[];
}

const SAMPLE = 2000;

/** A schema's fields and compound indexes, as the stats and the dashboard list them. */
export function describeFields(schema: ModelSchema): ModelStats['fields'] {
  const fields = [...schema.fields.entries()].map(([name, f]) => ({
    name,
    kind: f.kind === 'array' ? `${f.scalar ?? '?'}[]` : f.kind,
    indexes: [f.setIndex && 'eq', f.scoreIndex && 'range', f.lexIndex && 'sort', f.unique && 'unique', f.text !== undefined && 'text', f.plugin !== undefined && 'geo', f.folded && 'case-insensitive'].filter((x): x is string => typeof x === 'string'),
  }));
  const compounds = schema.compounds.map((c) => ({ name: c.name, kind: 'compound', indexes: [c.fields.join(' + ')] }));
  return [...fields, ...compounds];
}

async function memoryOf(kr: Kickass, keys: readonly string[]): Promise<number | null> {
  try {
    const sizes = await Promise.all(keys.map((key) => kr.client.call('MEMORY', 'USAGE', key, 'SAMPLES', '5')));
    return sizes.reduce<number>((sum, size) => sum + Number(size ?? 0), 0);
  } catch (error) {
    if (error instanceof Error && /NOPERM/.test(error.message)) return null;
    throw error;
  }
}

/** Scans the prefix's keys (SCAN, never KEYS) and groups them by component and name, with memory. */
export async function collectStats(kr: Kickass, catalog: Catalog): Promise<Stats> {
  const byGroup = new Map<string, { component: string; name: string; keys: string[]; count: number }>();
  let total = 0;
  for await (const batch of scanKeys(kr.client, kr.context.keys.pattern())) {
    for (const key of batch) {
      total++;
      const [, component = '?', name = ''] = key.slice(1, key.indexOf('}')).split(':');
      const id = `${component}:${name}`;
      let group = byGroup.get(id);
      if (group === undefined) byGroup.set(id, (group = { component: COMPONENTS[component] ?? component, name: decodeKeyPart(name), keys: [], count: 0 }));
      group.count++;
      // reservoir sample, so memory is estimated from keys spread over the whole scan
      if (group.keys.length < SAMPLE) group.keys.push(key);
      else {
        const slot = Math.floor(Math.random() * group.count);
        if (slot < SAMPLE) group.keys[slot] = key;
      }
    }
  }
  const groups: KeyGroup[] = [];
  for (const g of byGroup.values()) {
    const sampled = await memoryOf(kr, g.keys);
    const estimated = g.count > g.keys.length;
    groups.push({ component: g.component, name: g.name, keys: g.count, bytes: sampled === null ? null : Math.round((sampled * g.count) / g.keys.length), estimated });
  }
  groups.sort((a, b) => (b.bytes ?? 0) - (a.bytes ?? 0) || b.keys - a.keys);
  const models = await Promise.all(
    (catalog.models ?? []).map(async (m) => ({
      name: m.name,
      objects: await m.count(),
      partitions: m.schema.partitions,
      fields: describeFields(m.schema),
      reindexInProgress: (await kr.client.exists(reindexProgressKey(m.internals))) === 1,
    })),
  );
  const masters = await readyMasterNodes(kr.client);
  const info = await Promise.all(masters.map(async (node) => `${await node.info('server')}\n${await node.info('memory')}`));
  const field = (text: string, name: string): string => new RegExp(`^${name}:(.*)$`, 'm').exec(text)?.[1]?.trim() ?? '';
  return {
    prefix: kr.prefix,
    server: {
      version: field(info[0] ?? '', 'redis_version'),
      usedMemory: info.reduce((sum, text) => sum + Number(field(text, 'used_memory')), 0),
      maxmemoryPolicy: field(info[0] ?? '', 'maxmemory_policy'),
      masters: masters.length,
    },
    keys: total,
    groups,
    models,
  };
}
