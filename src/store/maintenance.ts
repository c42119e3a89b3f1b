import calculateSlot from 'cluster-key-slot';
import { isClusterClient } from '../core/connection.js';
import { scanKeys } from '../core/scan.js';
import { ValidationError, storeScriptErrors } from './errors.js';
import type { PartitionKeys } from './keys.js';
import { ProblemLog } from './maintenance-report.js';
import type { Problem, ProblemKind, ProgressListener } from './maintenance-report.js';
import { globEscape } from '../core/keys.js';
import { checkStructures, classifyKey, unknownStructure } from './maintenance-structures.js';
import type { Structure, StructurePass } from './maintenance-structures.js';
import type { ModelInternals } from './model-internals.js';
import { decodeFieldValue, foldedTerm, pluginEntries, textStream } from './schema.js';
import type { CompiledField } from './schema.js';
import { reindexObjectsScript, reindexTermsScript, verifyObjectsScript } from './scripts/index.generated.js';
import { UniqueOwners } from './unique-owners.js';
import type { Holder } from './unique-owners.js';

export { PROBLEM_KINDS } from './maintenance-report.js';
export type { MaintenanceProgress, Problem, ProblemKind, ProgressListener } from './maintenance-report.js';

/** Options of `Model.verify()`. */
export interface VerifyOptions {
  /** Objects (or index members) per read-only script call. @defaultValue 500 */
  batchSize?: number;
  /** Problems kept in the report; every problem is counted. @defaultValue 1000 */
  maxProblems?: number;
  /** Called after every batch. */
  onProgress?: ProgressListener;
}

/** What `Model.verify()` found. */
export interface VerifyReport {
  /** Objects checked (ids in the ids sets). */
  readonly objects: number;
  readonly partitions: number;
  /** The first `maxProblems` problems. */
  readonly problems: readonly Problem[];
  /** Every problem found, by kind. */
  readonly counts: Readonly<Record<ProblemKind, number>>;
  /** True when more problems were found than `problems` holds. */
  readonly truncated: boolean;
  /** True when nothing at all was found. */
  readonly ok: boolean;
}

/** Options of `Model.reindex()`. */
export interface ReindexOptions {
  /** Objects (or index members) per atomic script call. @defaultValue 500 */
  batchSize?: number;
  /** Continue an interrupted reindex of the same schema from its last batch; false starts over. @defaultValue true */
  resume?: boolean;
  /** Repairs kept in the report; every repair is counted. @defaultValue 1000 */
  maxProblems?: number;
  /** Called after every batch; throwing stops the reindex, which a later call resumes. */
  onProgress?: ProgressListener;
}

/** What `Model.reindex()` did. */
export interface ReindexReport {
  /** Objects walked by this call. */
  readonly objects: number;
  readonly partitions: number;
  /** True when this call continued an interrupted reindex. */
  readonly resumed: boolean;
  /** Problems repaired by kind (duplicate-unique: found and left alone). */
  readonly counts: Readonly<Record<ProblemKind, number>>;
  /** The first `maxProblems` repairs. */
  readonly repairs: readonly Problem[];
  readonly truncated: boolean;
  /** Two live objects holding one unique value: which keeps it is for a person to decide (first `maxProblems`). */
  readonly unresolved: readonly Problem[];
}

/** A reindex's progress: `{prefix:obj:<keyName>}:reindex`, a hash kept for a week after the last batch. */
export function reindexProgressKey(internals: ModelInternals): string {
  return internals.context.keys.slot('obj', internals.schema.keyName).key('reindex');
}

const PROGRESS_TTL_MS = 7 * 24 * 3600 * 1000;

interface Run extends StructurePass {
  readonly onProgress: ProgressListener | undefined;
  readonly owners: UniqueOwners | undefined;
  /** Saves a progress field (reindex only). */
  readonly save: (field: string, value: string) => Promise<void>;
  objects: number;
}

type ObjectTuple = [string, string, string, string, string, string, string];

function positiveInt(value: number | undefined, fallback: number, field: string, max: number, min = 1): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min || value > max) throw new ValidationError(field, `must be an integer from ${String(min)} to ${String(max)}`);
  return value;
}

function uniquesArg(internals: ModelInternals): string {
  const { schema } = internals;
  if (schema.partitions === 1) return '[]'; // then in the spec, kept in the partition
  return JSON.stringify(schema.uniques.map((u) => [u.name, u.fields.map((n) => [n, schema.fields.get(n)?.folded === true ? 'c' : ''])]));
}

/** The [field, hidden field] pairs whose hidden field a stored value needs (folded terms, plug-in entries). */
function foldedArg(internals: ModelInternals): string {
  const fields = [...internals.schema.fields.values()];
  return JSON.stringify([
    ...fields.filter((f) => f.folded).map((f) => [f.name, `$t:${f.name}`]),
    ...fields.filter((f) => f.plugin !== undefined).map((f) => [f.name, `$x:${f.name}`]),
    ...fields.filter((f) => f.text !== undefined).map((f) => [f.name, `$w:${f.name}`]),
  ]);
}

function objectProblem(partition: number, [kind, id, key, index, term, other, expected]: ObjectTuple): Problem | null {
  const base = { partition, key, id };
  switch (kind as ProblemKind) {
    case 'missing-entry':
      return { ...base, kind: 'missing-entry', index, term };
    case 'wrong-score':
      return { ...base, kind: 'wrong-score', index, term, expected: Number(expected), actual: Number(other) };
    case 'wrong-unique-owner':
    case 'duplicate-unique':
      return { ...base, kind: kind as 'wrong-unique-owner' | 'duplicate-unique', index, term, owner: other };
    case 'missing-term':
      return { ...base, kind: 'missing-term', index };
    case 'orphan-id':
    case 'expired-object':
      return { ...base, kind: kind as 'orphan-id' | 'expired-object' };
    default:
      return null;
  }
}

/** The value of a hidden field (`$x:` plug-in entries, `$w:` token stream, `$t:` folded term) for a decoded value. */
function hiddenValue(field: CompiledField, hidden: string, decoded: unknown): string {
  if (hidden.startsWith('$x:')) return pluginEntries(field, decoded);
  if (hidden.startsWith('$w:')) return textStream(field, decoded);
  return foldedTerm(field, decoded);
}

function holdersOf(flat: readonly string[]): Holder[] {
  const holders: Holder[] = [];
  for (let i = 0; i + 3 < flat.length; i += 4) {
    holders.push({ id: flat[i] as string, unique: flat[i + 1] as string, term: flat[i + 2] as string, token: flat[i + 3] as string });
  }
  return holders;
}

/**
 * Stores the hidden field values lack (the folded term of a field that became case-insensitive, the
 * entries of a plug-in index added later), computed here, then indexes them.
 */
async function foldTerms(run: Run, partition: number, unfolded: readonly string[]): Promise<Holder[]> {
  const { internals } = run;
  const quads: string[] = [];
  for (let i = 0; i + 3 < unfolded.length; i += 4) {
    const [id, name, value, hidden] = [unfolded[i] as string, unfolded[i + 1] as string, unfolded[i + 2] as string, unfolded[i + 3] as string];
    const field = internals.schema.fields.get(name) as CompiledField;
    try {
      const decoded = decodeFieldValue(field, value);
      quads.push(id, name, value, hidden, hiddenValue(field, hidden, decoded));
    } catch {
      // a stored value the codec (or the plug-in) cannot read: nothing to store
    }
  }
  if (quads.length === 0) return [];
  const keys = internals.partitions[partition] as PartitionKeys;
  const plan = internals.context.scripts.plan(
    reindexTermsScript,
    { ids: keys.ids, expiry: keys.expiry },
    { spec: internals.schema.spec, uniques: uniquesArg(internals), count: quads.length / 5 },
  );
  const reply = (await internals.context.scripts.exec({ ...plan, args: [...plan.args, ...quads] }, storeScriptErrors)) as [ObjectTuple[], string[]];
  for (const tuple of reply[0]) {
    const problem = objectProblem(partition, tuple);
    if (problem) run.log.add(problem);
  }
  return holdersOf(reply[1]);
}

/** Pass 1 of a partition: every structure under its tag, member by member (stale entries, orphans, unknown keys). */
async function structuresPass(run: Run, partition: number): Promise<void> {
  const keys = run.internals.partitions[partition] as PartitionKeys;
  let found = 0;
  let done = 0;
  for await (const batch of scanKeys(run.internals.context.client, `${globEscape(keys.tag)}:*`)) {
    const structures: Structure[] = [];
    for (const key of batch) {
      const classified = classifyKey(run.internals, keys, key);
      if (classified === 'unknown') await unknownStructure(run, partition, key);
      else if (classified !== null) structures.push(classified);
    }
    found += structures.length;
    await checkStructures(run, partition, structures);
    done += structures.length;
    run.onProgress?.({ phase: 'indexes', partition, done, total: found });
  }
}

/** Pass 2 of a partition: its objects in id order from `after`, batch by batch (missing entries, orphan ids, expired objects). */
async function objectsPass(run: Run, partition: number, after: string): Promise<void> {
  const { internals, repair, batchSize } = run;
  const { client, scripts } = internals.context;
  const keys = internals.partitions[partition] as PartitionKeys;
  const total = await client.zcard(keys.ids);
  let done = after === '' ? 0 : await client.zlexcount(keys.ids, '-', `[${after}`);
  let cursor = after;
  for (;;) {
    const reply = (await scripts.run(
      repair ? reindexObjectsScript : verifyObjectsScript,
      { ids: keys.ids, expiry: keys.expiry },
      { spec: internals.schema.spec, after: cursor, limit: batchSize, folded: foldedArg(internals), uniques: uniquesArg(internals) },
      storeScriptErrors,
    )) as [string, number, ObjectTuple[], string[], string[]?];
    const [last, count, tuples, terms, unfolded = []] = reply;
    for (const tuple of tuples) {
      const problem = objectProblem(partition, tuple);
      if (problem) run.log.add(problem);
    }
    const holders = holdersOf(terms);
    if (repair && unfolded.length > 0) holders.push(...(await foldTerms(run, partition, unfolded)));
    if (run.owners && holders.length > 0) await run.owners.checkHolders(holders);
    run.objects += count;
    done += count;
    if (count > 0) {
      cursor = last;
      await run.save(`cursor:${String(partition)}`, cursor);
    }
    run.onProgress?.({ phase: 'objects', partition, done, total: Math.max(total, done) });
    if (count < batchSize) return;
  }
}

/** The passes of verify and reindex: unique buckets (several partitions), then per partition its structures, then its objects. */
async function runPasses(run: Run, progress: Readonly<Record<string, string>>): Promise<void> {
  if (run.owners && progress.uniques !== '1') {
    await run.owners.checkBuckets(run.onProgress);
    await run.save('uniques', '1');
  }
  for (let p = 0; p < run.internals.schema.partitions; p++) {
    const at = String(p);
    if (progress[`done:${at}`] === '1') continue;
    if (progress[`indexes:${at}`] !== '1') {
      await structuresPass(run, p);
      await run.save(`indexes:${at}`, '1');
    }
    await objectsPass(run, p, progress[`cursor:${at}`] ?? '');
    await run.save(`done:${at}`, '1');
  }
}

function newRun(internals: ModelInternals, repair: boolean, options: VerifyOptions | ReindexOptions, save: Run['save']): Run {
  const batchSize = positiveInt(options.batchSize, 500, 'batchSize', 10_000);
  const log = new ProblemLog(positiveInt(options.maxProblems, 1000, 'maxProblems', 1_000_000, 0));
  const pass: StructurePass = { internals, repair, batchSize, log };
  // With several partitions the unique values live in bucket slots, walked even when the schema has no unique constraint left.
  const owners = internals.schema.partitions > 1 ? new UniqueOwners(pass) : undefined;
  return { ...pass, onProgress: options.onProgress, owners, save, objects: 0 };
}

/**
 * Checks that every index of a model agrees with its objects, partition by partition, in
 * read-only script calls that each see one consistent state (safe while the model is written):
 * the structures under each partition's tag member by member (stale entries, orphan hashes and
 * expiry entries, keys the schema does not define), then the objects in id order in batches
 * (missing entries, wrong scores and unique owners, ids without an object, expired objects), and
 * with several partitions the unique-value buckets.
 */
export async function verify(internals: ModelInternals, options: VerifyOptions = {}): Promise<VerifyReport> {
  const run = newRun(internals, false, options, () => Promise.resolve());
  await runPasses(run, {});
  const { log } = run;
  return Object.freeze({
    objects: run.objects,
    partitions: internals.schema.partitions,
    problems: Object.freeze([...log.kept]),
    counts: Object.freeze({ ...log.counts }),
    truncated: log.truncated,
    ok: log.total === 0,
  });
}

/**
 * Repairs and backfills every index of a model while it is in use: per partition, removes stale
 * entries (a member goes only if the object, read in the same atomic call, does not call for it),
 * then walks the objects in id order adding every missing entry for their current state, one
 * atomic call per batch. Writes before or after a batch keep its entries right, so none is lost
 * or left unindexed. Progress is saved after every batch in {@link reindexProgressKey}; an
 * interrupted reindex of the same schema continues from there.
 */
export async function reindex(internals: ModelInternals, options: ReindexOptions = {}): Promise<ReindexReport> {
  const { client } = internals.context;
  const key = reindexProgressKey(internals);
  const signature = JSON.stringify([internals.schema.spec, internals.schema.partitions, uniquesArg(internals)]);
  if (options.resume === false) await client.del(key);
  let progress = await client.hgetall(key);
  const resumed = progress.schema === signature;
  if (!resumed) {
    await client.del(key);
    progress = {};
  }
  const save = async (field: string, value: string): Promise<void> => {
    await client.pipeline().hset(key, 'schema', signature, field, value).pexpire(key, PROGRESS_TTL_MS).exec();
  };
  const run = newRun(internals, true, options, save);
  await runPasses(run, progress);
  await client.del(key);
  const { log } = run;
  return Object.freeze({
    objects: run.objects,
    partitions: internals.schema.partitions,
    resumed,
    counts: Object.freeze({ ...log.counts }),
    repairs: Object.freeze(log.kept.filter((p) => p.kind !== 'duplicate-unique')),
    truncated: log.truncated,
    unresolved: Object.freeze([...log.unresolved]),
  });
}

/**
 * Deletes every key of a model on every master: its partitions, unique-value buckets, id counter
 * and reindex progress (`{prefix:obj:<keyName>:…}` and `{prefix:obj:<keyName>}:…`, which no other
 * model's or prefix's key can match). Stop writers first: a write during the drop recreates what
 * it writes. Returns how many keys went.
 */
export async function drop(internals: ModelInternals): Promise<number> {
  const { client, keys } = internals.context;
  const tag = keys.slot('obj', internals.schema.keyName).tag;
  let removed = 0;
  for (const pattern of [`${globEscape(tag)}:*`, `${globEscape(tag.slice(0, -1))}:*`]) {
    for await (const batch of scanKeys(client, pattern)) {
      const bySlot = new Map<number, string[]>();
      for (const k of batch) {
        const slot = isClusterClient(client) ? calculateSlot(k) : 0;
        const group = bySlot.get(slot);
        if (group) group.push(k);
        else bySlot.set(slot, [k]);
      }
      for (const group of bySlot.values()) removed += await client.unlink(...group);
    }
  }
  return removed;
}
