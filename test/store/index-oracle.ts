// An independent model of what the store's index structures must hold for a set of objects,
// written from the key layout in src/store/keys.ts without using the library's index code, and a
// reader that loads what Redis really holds. Tests compare the two.
import { encodeKeyPart } from '../../src/core/keys.js';
import type { RedisClient } from '../../src/core/connection.js';
import { scanKeys } from '../../src/core/scan.js';

type Row = Readonly<Record<string, unknown>> & { readonly id: string };

/** Index contents: key -> sorted list of "member|score" strings (hex for binary members). */
export type IndexSnapshot = Map<string, string[]>;

const fold = (s: string): string => s.normalize('NFC').toLowerCase();
const text = (v: unknown): string => (v instanceof Date ? String(v.getTime()) : typeof v === 'boolean' ? (v ? '1' : '0') : String(v));
const lexMember = (term: string, id: string): string => {
  const bytes: number[] = [];
  for (const b of Buffer.from(term, 'utf8')) {
    bytes.push(b);
    if (b === 0) bytes.push(255);
  }
  return Buffer.concat([Buffer.from(bytes), Buffer.from([0]), Buffer.from(id, 'utf8')]).toString('hex');
};

function put(map: IndexSnapshot, key: string, entry: string): void {
  const list = map.get(key) ?? [];
  list.push(entry);
  map.set(key, list);
}

/**
 * What the indexes of the test schema in fixtures.ts must hold for these rows (one partition tag
 * each); unique hashes live in the partitions only when the model has one partition.
 */
export function expectedIndexes(rows: readonly Row[], tagOf: (id: string) => string, uniquesInPartition: boolean): IndexSnapshot {
  const map: IndexSnapshot = new Map();
  for (const row of rows) {
    const tag = tagOf(row.id);
    const key = (...parts: string[]): string => [tag, ...parts.map((p) => encodeKeyPart(p))].join(':');
    put(map, `${tag}:ids`, `${row.id}|0`);
    if (typeof row.name === 'string') put(map, key('eq', 'name', row.name), row.id);
    if (typeof row.handle === 'string') put(map, key('eq', 'handle', fold(row.handle)), row.id);
    if (typeof row.active === 'boolean') put(map, key('eq', 'active', text(row.active)), row.id);
    if (Array.isArray(row.tags)) for (const tagValue of new Set(row.tags as string[])) put(map, key('eq', 'tags', tagValue), row.id);
    for (const f of ['score', 'rank', 'born']) if (row[f] !== undefined) put(map, key('num', f), `${row.id}|${String(Number(text(row[f])))}`);
    if (typeof row.title === 'string') put(map, key('lex', 'title'), `${lexMember(row.title, row.id)}|0`);
    if (typeof row.owner === 'string' && row.born instanceof Date) put(map, key('cx', 'byOwnerBorn', row.owner), `${row.id}|${String(row.born.getTime())}`);
    if (typeof row.owner === 'string' && typeof row.title === 'string') put(map, key('cx', 'byOwnerTitle', row.owner), `${lexMember(row.title, row.id)}|0`);
    if (uniquesInPartition && typeof row.email === 'string') put(map, key('uq', 'email'), `${fold(row.email)}|${row.id}`);
    if (uniquesInPartition && typeof row.tenant === 'string' && typeof row.handle === 'string') {
      put(map, key('uq', 'tenantHandle'), `${encodeKeyPart(row.tenant)}:${encodeKeyPart(fold(row.handle))}|${row.id}`);
    }
  }
  for (const list of map.values()) list.sort();
  return map;
}

/** The same structures as Redis holds them, for every key under the given partition tags. */
export async function actualIndexes(client: RedisClient, tags: readonly string[]): Promise<IndexSnapshot> {
  const map: IndexSnapshot = new Map();
  for (const tag of tags) {
    const pattern = `${tag.replace(/[*?[\]\\]/g, '\\$&')}:*`;
    for await (const keys of scanKeys(client, pattern)) {
      for (const key of keys) {
        const kind = key.slice(tag.length + 1).split(':')[0];
        if (kind === 'eq') for (const m of await client.smembers(key)) put(map, key, m);
        if (kind === 'ids' || kind === 'num') {
          const flat = await client.zrange(key, '0', '-1', 'WITHSCORES');
          for (let i = 0; i < flat.length; i += 2) put(map, key, `${flat[i] ?? ''}|${String(Number(flat[i + 1]))}`);
        }
        if (kind === 'uq') {
          const flat = await client.hgetall(key);
          for (const [field, value] of Object.entries(flat)) put(map, key, `${field}|${value}`);
        }
        if (kind === 'lex') {
          const flat = await client.zrangeBuffer(key, '0', '-1', 'WITHSCORES');
          for (let i = 0; i < flat.length; i += 2) put(map, key, `${(flat[i] as Buffer).toString('hex')}|0`);
        }
        if (kind === 'cx') {
          const byScore = key.includes(':cx:byOwnerBorn:');
          const flat = await client.zrangeBuffer(key, '0', '-1', 'WITHSCORES');
          for (let i = 0; i < flat.length; i += 2) {
            const member = flat[i] as Buffer;
            put(map, key, byScore ? `${member.toString('utf8')}|${String(Number((flat[i + 1] as Buffer).toString()))}` : `${member.toString('hex')}|0`);
          }
        }
      }
    }
  }
  for (const list of map.values()) list.sort();
  return map;
}
