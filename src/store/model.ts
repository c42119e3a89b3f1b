import { optionsObject } from '../core/options.js';
import type { Duration } from '../core/durations.js';
import { parseDuration } from '../core/durations.js';
import { partitionOf } from '../core/keys.js';
import type { ScriptPlan } from '../core/script.js';
import type { IncrementalIdGenerator } from '../ids/incremental-id-generator.js';
import type { TimeOrderedIdGenerator } from '../ids/time-ordered-id-generator.js';
import { UniqueViolationError, ValidationError, storeScriptErrors } from './errors.js';
import { atEntry, checkId, decodeRow, fullObjectOps, hiddenName, incrementOp, patchOps, storedName } from './input.js';
import type { WriteOp } from './input.js';
import type { PartitionKeys } from './keys.js';
import type { ModelInternals } from './model-internals.js';
import { decodeFieldValue } from './schema.js';
import type { ModelSchema } from './schema.js';
import { deleteScript, getScript, insertManyScript, sweepScript, writeScript } from './scripts/index.generated.js';
import { addNewEntries, newEntries } from './new-entries.js';
import { CreateCoalescer } from './create-coalescer.js';
import { nearestObjects } from './geo-near.js';
import type { Nearby, NearestOptions } from './geo-near.js';
import type { GeoPoint } from '../search/geohash.js';
import type { PendingCreate } from './create-coalescer.js';
import { query } from './query.js';
import type { Query, Where } from './query.js';
import { drop as dropModel, reindex as reindexModel, verify as verifyModel } from './maintenance.js';
import type { ReindexOptions, ReindexReport, VerifyOptions, VerifyReport } from './maintenance.js';
import { UniqueClaims, tokenField, uniqueTerm } from './unique-claims.js';
import type { Claim, RawObject } from './unique-claims.js';
import type { CreateInputOf, FieldMap, NumericFieldOf, RowOf, UpdateInputOf } from './types.js';

/** Options of single-object writes. */
export interface WriteOptions {
  /** Fail with VersionConflictError unless the object is at this version (optimistic concurrency). */
  expectedVersion?: number;
  /** Time to live from now; `null` removes the object's expiry. @defaultValue the model's ttl on create, unchanged otherwise */
  ttl?: Duration | null;
}

/** Where a model's ids come from. */
export type IdSource = IncrementalIdGenerator | TimeOrderedIdGenerator | (() => string);

type WriteMode = 'create' | 'update' | 'upsert' | 'replace';

const MANY_LIMIT = 10_000;
/** Objects per insert-many script call: big enough to share the call's cost, small enough not to block Redis long. */
const BATCH = 500;
/** Most creates one coalesced batch takes: small enough that several batches are in flight at once, so the client builds one while the server runs another. */
const COALESCE_MAX = 16;

/** The raw stored state after applying set / unset / term ops (what the write script will store). */
function applyOps(mode: WriteMode, old: RawObject, ops: readonly WriteOp[]): RawObject {
  const next = new Map<string, string>(mode === 'replace' || mode === 'create' || old === null ? [] : Object.entries(old));
  for (const [op, field, value] of ops) {
    if (op === 's') next.set(field, value);
    else if (op === 't' || op === 'e' || op === 'w') next.set(hiddenName(op, field), value);
    else if (op === 'u') {
      next.delete(field);
      next.delete(`$t:${field}`);
      next.delete(`$x:${field}`);
      next.delete(`$w:${field}`);
    }
  }
  return Object.fromEntries(next);
}

/** Waits a random time that grows with the attempt (up to ~64 ms), so that writers retrying on one object spread out. */
function backoff(attempt: number): Promise<void> {
  const ms = Math.random() * 2 ** Math.min(attempt, 6);
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function checkBatch(list: unknown, field: string): void {
  if (!Array.isArray(list) || list.length > MANY_LIMIT) {
    throw new ValidationError(field, `must be an array of at most ${String(MANY_LIMIT)} entries`);
  }
}

/** A typed model: atomic writes with index upkeep, reads, queries and index operations. */
export class Model<M extends FieldMap> {
  /** The stored row type, for `typeof User.$infer`. */
  declare readonly $infer: RowOf<M>;
  /** The create input type. */
  declare readonly $create: CreateInputOf<M>;
  /** The update input type. */
  declare readonly $update: UpdateInputOf<M>;
  /** The model's name. */
  readonly name: string;
  /** The compiled schema. */
  readonly schema: ModelSchema;
  /** Context, schema and partition keys, for the query and maintenance modules. */
  readonly internals: ModelInternals;
  readonly #ids: IdSource;
  readonly #claims: UniqueClaims | undefined;
  readonly #coalescer: CreateCoalescer<WriteOptions>;

  constructor(internals: ModelInternals, ids: IdSource) {
    this.internals = internals;
    this.schema = internals.schema;
    this.name = internals.schema.name;
    this.#ids = ids;
    const crossPartition = internals.schema.partitions > 1 && internals.schema.uniques.length > 0;
    this.#claims = crossPartition ? new UniqueClaims(internals, (id) => this.#readRaw(id)) : undefined;
    this.#coalescer = new CreateCoalescer<WriteOptions>(
      async (creates) => this.#insertMany(creates.map((c) => c.ops), creates.map((c) => c.id), this.#ttlArg((creates[0] as PendingCreate<WriteOptions>).options.ttl, true)),
      async (c) => {
        await this.internals.context.scripts.exec(this.#writePlan('create', c.id, c.ops, c.options, false), storeScriptErrors);
      },
      COALESCE_MAX,
    );
  }

  /** The partition keys of an object id. */
  keysOf(id: string): PartitionKeys {
    return this.internals.partitions[partitionOf(id, this.schema.partitions)] as PartitionKeys;
  }

  async #newId(): Promise<string> {
    const ids = this.#ids;
    if (typeof ids === 'function') return checkId(ids());
    return String(await ids.next());
  }

  #ttlArg(ttl: Duration | null | undefined, creating: boolean): string {
    if (ttl === null) return '-1';
    if (ttl === undefined) return creating && this.schema.ttlMs !== undefined ? String(this.schema.ttlMs) : '';
    const ms = parseDuration(ttl, 'ttl');
    if (ms === 0) throw new ValidationError('ttl', 'must be more than 0 (use null to remove an expiry)');
    return String(ms);
  }

  #writePlan(mode: WriteMode, id: string, ops: readonly WriteOp[], options: WriteOptions, returnObject: boolean, deadline = ''): ScriptPlan {
    const keys = this.keysOf(id);
    const { expectedVersion } = options;
    if (expectedVersion !== undefined && (!Number.isSafeInteger(expectedVersion) || expectedVersion < 0)) {
      throw new ValidationError('expectedVersion', 'must be a non-negative integer');
    }
    const plan = this.internals.context.scripts.plan(
      writeScript,
      { object: keys.object(id), ids: keys.ids, expiry: keys.expiry },
      {
        mode,
        id,
        spec: this.schema.spec,
        expectedVersion: expectedVersion === undefined ? '' : String(expectedVersion),
        ttl: this.#ttlArg(options.ttl, mode !== 'update'),
        returnObject: returnObject ? '1' : '0',
        deadline,
        ops: String(ops.length),
      },
    );
    return { ...plan, args: [...plan.args, ...ops.flat()] };
  }

  async #write(mode: WriteMode, id: string, ops: readonly WriteOp[], options: WriteOptions): Promise<RowOf<M>> {
    const reply = (await this.#guardedWrite(mode, id, ops, options, true)) as [number, number, ...string[]];
    return decodeRow(this.schema, id, reply.slice(2) as string[]) as RowOf<M>;
  }

  /** One object write; with cross-partition unique values, wrapped in the claim protocol. */
  async #guardedWrite(mode: WriteMode, id: string, ops: readonly WriteOp[], options: WriteOptions, returnObject: boolean): Promise<unknown> {
    const scripts = this.internals.context.scripts;
    const claims = this.#claims;
    if (claims === undefined || (mode === 'update' && !this.#touchesUnique(ops))) {
      return scripts.exec(this.#writePlan(mode, id, ops, options, returnObject), storeScriptErrors);
    }
    for (const op of ops) {
      if ((op[0] === 'I' || op[0] === 'N') && this.schema.uniques.some((u) => u.fields.includes(op[1]))) {
        throw new ValidationError(op[1], 'is part of a unique constraint; change it with update()');
      }
    }
    for (let attempt = 0; ; attempt++) {
      const old = await this.#readRaw(id);
      const next = applyOps(mode, old, ops);
      const changes = this.schema.uniques.map((unique) => ({ unique, before: uniqueTerm(this.internals, unique, old), after: uniqueTerm(this.internals, unique, next) }));
      const wanted = changes.flatMap((c) => (c.after !== null && c.after !== c.before ? [{ unique: c.unique, term: c.after }] : []));
      const held: Claim[] = await claims.claim(id, wanted);
      const deadline = held.length === 0 ? '' : String(Math.min(...held.map((c) => c.expiresAt)) - 1000);
      const guarded = options.expectedVersion === undefined ? { ...options, expectedVersion: Number(old?.$v ?? 0) } : options;
      const tokenOf = (name: string): string => old?.[tokenField(name)] ?? '';
      const tokenOps = changes.flatMap(({ unique, before, after }): WriteOp[] => {
        const claim = held.find((c) => c.unique === unique.name);
        if (claim) return [['s', tokenField(unique.name), claim.token]];
        if (after === null) return before === null ? [] : [['u', tokenField(unique.name), '']];
        return mode === 'replace' && tokenOf(unique.name) !== '' ? [['s', tokenField(unique.name), tokenOf(unique.name)]] : [];
      });
      try {
        const reply = await scripts.exec(this.#writePlan(mode, id, [...ops, ...tokenOps], guarded, returnObject, deadline), storeScriptErrors);
        await claims.settle('confirm', id, held);
        const gone = changes.flatMap((c) => (c.before !== null && c.before !== c.after ? [{ unique: c.unique.name, term: c.before, token: tokenOf(c.unique.name) }] : []));
        await claims.release(id, gone);
        return reply;
      } catch (error) {
        await claims.settle('abandon', id, held);
        const code = (error as { code?: unknown }).code;
        const retry = attempt < 50 && (code === 'E_CLAIM_EXPIRED' || (code === 'E_VERSION_CONFLICT' && options.expectedVersion === undefined));
        if (!retry) throw error;
        await backoff(attempt);
      }
    }
  }

  /** Whether any op changes a field of a unique constraint. */
  #touchesUnique(ops: readonly WriteOp[]): boolean {
    return ops.some((op) => this.schema.uniques.some((u) => u.fields.includes(op[1])));
  }

  async #readRaw(id: string): Promise<RawObject> {
    const keys = this.keysOf(id);
    const [flat] = (await this.internals.context.scripts.run(
      getScript,
      { ids: keys.ids, expiry: keys.expiry },
      { ids: JSON.stringify([id]), hidden: '1' },
    )) as (string[] | 0)[];
    if (flat === undefined || flat === 0) return null;
    const raw: Record<string, string> = {};
    for (let i = 0; i < flat.length; i += 2) raw[flat[i] as string] = flat[i + 1] as string;
    return raw;
  }

  /** Creates an object (with a new id unless `input.id` is given); fails if the id exists. */
  async create(input: CreateInputOf<M>, givenOptions?: WriteOptions): Promise<RowOf<M>> {
    const options = optionsObject(givenOptions, 'options');
    const { ops, row } = fullObjectOps(this.schema, input);
    const given = (input as { id?: unknown }).id;
    const id = given === undefined ? await this.#newId() : checkId(given);
    if (this.#claims === undefined && options.expectedVersion === undefined) {
      // one batch per partition and expiry setting, so that each batch is one all-or-nothing script call
      const batchKey = `${String(partitionOf(id, this.schema.partitions))}:${this.#ttlArg(options.ttl, true)}`;
      await this.#coalescer.add({ id, ops, options, batchKey });
    } else {
      await this.#guardedWrite('create', id, ops, options, false);
    }
    return { id, ...row } as RowOf<M>;
  }

  /** Writes a whole object under `input.id`, creating it or replacing every field of it. */
  async save(input: CreateInputOf<M> & { id: string }, givenOptions?: WriteOptions): Promise<RowOf<M>> {
    const options = optionsObject(givenOptions, 'options');
    const id = checkId(input.id);
    const { ops, row } = fullObjectOps(this.schema, input);
    await this.#guardedWrite('replace', id, ops, options, false);
    return { id, ...row } as RowOf<M>;
  }

  /** Changes some fields of an existing object (`null` unsets one) and returns the object after the change. */
  async update(id: string, patch: UpdateInputOf<M>, givenOptions?: WriteOptions): Promise<RowOf<M>> {
    const options = optionsObject(givenOptions, 'options');
    return this.#write('update', checkId(id), patchOps(this.schema, patch), options);
  }

  /** Like update, but creates the object from the patch when it does not exist (required fields permitting). */
  async upsert(id: string, patch: UpdateInputOf<M>, givenOptions?: WriteOptions): Promise<RowOf<M>> {
    const options = optionsObject(givenOptions, 'options');
    return this.#write('upsert', checkId(id), patchOps(this.schema, patch), options);
  }

  /** Adds `by` to a number or integer field atomically (indexes follow) and returns the new value. */
  async increment(id: string, field: NumericFieldOf<M>, by = 1, givenOptions?: WriteOptions): Promise<number> {
    const options = optionsObject(givenOptions, 'options');
    const row = await this.#write('update', checkId(id), [incrementOp(this.schema, field, by)], options);
    return (row as Record<string, unknown>)[field] as number;
  }

  /** Sets (or with `null` removes) an object's time to live; false when the object does not exist. */
  async expire(id: string, ttl: Duration | null): Promise<boolean> {
    try {
      await this.#write('update', checkId(id), [], { ttl });
      return true;
    } catch (error) {
      if ((error as { code?: unknown }).code === 'E_NOT_FOUND') return false;
      throw error;
    }
  }

  /** The `limit` live objects nearest to a point by a `t.geo()` field, closest first, with distances in meters. */
  async nearest(field: keyof M & string, center: GeoPoint, givenOptions: NearestOptions): Promise<Nearby<RowOf<M>>[]> {
    const options = optionsObject(givenOptions, 'options');
    return (await nearestObjects(this.internals, field, center, options)) as Nearby<RowOf<M>>[];
  }

  /** Deletes an object and its index entries; false when there was none. */
  async delete(id: string, givenOptions?: Pick<WriteOptions, 'expectedVersion'>): Promise<boolean> {
    const options = optionsObject(givenOptions, 'options');
    const keys = this.keysOf(checkId(id));
    const claims = this.#claims;
    for (let attempt = 0; ; attempt++) {
      const old = claims === undefined ? null : await this.#readRaw(id);
      const expected = options.expectedVersion ?? (old === null ? undefined : Number(old.$v));
      try {
        const deleted = await this.internals.context.scripts.run(
          deleteScript,
          { object: keys.object(id), ids: keys.ids, expiry: keys.expiry },
          { id, spec: this.schema.spec, expectedVersion: expected === undefined ? '' : String(expected) },
          storeScriptErrors,
        );
        if (claims !== undefined && old !== null) {
          const held = this.schema.uniques.flatMap((unique) => {
            const term = uniqueTerm(this.internals, unique, old);
            return term === null ? [] : [{ unique: unique.name, term, token: old[tokenField(unique.name)] ?? '' }];
          });
          await claims.release(id, held);
        }
        return deleted === 1;
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        if (!(attempt < 50 && code === 'E_VERSION_CONFLICT' && options.expectedVersion === undefined)) throw error;
        await backoff(attempt);
      }
    }
  }

  /** Positions of `ids` grouped by the partition each id lives in. */
  #byPartition(ids: readonly string[]): Map<number, number[]> {
    const groups = new Map<number, number[]>();
    ids.forEach((id, i) => {
      const p = partitionOf(id, this.schema.partitions);
      const list = groups.get(p);
      if (list) list.push(i);
      else groups.set(p, [i]);
    });
    return groups;
  }

  /** The object, or null when it does not exist or has expired. */
  async get(id: string): Promise<RowOf<M> | null> {
    return (await this.getMany([id]))[0] ?? null;
  }

  /** Objects by id in the order given (null where missing), one read-only call per partition. */
  async getMany(ids: readonly string[]): Promise<(RowOf<M> | null)[]> {
    checkBatch(ids, 'ids');
    ids.forEach((id, i) => checkId(id, `ids[${String(i)}]`));
    const byPartition = this.#byPartition(ids);
    const groups = [...byPartition.entries()];
    const scripts = this.internals.context.scripts;
    const plans = groups.map(([p, indexes]) => {
      const keys = this.internals.partitions[p] as PartitionKeys;
      return scripts.plan(getScript, { ids: keys.ids, expiry: keys.expiry }, { ids: JSON.stringify(indexes.map((i) => ids[i])), hidden: '0' });
    });
    const results = await scripts.execMany(plans, storeScriptErrors);
    const rows = new Array<RowOf<M> | null>(ids.length).fill(null);
    groups.forEach(([, indexes], g) => {
      const result = results[g];
      if (result === undefined) return;
      if (!result.ok) throw result.error;
      const replies = result.value as (string[] | 0)[];
      indexes.forEach((i, k) => {
        const flat = replies[k];
        if (flat !== undefined && flat !== 0) rows[i] = decodeRow(this.schema, ids[i] as string, flat) as RowOf<M>;
      });
    });
    return rows;
  }

  /** Creates many objects, pipelined per partition; every input is validated before anything is written. */
  async createMany(inputs: readonly CreateInputOf<M>[]): Promise<RowOf<M>[]> {
    checkBatch(inputs, 'inputs');
    const prepared = inputs.map((input, i) => atEntry('inputs', i, () => fullObjectOps(this.schema, input)));
    const ids = await Promise.all(inputs.map(async (input) => {
      const given = (input as { id?: unknown }).id;
      return given === undefined ? this.#newId() : checkId(given);
    }));
    if (this.#claims !== undefined) {
      await Promise.all(prepared.map(({ ops }, i) => this.#guardedWrite('create', ids[i] as string, ops, {}, false)));
      return prepared.map(({ row }, i) => ({ id: ids[i], ...row }) as RowOf<M>);
    }
    await this.#insertMany(prepared.map(({ ops }) => ops), ids, this.#ttlArg(undefined, true));
    return prepared.map(({ row }, i) => ({ id: ids[i], ...row }) as RowOf<M>);
  }

  /** Inserts new objects in batch script calls (all or nothing per call); throws the first failure. */
  async #insertMany(opsList: readonly (readonly WriteOp[])[], ids: readonly string[], ttl: string): Promise<void> {
    this.#checkBatchUniques(opsList, ids);
    const results = await this.internals.context.scripts.execMany(this.#createBatches(opsList, ids, ttl), storeScriptErrors);
    for (const result of results) if (!result.ok) throw result.error;
  }

  /** One insert-many script call per partition and batch, with every index entry computed here. */
  #createBatches(opsList: readonly (readonly WriteOp[])[], ids: readonly string[], ttl: string): ScriptPlan[] {
    const byPartition = this.#byPartition(ids);
    const plans: ScriptPlan[] = [];
    for (const [p, members] of byPartition) {
      const keys = this.internals.partitions[p] as PartitionKeys;
      for (let start = 0; start < members.length; start += BATCH) {
        const entries = newEntries();
        const objects = members.slice(start, start + BATCH).map((i) => {
          const id = ids[i] as string;
          const raw = new Map<string, string>();
          const fields: string[] = [];
          for (const [op, field, value] of opsList[i] ?? []) {
            const name = storedName(op, field);
            raw.set(name, value);
            fields.push(name, value);
          }
          addNewEntries(this.schema, keys, id, raw, entries);
          return [id, keys.object(id), fields];
        });
        const groups: [string, Map<string, string[]>][] = [['U', entries.uniques], ['S', entries.sets], ['Z', entries.zsets], ['L', entries.lexes]];
        const batch = JSON.stringify({ o: objects, g: groups.flatMap(([kind, map]) => [...map].map(([key, values]) => [kind, key, values])) });
        plans.push(this.internals.context.scripts.plan(insertManyScript, { ids: keys.ids, expiry: keys.expiry }, { spec: this.schema.spec, ttl, batch }));
      }
    }
    return plans;
  }


  /** Throws when two inputs of one batch create share a unique value (one partition: checked in the script too). */
  #checkBatchUniques(opsList: readonly (readonly WriteOp[])[], ids: readonly string[]): void {
    for (const unique of this.schema.uniques) {
      const seen = new Map<string, string>();
      opsList.forEach((ops, i) => {
        const raw: Record<string, string> = {};
        for (const [op, field, value] of ops) raw[storedName(op, field)] = value;
        const term = uniqueTerm(this.internals, unique, raw);
        if (term === null) return;
        const first = seen.get(term);
        if (first !== undefined) throw new UniqueViolationError(unique.name, first);
        seen.set(term, ids[i] as string);
      });
    }
  }

  /** Updates many objects, pipelined per partition; every patch is validated first. Returns the rows after the change. */
  async updateMany(changes: readonly { id: string; patch: UpdateInputOf<M>; expectedVersion?: number }[]): Promise<RowOf<M>[]> {
    checkBatch(changes, 'changes');
    const prepared = changes.map((change, i) =>
      atEntry('changes', i, () => ({
        id: checkId(change.id),
        ops: patchOps(this.schema, change.patch),
        options: change.expectedVersion === undefined ? {} : { expectedVersion: change.expectedVersion },
      })),
    );
    if (this.#claims !== undefined && prepared.some(({ ops }) => this.#touchesUnique(ops))) {
      return Promise.all(prepared.map(({ id, ops, options }) => this.#write('update', id, ops, options)));
    }
    const plans = prepared.map(({ id, ops, options }) => this.#writePlan('update', id, ops, options, true));
    const results = await this.internals.context.scripts.execMany(plans, storeScriptErrors);
    return results.map((result, i) => {
      if (!result.ok) throw result.error;
      const reply = result.value as [number, number, ...string[]];
      return decodeRow(this.schema, prepared[i]?.id as string, reply.slice(2) as string[]) as RowOf<M>;
    });
  }

  /** Deletes many objects, pipelined per partition; returns how many existed. */
  async deleteMany(ids: readonly string[]): Promise<number> {
    checkBatch(ids, 'ids');
    if (this.#claims !== undefined) return (await Promise.all(ids.map((id) => this.delete(id)))).filter(Boolean).length;
    const scripts = this.internals.context.scripts;
    const plans = ids.map((id, i) => {
      const keys = this.keysOf(checkId(id, `ids[${String(i)}]`));
      return scripts.plan(deleteScript, { object: keys.object(id), ids: keys.ids, expiry: keys.expiry }, { id, spec: this.schema.spec, expectedVersion: '' });
    });
    const results = await scripts.execMany(plans, storeScriptErrors);
    let deleted = 0;
    for (const result of results) {
      if (!result.ok) throw result.error;
      deleted += result.value === 1 ? 1 : 0;
    }
    return deleted;
  }

  /** Removes expired objects and their index entries (writes and reads already ignore them). */
  async sweepExpired(batch = 500): Promise<number> {
    const scripts = this.internals.context.scripts;
    let removed = 0;
    for (const keys of this.internals.partitions) {
      for (;;) {
        const n = await scripts.run(sweepScript, { ids: keys.ids, expiry: keys.expiry }, { spec: this.schema.spec, limit: batch });
        removed += n;
        if (n < batch) break;
      }
    }
    return removed;
  }

  /** A query: `User.find({ name: 'Ada', score: { gte: 1 } }).sortBy('score', 'desc').limit(10).all()`. */
  find(where?: Where<M>): Query<M> {
    return query(this, where);
  }

  /** The exact number of live objects matching `where` (all objects without it). */
  count(where?: Where<M>): Promise<number> {
    return query(this, where).count();
  }

  /** Checks every index entry against the objects (both ways) and reports each inconsistency. */
  async verify(givenOptions?: VerifyOptions): Promise<VerifyReport> {
    const options = optionsObject(givenOptions, 'options');
    return await verifyModel(this.internals, options);
  }

  /** Online, resumable repair: adds missing index entries, removes stale ones, backfills new indexes. */
  async reindex(givenOptions?: ReindexOptions): Promise<ReindexReport> {
    const options = optionsObject(givenOptions, 'options');
    return await reindexModel(this.internals, options);
  }

  /** Deletes every key of this model (objects, indexes, unique values, id counter); returns how many. */
  drop(): Promise<number> {
    return dropModel(this.internals);
  }

  /** Decodes one stored field value (used by query results that select fields). */
  decodeField(name: string, raw: string): unknown {
    const field = this.schema.fields.get(name);
    if (!field) throw new ValidationError(name, `is not a field of model ${this.name}`);
    return decodeFieldValue(field, raw);
  }
}
