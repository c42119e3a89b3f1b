import { optionsObject } from '../core/options.js';
import type { KickassContext } from '../core/context.js';
import type { Duration } from '../core/durations.js';
import { parseDuration } from '../core/durations.js';
import { InvalidArgumentError } from '../core/errors.js';
import { unlinkKeys } from '../core/scan.js';
import { SLOT_UNITS, SlotCalendar, checkSlotUnit } from './calendar.js';
import type { SlotUnit } from './calendar.js';
import { CellTable } from './cell-table.js';
import { HierarchyBatch } from './hierarchy-batch.js';
import type { MinuteSlots, ResolutionSlot } from './hierarchy-batch.js';
import { HierarchyBuffer } from './hierarchy-buffer.js';
import { MAX_PATH_DEPTH, PathTree, checkPath, isPlainPath } from './hierarchy-path.js';
import type { CounterPath, PathNode } from './hierarchy-path.js';
import { MAX_ID_BYTES } from './id-map.js';
import { HierarchyKeys } from './keys.js';
import type { Children, ChildrenOptions, CounterIncrement, HierarchicalCounterOptions, NodeValue, SlotValue } from './hierarchy-types.js';
import { blobEntries, blobValue, childrenIn } from './hierarchy-values.js';
import { hierarchyAddScript, hierarchyChildrenScript } from './scripts/index.generated.js';
import { settleAll } from './settle.js';

/** Events merged per write round (a round is one script call per hash tag and resolution, two rounds in flight). */
const WRITE_BATCH = 100_000;
const MINUTE = 60_000;
/** Slots (and minutes) remembered before the tables start over, between batches. */
const REMEMBERED_SLOTS = 100_000;
const MAX_TOP = 10_000;
const NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
const ORDERS = ['sum', 'count', 'min', 'max'];

/**
 * Counts along a key hierarchy and along time: an increment of `['us', 'ca', 'sf', '/home']` is
 * added to that node and every ancestor (up to the total of everything, `[]`) in every resolution,
 * as a sum and a count (never an average, so roll-ups stay exact), so that "views in California
 * per hour" and "top cities in the US today" are single reads. Increments are merged in the
 * process before they reach Redis.
 */
export class HierarchicalCounter {
  /** The counter's name. */
  readonly name: string;
  /** The resolutions it counts in. */
  readonly resolutions: readonly SlotUnit[];
  /** Its time zone and week start. */
  readonly calendar: SlotCalendar;
  /** True when it keeps min and max. */
  readonly minMax: boolean;
  /** True when it counts unique ids. */
  readonly unique: boolean;
  readonly #context: KickassContext;
  readonly #keys: HierarchyKeys;
  readonly #retention: Partial<Record<SlotUnit, number>> = {};
  readonly #tree: PathTree;
  readonly #ranked: ReadonlySet<SlotUnit>;
  readonly #slotsByMinute = new Map<number, MinuteSlots>();
  readonly #slots = new Map<string, ResolutionSlot>();
  readonly #buffer: HierarchyBuffer | null;
  #pool: [CellTable, CellTable] | null = null;

  constructor(context: KickassContext, name: string, givenOptions?: HierarchicalCounterOptions) {
    const options = optionsObject(givenOptions, 'options');
    if (typeof name !== 'string' || !NAME.test(name)) throw new InvalidArgumentError('name', 'must be 1-64 characters of letters, digits, "_", "." or "-", starting with a letter');
    this.name = name;
    this.#context = context;
    const resolutions = options.resolutions ?? ['minute', 'hour', 'day', 'month'];
    if (!Array.isArray(resolutions) || resolutions.length === 0) throw new InvalidArgumentError('resolutions', `must be a non-empty list of ${SLOT_UNITS.join(', ')}`);
    this.resolutions = Object.freeze([...new Set(resolutions.map((u, i) => checkSlotUnit(u, `resolutions[${String(i)}]`)))]);
    this.calendar = new SlotCalendar(options.timeZone ?? 'UTC', options.weekStart ?? 1);
    const ranked: unknown = options.ranked ?? this.resolutions.filter((u) => u !== 'minute');
    if (!Array.isArray(ranked)) throw new InvalidArgumentError('ranked', 'must be a list of resolutions');
    this.#ranked = new Set(ranked.map((u: unknown, i) => this.#unit(u as SlotUnit, `ranked[${String(i)}]`)));
    const retention: Record<string, Duration | undefined> = options.retention ?? {};
    for (const [unit, duration] of Object.entries(retention)) {
      checkSlotUnit(unit, 'retention');
      if (duration !== undefined) this.#retention[unit as SlotUnit] = parseDuration(duration, `retention.${unit}`);
    }
    const minMax: unknown = options.minMax ?? false;
    const unique: unknown = options.unique ?? false;
    if (typeof minMax !== 'boolean') throw new InvalidArgumentError('minMax', 'must be true or false');
    if (typeof unique !== 'boolean') throw new InvalidArgumentError('unique', 'must be true or false');
    this.minMax = minMax;
    this.unique = unique;
    this.#keys = new HierarchyKeys(context.keys, name);
    this.#tree = new PathTree((root) => this.#keys.tag(root));
    this.#buffer = options.buffer === undefined ? null : new HierarchyBuffer(options.buffer, () => this.#newBatch(), (batch) => {
      let sent = false;
      return this.#write(() => (sent ? null : ((sent = true), batch)));
    });
  }

  /** Adds `by` (1) to `path` and its ancestors in every resolution, at `at` (now); with a buffer, resolves once merged (see flush). */
  async incr(path: CounterPath, givenOptions?: { readonly by?: number; readonly at?: number | Date; readonly id?: string | number }): Promise<void> {
    const options = optionsObject(givenOptions, 'options');
    await this.incrMany([{ path, ...options }]);
  }

  /**
   * Adds many increments: merged in the process (one sum, count per node and slot), then one script
   * call per hash tag per 100,000 increments. Every increment is checked before anything is written.
   * With a buffer they join it (and resolve once merged, or once written when the buffer was full).
   */
  async incrMany(increments: readonly CounterIncrement[]): Promise<void> {
    const list: unknown = increments;
    if (!Array.isArray(list)) throw new InvalidArgumentError('increments', 'must be an array of { path, by, at }');
    // every increment is checked first (its instant taken once); nothing is kept per increment but that
    const times = new Float64Array(increments.length);
    for (let i = 0; i < increments.length; i++) times[i] = this.#check(increments[i] as CounterIncrement, i);
    const fill = (batch: HierarchyBatch, from: number, to: number): void => {
      for (let i = from; i < to; i++) {
        const e = increments[i] as CounterIncrement;
        batch.add(this.#tree.node(e.path), this.#slotsOf(times[i] as number), e.by ?? 1, e.id === undefined ? null : String(e.id));
      }
    };
    if (this.#buffer !== null) {
      await this.#buffer.add((batch) => { fill(batch, 0, increments.length); });
      return;
    }
    let at = 0;
    await this.#write(() => {
      if (at >= increments.length) return null;
      const batch = this.#newBatch();
      const end = Math.min(increments.length, at + WRITE_BATCH);
      fill(batch, at, end);
      at = end;
      return batch;
    });
  }

  /** Writes what the buffer holds now. */
  async flush(): Promise<void> {
    await this.#buffer?.flush();
  }

  /** Flushes the buffer and stops its timer (kickass's close() calls it). */
  async close(): Promise<void> {
    await this.#buffer?.close();
  }

  /** Throws unless increments[i] is usable (naming its field); returns its instant. */
  #check(e: CounterIncrement, i: number): number {
    const given: unknown = e;
    if (typeof given !== 'object' || given === null) throw new InvalidArgumentError(`increments[${String(i)}]`, 'must be { path, by, at }');
    if (!isPlainPath(e.path)) checkPath(e.path, `increments[${String(i)}].path`, false);
    const by: unknown = e.by ?? 1;
    if (typeof by !== 'number' || !Number.isFinite(by)) throw new InvalidArgumentError(`increments[${String(i)}].by`, 'must be a finite number');
    let at: number;
    try {
      at = SlotCalendar.instant(e.at);
    } catch {
      at = SlotCalendar.instant(e.at, `increments[${String(i)}].at`);
    }
    const id: unknown = e.id;
    if (!this.unique) {
      if (id !== undefined) throw new InvalidArgumentError(`increments[${String(i)}].id`, `counter ${this.name} does not count unique ids (unique option)`);
      return at;
    }
    if (id === undefined) throw new InvalidArgumentError(`increments[${String(i)}].id`, `is required: counter ${this.name} counts unique ids`);
    if (typeof id === 'number' && Number.isSafeInteger(id)) return at;
    if (typeof id !== 'string' || id === '' || !id.isWellFormed() || Buffer.byteLength(id, 'utf8') > MAX_ID_BYTES) {
      throw new InvalidArgumentError(`increments[${String(i)}].id`, `must be a safe integer or well-formed text of 1 to ${String(MAX_ID_BYTES)} UTF-8 bytes`);
    }
    return at;
  }

  /** A new batch; the slot table and the path tree are forgotten between batches only (a batch files cells by their numbers). */
  #newBatch(): HierarchyBatch {
    if (this.#slots.size > REMEMBERED_SLOTS || this.#slotsByMinute.size > REMEMBERED_SLOTS) {
      this.#slots.clear();
      this.#slotsByMinute.clear();
    }
    if (this.#tree.size > 1_000_000) this.#tree.clear();
    // a batch is filled, then its writes are all built before the next one is made: tables can be reused
    // (the buffer's batch lives across calls, so it gets tables of its own)
    return new HierarchyBatch(this.unique, this.#buffer === null ? this.#tables() : undefined);
  }

  #tables(): [CellTable, CellTable] {
    this.#pool ??= [new CellTable(this.unique), new CellTable(this.unique)];
    for (const table of this.#pool) table.reset();
    return this.#pool;
  }

  /** The slot of every resolution holding `at`, numbered (boundaries fall on whole minutes, so they are remembered per minute). */
  #slotsOf(at: number): MinuteSlots {
    const minute = Math.floor(at / MINUTE);
    let slots = this.#slotsByMinute.get(minute);
    if (slots === undefined) {
      const list = this.resolutions.map((unit) => {
        const start = this.calendar.slotStart(unit, at);
        const name = `${unit} ${String(start)}`;
        let slot = this.#slots.get(name);
        if (slot === undefined) {
          const keep = this.#retention[unit];
          slot = { index: this.#slots.size, unit, start, expireAt: keep === undefined ? 0 : this.calendar.nextSlotStart(unit, start) + keep, ranked: this.#ranked.has(unit) };
          this.#slots.set(name, slot);
        }
        return slot;
      });
      slots = { index: this.#slotsByMinute.size, slots: list };
      this.#slotsByMinute.set(minute, slots);
    }
    return slots;
  }

  /** Sends the batches `next` builds (null: no more), one script call per hash tag and resolution each, the next built while two are in flight. */
  async #write(next: () => HierarchyBatch | null): Promise<void> {
    const inFlight: Promise<void>[] = [];
    let failure: unknown = null;
    try {
      for (let batch = next(); batch !== null; batch = next()) {
        // each tag's call is sent as soon as it is built (the server starts while the rest are built)
        const calls: Promise<unknown>[] = [];
        const { scripts } = this.#context;
        for (const { keys, args } of batch.writes(this.#keys, this.minMax)) calls.push(scripts.exec(Object.freeze({ ...scripts.plan(hierarchyAddScript, {}, {}), keys: Object.freeze(keys), args: Object.freeze(args) })));
        inFlight.push(settleAll(calls, 'write'));
        if (inFlight.length >= 2) await inFlight.shift();
      }
    } catch (error) {
      failure = error;
    }
    await settleAll(inFlight, 'incrMany', failure);
  }

  #unit(unit: SlotUnit, field = 'resolution'): SlotUnit {
    const u = checkSlotUnit(unit, field);
    if (!this.resolutions.includes(u)) throw new InvalidArgumentError(field, `counter ${this.name} does not count ${u} slots (it counts ${this.resolutions.join(', ')})`);
    return u;
  }

  /** The node's value in each given slot start (zeros where nothing was counted): its field in its parent's tag, and its ids (in another tag for a root). */
  async #values(path: readonly string[], unit: SlotUnit, starts: readonly number[]): Promise<NodeValue[]> {
    const { client } = this.#context;
    const node = this.#tree.node(path);
    const ranked = this.#ranked.has(unit);
    return Promise.all(
      starts.map(async (start) => {
        const read = ranked ? client.hget(this.#keys.values(node.valueTag, unit, start), node.field) : client.get(this.#keys.blob(node.valueTag, unit, start)).then((held) => blobValue(held, node.field));
        const [value, ids] = await Promise.all([read, this.unique ? client.pfcount(this.#keys.unique(node, unit, start)) : null]);
        return this.#parse(value, ids);
      }),
    );
  }

  /** The children of a node in a slot of an unranked resolution, with their values. */
  async #unrankedChildren(node: PathNode, unit: SlotUnit, start: number): Promise<[segment: string, value: string][]> {
    return childrenIn(blobEntries(await this.#context.client.get(this.#keys.blob(node.tag, unit, start))), node);
  }

  /** A node's value from its field ("sum count[ min max]"; null: nothing counted). */
  #parse(value: string | null, unique: number | null): NodeValue {
    const [sum = 0, count = 0, min, max] = value === null ? [] : value.split(' ').map(Number);
    return this.#value(sum, count, min, max, unique);
  }

  /** A node's value from its numbers (min and max only when both are known). */
  #value(sum: number, count: number, min: number | undefined, max: number | undefined, unique: number | null): NodeValue {
    const out: { sum: number; count: number; min?: number; max?: number; unique?: number } = { sum, count };
    if (min !== undefined && max !== undefined) {
      out.min = min;
      out.max = max;
    }
    if (this.unique) out.unique = unique ?? 0;
    return out;
  }

  /** The value of `path` (`[]`: the total of everything) in the `resolution` slot holding `at` (now). */
  async get(path: CounterPath, resolution: SlotUnit, at?: number | Date): Promise<NodeValue> {
    const p = checkPath(path, 'path', true);
    const unit = this.#unit(resolution);
    const [value] = await this.#values(p, unit, [this.calendar.slotStart(unit, SlotCalendar.instant(at))]);
    return value as NodeValue;
  }

  /** The value of `path` in every `resolution` slot from the one holding `from` to the one holding `to`, zeros where nothing was counted. */
  async series(path: CounterPath, resolution: SlotUnit, from: number | Date, to: number | Date): Promise<SlotValue[]> {
    const p = checkPath(path, 'path', true);
    const unit = this.#unit(resolution);
    const starts = this.calendar.slotStarts(unit, SlotCalendar.instant(from, 'from'), SlotCalendar.instant(to, 'to'));
    const values = await this.#values(p, unit, starts);
    return values.map((value, i) => ({ start: new Date(starts[i] as number), ...value }));
  }

  /**
   * The value of `path` over the `resolution` slots from `from` to `to`: sums and counts added,
   * min and max of the slots', unique ids of their union (PFCOUNT of the slots' HyperLogLogs).
   */
  async total(path: CounterPath, resolution: SlotUnit, from: number | Date, to: number | Date): Promise<NodeValue> {
    const p = checkPath(path, 'path', true);
    const unit = this.#unit(resolution);
    const starts = this.calendar.slotStarts(unit, SlotCalendar.instant(from, 'from'), SlotCalendar.instant(to, 'to'));
    const values = await this.#values(p, unit, starts);
    let sum = 0;
    let count = 0;
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (const v of values) {
      sum += v.sum;
      count += v.count;
      if (v.min !== undefined && v.min < min) min = v.min;
      if (v.max !== undefined && v.max > max) max = v.max;
    }
    const node = this.#tree.node(p);
    const unique = this.unique && starts.length > 0 ? await this.#context.client.pfcount(...starts.map((s) => this.#keys.unique(node, unit, s))) : null;
    const known = count > 0 && this.minMax;
    return this.#value(sum, count, known ? min : undefined, known ? max : undefined, unique);
  }

  /**
   * The children of `path` in the `resolution` slot holding `at`: the `top` first by `order`. A
   * ranked resolution by sum reads them off the ranking; other orders sort every child in a script;
   * an unranked resolution reads the slot's values of the tag and sorts in the process.
   */
  async children(path: CounterPath, resolution: SlotUnit, at?: number | Date, givenOptions?: ChildrenOptions): Promise<Children> {
    const options = optionsObject(givenOptions, 'options');
    const p = checkPath(path, 'path', true);
    if (p.length >= MAX_PATH_DEPTH) return { total: 0, children: [] };
    const unit = this.#unit(resolution);
    const top = options.top ?? 10;
    if (!Number.isSafeInteger(top) || top < 1 || top > MAX_TOP) throw new InvalidArgumentError('top', `must be an integer from 1 to ${String(MAX_TOP)}`);
    const order = options.order ?? 'sum';
    if (!ORDERS.includes(order)) throw new InvalidArgumentError('order', "must be 'sum', 'count', 'min' or 'max'");
    if ((order === 'min' || order === 'max') && !this.minMax) throw new InvalidArgumentError('order', `counter ${this.name} keeps no min and max (minMax option)`);
    const direction: unknown = options.direction ?? 'desc';
    if (direction !== 'desc' && direction !== 'asc') throw new InvalidArgumentError('direction', "must be 'desc' or 'asc'");
    const start = this.calendar.slotStart(unit, SlotCalendar.instant(at));
    const node = this.#tree.node(p);
    const stat = { sum: 0, count: 1, min: 2, max: 3 }[order];
    let total: number;
    let segments: string[];
    let fields: string[];
    if (this.#ranked.has(unit)) {
      const keys = { values: this.#keys.values(node.tag, unit, start), children: this.#keys.ranking(node, unit, start) };
      [total, segments, fields] = (await this.#context.scripts.run(hierarchyChildrenScript, keys, { prefix: node.childPrefix, top, order: stat + 1, direction })) as [number, string[], string[]];
    } else {
      const rows = (await this.#unrankedChildren(node, unit, start)).map(([segment, value]) => ({ segment, value, key: Number(value.split(' ')[stat]) }));
      const sign = direction === 'desc' ? -1 : 1;
      // the same order as a ranking read: by the statistic, ties by segment (code units; the script compares bytes)
      rows.sort((x, y) => (x.key !== y.key ? sign * (x.key - y.key) : sign * (x.segment < y.segment ? -1 : x.segment > y.segment ? 1 : 0)));
      total = rows.length;
      segments = rows.slice(0, top).map((r) => r.segment);
      fields = rows.slice(0, top).map((r) => r.value);
    }
    // a root's ids live in its own hash tag: one PFCOUNT per child, concurrently
    const unique = this.unique ? await Promise.all(segments.map((m) => this.#context.client.pfcount(this.#keys.unique(this.#tree.node([...p, m]), unit, start)))) : [];
    return { total, children: segments.map((segment, i) => ({ segment, path: [...p, segment], ...this.#parse(fields[i] ?? null, unique[i] ?? null) })) };
  }

  /**
   * The nodes below `path` down to `depth` levels (1: its children), as paths, level by level; the
   * children a node has ever had in a slot still kept. One round trip per level.
   */
  async descendants(path: CounterPath, depth = 1): Promise<string[][]> {
    const p = checkPath(path, 'path', true);
    if (!Number.isSafeInteger(depth) || depth < 1 || depth > MAX_PATH_DEPTH) throw new InvalidArgumentError('depth', `must be an integer from 1 to ${String(MAX_PATH_DEPTH)}`);
    const out: string[][] = [];
    let level: (readonly string[])[] = [p];
    for (let d = 0; d < depth && level.length > 0 && (level[0] as readonly string[]).length < MAX_PATH_DEPTH; d++) {
      const found = await Promise.all(
        level.map(async (parent) => {
          const node = this.#tree.node(parent);
          const segments = await this.#context.client.smembers(this.#keys.structure(node));
          return segments.sort().map((s) => [...parent, s]);
        }),
      );
      level = found.flat();
      out.push(...(level as string[][]));
    }
    return out;
  }

  /** Deletes every key of this counter; returns how many. */
  async drop(): Promise<number> {
    let n = 0;
    for (const pattern of this.#keys.patterns()) n += await unlinkKeys(this.#context.client, pattern);
    return n;
  }
}
