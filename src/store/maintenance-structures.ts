import { decodeKeyPart } from '../core/keys.js';
import type { ScriptPlan } from '../core/script.js';
import { storeScriptErrors } from './errors.js';
import type { ModelInternals } from './model-internals.js';
import type { PartitionKeys } from './keys.js';
import type { ProblemLog } from './maintenance-report.js';
import { reindexEntriesScript, verifyEntriesScript } from './scripts/index.generated.js';

/**
 * How the entries scripts read a structure: S equality set of ids, Z sorted set of ids, L sorted
 * set of lexical members, H unique hash (term -> id), E expiry set, O an object hash, T the head of a big text term.
 */
export type StructureMode = 'S' | 'Z' | 'L' | 'H' | 'E' | 'O' | 'T';

/** One structure of a partition that the second pass of verify / reindex checks member by member. */
export interface Structure {
  readonly key: string;
  readonly mode: StructureMode;
  /** Field, compound index or unique constraint ('' for object hashes and the expiry set). */
  readonly index: string;
  /** The term of an equality set, from its key ('' otherwise). */
  readonly term: string;
}

/** What a key of a partition is: a structure to check, a key in the index namespace the schema does not define, or not ours. */
export type KeyClass = Structure | 'unknown' | null;

const INDEX_KINDS = new Set(['eq', 'num', 'lex', 'uq', 'cx', 'h', 'x', 'w', 'wt', 'wc', 'wd', 'wdb', 'wm']);

function decodedTerm(part: string): string {
  try {
    return decodeKeyPart(part);
  } catch {
    return part;
  }
}

/** Classifies a key found under a partition's hash tag. */
export function classifyKey(internals: ModelInternals, keys: PartitionKeys, key: string): KeyClass {
  if (!key.startsWith(`${keys.tag}:`)) return null;
  const parts = key.slice(keys.tag.length + 1).split(':');
  const [kind = '', name = ''] = parts;
  const { schema } = internals;
  const structure = (mode: StructureMode, index = name, term = ''): Structure => ({ key, mode, index, term });
  if (parts.length === 1 && kind === 'exp') return structure('E', '');
  if (!INDEX_KINDS.has(kind)) return null; // ids, and keys other components may keep in the slot
  const field = schema.fields.get(name);
  if (kind === 'h' && parts.length === 2) return structure('O', '');
  if (kind === 'eq' && parts.length === 3 && field?.setIndex === true) return structure('S', name, decodedTerm(parts[2] ?? ''));
  if (kind === 'num' && parts.length === 2 && field?.scoreIndex === true) return structure('Z');
  if (kind === 'lex' && parts.length === 2 && field?.lexIndex === true) return structure('L');
  if (kind === 'x' && parts.length === 3 && field?.plugin !== undefined) return structure('Z', name, decodedTerm(parts[2] ?? ''));
  // a text term's postings: one set, or a big term's numbered buckets; a big term's head
  if (kind === 'w' && (parts.length === 3 || (parts.length === 4 && /^\d+$/.test(parts[3] ?? ''))) && field?.text !== undefined) return structure('Z', name, decodedTerm(parts[2] ?? ''));
  if (kind === 'wt' && parts.length === 3 && field?.text !== undefined) return structure('T', name, decodedTerm(parts[2] ?? ''));
  // a text field's term dictionary buckets, their list, its tf bounds and big-term descriptions hold terms, not ids
  if (field?.text !== undefined && ((kind === 'wd' && parts.length === 3) || ((kind === 'wdb' || kind === 'wm' || kind === 'wc') && parts.length === 2))) return null;
  if (kind === 'uq' && parts.length === 2 && schema.partitions === 1 && schema.uniques.some((u) => u.name === name)) return structure('H');
  if (kind === 'cx') {
    const compound = schema.compounds.find((c) => c.name === name);
    if (compound !== undefined && parts.length === compound.fields.length + 1) return structure(compound.order === 'lex' ? 'L' : 'Z');
  }
  return 'unknown';
}

/** What the structure pass needs: where to log, whether to repair, and how big a batch is. */
export interface StructurePass {
  readonly internals: ModelInternals;
  readonly repair: boolean;
  readonly batchSize: number;
  readonly log: ProblemLog;
}

type EntriesReply = [number, number[], number[], [string, number, string, string, string][]];

/** Most structures named in one script call. */
const KEYS_PER_CALL = 256;

function entriesPlan(pass: StructurePass, keys: PartitionKeys, structures: readonly Structure[], members: readonly Buffer[]): ScriptPlan {
  const script = pass.repair ? reindexEntriesScript : verifyEntriesScript;
  const plan = pass.internals.context.scripts.plan(
    script,
    { ids: keys.ids, expiry: keys.expiry },
    { spec: pass.internals.schema.spec, modes: structures.map((s) => s.mode).join(''), budget: pass.batchSize, count: members.length },
  );
  return Object.freeze({ script, keys: Object.freeze([...plan.keys, ...structures.map((s) => s.key)]), args: Object.freeze([...plan.args, ...members]) });
}

/** Logs (and when repairing, deletes) a key the schema does not define. */
export async function unknownStructure(pass: StructurePass, partition: number, key: string): Promise<void> {
  if (pass.repair) await pass.internals.context.client.unlink(key);
  pass.log.add({ kind: 'unknown-structure', partition, key });
}

function logReply(pass: StructurePass, partition: number, structures: readonly Structure[], problems: EntriesReply[3], seen?: Set<string>): void {
  for (const [kind, pos, id, term, reason] of problems) {
    const structure = structures[pos - 1];
    if (structure === undefined) continue;
    if (seen !== undefined) {
      const signature = `${kind}\n${id}\n${term}`;
      if (seen.has(signature)) continue;
      seen.add(signature);
    }
    const { key, index } = structure;
    if (kind === 'stale-entry') {
      pass.log.add({ kind, partition, key, id, index, term: term === '' ? structure.term : term, reason: reason === 'other-value' ? 'other-value' : 'missing-object' });
    } else if (kind === 'orphan-hash' || kind === 'orphan-expiry') {
      pass.log.add({ kind, partition, key, id });
    } else if (kind === 'missing-dictionary-term' || kind === 'low-tf-bound' || kind === 'wrong-text-head') {
      pass.log.add({ kind, partition, key, index, term });
    }
  }
}

async function runEntries(pass: StructurePass, partition: number, structures: readonly Structure[], members: readonly Buffer[], seen?: Set<string>): Promise<EntriesReply> {
  const keys = pass.internals.partitions[partition] as PartitionKeys;
  const reply = (await pass.internals.context.scripts.exec(entriesPlan(pass, keys, structures, members), storeScriptErrors)) as EntriesReply;
  logReply(pass, partition, structures, reply[3], seen);
  return reply;
}

/** Walks a structure too big for one call with its SCAN cursor, checking its members batch by batch. */
async function walkBig(pass: StructurePass, partition: number, structure: Structure): Promise<void> {
  const client = pass.internals.context.client;
  const seen = new Set<string>(); // a cursor may return a member twice
  let cursor = '0';
  do {
    let members: Buffer[];
    if (structure.mode === 'S') {
      const [next, found] = await client.sscanBuffer(structure.key, cursor, 'COUNT', pass.batchSize);
      cursor = next.toString();
      members = found;
    } else {
      const [next, flat] =
        structure.mode === 'H'
          ? await client.hscanBuffer(structure.key, cursor, 'COUNT', pass.batchSize)
          : await client.zscanBuffer(structure.key, cursor, 'COUNT', pass.batchSize);
      cursor = next.toString();
      members = flat.filter((_, i) => i % 2 === 0);
    }
    for (let at = 0; at < members.length; at += pass.batchSize) {
      await runEntries(pass, partition, [structure], members.slice(at, at + pass.batchSize), seen);
    }
  } while (cursor !== '0');
}

/**
 * Checks (or repairs) every member of the given structures of a partition: small structures
 * whole, many per atomic script call, big ones with their cursor; wrong-typed keys count as
 * unknown structures.
 */
export async function checkStructures(pass: StructurePass, partition: number, structures: readonly Structure[]): Promise<void> {
  let queue = structures;
  while (queue.length > 0) {
    const group = queue.slice(0, KEYS_PER_CALL);
    const [done, big, bad] = await runEntries(pass, partition, group, []);
    for (const pos of bad) await unknownStructure(pass, partition, (group[pos - 1] as Structure).key);
    for (const pos of big) await walkBig(pass, partition, group[pos - 1] as Structure);
    queue = queue.slice(Math.max(done, 1));
  }
}
