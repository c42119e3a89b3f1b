import type { KickassContext } from '../core/context.js';
import type { Duration } from '../core/durations.js';
import { parseDuration } from '../core/durations.js';
import { InvalidArgumentError } from '../core/errors.js';
import { unlinkKeys } from '../core/scan.js';
import { SLOT_UNITS, SlotCalendar, checkSlotUnit } from './calendar.js';
import type { SlotUnit, Weekday } from './calendar.js';
import { HierarchyBatch, SLOT_SPACE } from './hierarchy-batch.js';
import type { ResolutionSlot } from './hierarchy-batch.js';
import { HierarchyBuffer } from './hierarchy-buffer.js';
import type { BufferOptions } from './hierarchy-buffer.js';
import { MAX_PATH_DEPTH, PathTree, checkPath } from './hierarchy-path.js';
import type { CounterPath } from './hierarchy-path.js';
import { MAX_ID_BYTES } from './id-map.js';
import { HierarchyKeys } from './keys.js';
import { hierarchyAddScript, hierarchyChildrenScript } from './scripts/index.generated.js';

/** Options of a hierarchical counter. */
export interface HierarchicalCounterOptions {
  /** The time resolutions every increment is counted in. @defaultValue ['minute', 'hour', 'day', 'month'] */
  readonly resolutions?: readonly SlotUnit[];
  /** IANA time zone of slot boundaries (a day is a local day). @defaultValue 'UTC' */
  readonly timeZone?: string;
  /** First day of a week: 0 Sunday .. 6 Saturday. @defaultValue 1 (Monday) */
  readonly weekStart?: Weekday;
  /** How long a slot is kept after it ends, per resolution; resolutions not given are kept. */
  readonly retention?: Partial<Readonly<Record<SlotUnit, Duration>>>;
  /** Keep the smallest and largest increment of every node and slot too. @defaultValue false */
  readonly minMax?: boolean;
  /** Count unique ids per node and slot (HyperLogLog, about 0.81% standard error): every increment then needs an `id`. @defaultValue false */
  readonly unique?: boolean;
  /** Merge increments in the process for `ms` and write them in one go (see {@link BufferOptions}); off by default. */
  readonly buffer?: BufferOptions;
}

/** One increment: a path, by how much (1 when omitted), when (now when omitted) and, counting unique ids, whose. */
export interface CounterIncrement {
  readonly path: CounterPath;
  readonly by?: number;
  readonly at?: number | Date;
  readonly id?: string | number;
}

/** What a node added up in a slot (or a range): sum and count of its increments; min and max with `minMax`, unique ids with `unique`. */
export interface NodeValue {
  readonly sum: number;
  readonly count: number;
  readonly min?: number;
  readonly max?: number;
  readonly unique?: number;
}

/** A node's value in one slot of a series. */
export interface SlotValue extends NodeValue {
  /** Where the slot starts. */
  readonly start: Date;
}

/** One child in a breakdown. */
export interface ChildValue extends NodeValue {
  /** Its last segment. */
  readonly segment: string;
  /** Its path. */
  readonly path: readonly string[];
}

/** A breakdown one level down. */
export interface Children {
  /** How many children the node has in the slot. */
  readonly total: number;
  /** The first `top` of them in the order asked. */
  readonly children: readonly ChildValue[];
}

/** Options of {@link HierarchicalCounter.children}. */
export interface ChildrenOptions {
  /** How many children. @defaultValue 10 */
  readonly top?: number;
  /** The statistic to order by (min and max need `minMax`). @defaultValue 'sum' */
  readonly order?: 'sum' | 'count' | 'min' | 'max';
  /** Largest first ('desc') or smallest first. @defaultValue 'desc' */
  readonly direction?: 'desc' | 'asc';
}

/** Events merged per write round (a round is one script call per hash tag, two rounds in flight). */
const WRITE_BATCH = 100_000;
const MINUTE = 60_000;
const MAX_TOP = 10_000;
const NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
const STAT_CODES = { sum: 's', count: 'c', min: 'n', max: 'x' } as const;

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
  readonly #tree = new PathTree();
  readonly #slotsByMinute = new Map<number, readonly ResolutionSlot[]>();
  readonly #slots = new Map<string, ResolutionSlot>();
  readonly #buffer: HierarchyBuffer | null;

  constructor(context: KickassContext, name: string, options: HierarchicalCounterOptions = {}) {
    if (typeof name !== 'string' || !NAME.test(name)) throw new InvalidArgumentError('name', 'must be 1-64 characters of letters, digits, "_", "." or "-", starting with a letter');
    this.name = name;
    this.#context = context;
    const resolutions = options.resolutions ?? ['minute', 'hour', 'day', 'month'];
    if (!Array.isArray(resolutions) || resolutions.length === 0) throw new InvalidArgumentError('resolutions', `must be a non-empty list of ${SLOT_UNITS.join(', ')}`);
    this.resolutions = Object.freeze([...new Set(resolutions.map((u, i) => checkSlotUnit(u, `resolutions[${String(i)}]`)))]);
    this.calendar = new SlotCalendar(options.timeZone ?? 'UTC', options.weekStart ?? 1);
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
    this.#buffer = options.buffer === undefined ? null : new HierarchyBuffer(options.buffer, () => this.#newBatch(), (batch) => {
      let sent = false;
      return this.#write(() => (sent ? null : ((sent = true), batch)));
    });
  }

  /** Adds `by` (1) to `path` and its ancestors in every resolution, at `at` (now); with a buffer, resolves once merged (see flush). */
  async incr(path: CounterPath, options: { readonly by?: number; readonly at?: number | Date; readonly id?: string | number } = {}): Promise<void> {
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
    const checked = increments.map((e, i) => this.#checked(e, `increments[${String(i)}]`));
    if (this.#buffer !== null) {
      await this.#buffer.add((batch) => {
        for (const [path, by, at, id] of checked) batch.add(this.#tree.node(path), this.#slotsOf(at), by, id);
      });
      return;
    }
    let at = 0;
    await this.#write(() => {
      if (at >= checked.length) return null;
      const batch = this.#newBatch();
      for (const end = Math.min(checked.length, at + WRITE_BATCH); at < end; at++) {
        const [path, by, when, id] = checked[at] as [readonly string[], number, number, string | null];
        batch.add(this.#tree.node(path), this.#slotsOf(when), by, id);
      }
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

  #checked(e: CounterIncrement, field: string): [readonly string[], number, number, string | null] {
    const given: unknown = e;
    if (typeof given !== 'object' || given === null) throw new InvalidArgumentError(field, 'must be { path, by, at }');
    const path = checkPath(e.path, `${field}.path`, false);
    const by = e.by ?? 1;
    if (typeof by !== 'number' || !Number.isFinite(by)) throw new InvalidArgumentError(`${field}.by`, 'must be a finite number');
    const at = SlotCalendar.instant(e.at, `${field}.at`);
    if (!this.unique) {
      if (e.id !== undefined) throw new InvalidArgumentError(`${field}.id`, `counter ${this.name} does not count unique ids (unique option)`);
      return [path, by, at, null];
    }
    if (e.id === undefined) throw new InvalidArgumentError(`${field}.id`, `is required: counter ${this.name} counts unique ids`);
    const id: unknown = e.id;
    if (typeof id === 'number' && Number.isSafeInteger(id)) return [path, by, at, String(id)];
    if (typeof id !== 'string' || id === '' || !id.isWellFormed() || Buffer.byteLength(id, 'utf8') > MAX_ID_BYTES) {
      throw new InvalidArgumentError(`${field}.id`, `must be a safe integer or well-formed text of 1 to ${String(MAX_ID_BYTES)} UTF-8 bytes`);
    }
    return [path, by, at, id];
  }

  /** A new batch; the slot table and the path tree are forgotten between batches only (a batch files cells by their numbers). */
  #newBatch(): HierarchyBatch {
    if (this.#slots.size > SLOT_SPACE - 1_000 || this.#slotsByMinute.size > 100_000) {
      this.#slots.clear();
      this.#slotsByMinute.clear();
    }
    if (this.#tree.size > 1_000_000) this.#tree.clear();
    return new HierarchyBatch(this.unique);
  }

  /** The slot of every resolution holding `at` (boundaries fall on whole minutes, so they are remembered per minute). */
  #slotsOf(at: number): readonly ResolutionSlot[] {
    const minute = Math.floor(at / MINUTE);
    let slots = this.#slotsByMinute.get(minute);
    if (slots === undefined) {
      slots = this.resolutions.map((unit) => {
        const start = this.calendar.slotStart(unit, at);
        const name = `${unit} ${String(start)}`;
        let slot = this.#slots.get(name);
        if (slot === undefined) {
          const keep = this.#retention[unit];
          slot = { index: this.#slots.size, unit, start, expireAt: keep === undefined ? 0 : this.calendar.nextSlotStart(unit, start) + keep };
          this.#slots.set(name, slot);
        }
        return slot;
      });
      this.#slotsByMinute.set(minute, slots);
    }
    return slots;
  }

  /** Sends the batches `next` builds (null: no more), one script call per hash tag each, the next built while two are in flight. */
  async #write(next: () => HierarchyBatch | null): Promise<void> {
    const inFlight: Promise<void>[] = [];
    let failure: unknown = null;
    try {
      for (let batch = next(); batch !== null; batch = next()) {
        const writes = batch.writes(this.#keys, this.minMax);
        const plans = writes.map(({ keys, args }) => Object.freeze({ ...this.#context.scripts.plan(hierarchyAddScript, {}, {}), keys: Object.freeze(keys), args: Object.freeze(args) }));
        inFlight.push(
          this.#context.scripts.execMany(plans).then((results) => {
            for (const r of results) if (!r.ok) throw r.error;
          }),
        );
        if (inFlight.length >= 2) await inFlight.shift();
      }
    } catch (error) {
      failure = error;
    }
    const rejected = (await Promise.allSettled(inFlight)).find((r): r is PromiseRejectedResult => r.status === 'rejected');
    const error: unknown = failure ?? rejected?.reason ?? null;
    if (error !== null) throw error instanceof Error ? error : new Error('incrMany failed', { cause: error });
  }

  #unit(unit: SlotUnit, field = 'resolution'): SlotUnit {
    const u = checkSlotUnit(unit, field);
    if (!this.resolutions.includes(u)) throw new InvalidArgumentError(field, `counter ${this.name} does not count ${u} slots (it counts ${this.resolutions.join(', ')})`);
    return u;
  }

  /** The keys holding a node's statistics in a slot, its member there and its HyperLogLog. */
  #where(path: readonly string[], unit: SlotUnit, start: number): { stats: string[]; member: string; unique: string } {
    const stats = this.minMax ? ['s', 'c', 'n', 'x'] : ['s', 'c'];
    const node = this.#tree.node(path);
    const unique = this.#keys.unique(node.path, node.suffix, unit, start);
    const parent = node.parent;
    if (parent === null) return { stats: stats.map((s) => this.#keys.total(s, unit, start)), member: '', unique };
    return { stats: stats.map((s) => this.#keys.children(parent.path, parent.suffix, s, unit, start)), member: node.segment, unique };
  }

  /** The node's value in each given slot start (zeros where nothing was counted); its statistics share a hash tag, its ids may not (a root's). */
  async #values(path: readonly string[], unit: SlotUnit, starts: readonly number[]): Promise<NodeValue[]> {
    const { client } = this.#context;
    const number = (reply: string | number | null): number | null => (reply === null ? null : Number(reply));
    return Promise.all(
      starts.map(async (start) => {
        const { stats, member, unique } = this.#where(path, unit, start);
        const [values, ids] = await Promise.all([Promise.all(stats.map((key) => client.zscore(key, member))), this.unique ? client.pfcount(unique) : null]);
        const [sum, count, min, max] = values.map(number);
        return this.#value(sum ?? null, count ?? null, min ?? null, max ?? null, ids);
      }),
    );
  }

  #value(sum: number | null, count: number | null, min: number | null, max: number | null, unique: number | null): NodeValue {
    const out: { sum: number; count: number; min?: number; max?: number; unique?: number } = { sum: sum ?? 0, count: count ?? 0 };
    if (min !== null) out.min = min;
    if (max !== null) out.max = max;
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
    let min: number | null = null;
    let max: number | null = null;
    for (const v of values) {
      sum += v.sum;
      count += v.count;
      if (v.min !== undefined) min = min === null ? v.min : Math.min(min, v.min);
      if (v.max !== undefined) max = max === null ? v.max : Math.max(max, v.max);
    }
    const unique = this.unique && starts.length > 0 ? await this.#context.client.pfcount(...starts.map((s) => this.#where(p, unit, s).unique)) : null;
    return this.#value(sum, count, min, max, unique);
  }

  /** The children of `path` in the `resolution` slot holding `at`: the `top` first by `order` (one script call). */
  async children(path: CounterPath, resolution: SlotUnit, at?: number | Date, options: ChildrenOptions = {}): Promise<Children> {
    const p = checkPath(path, 'path', true);
    if (p.length >= MAX_PATH_DEPTH) return { total: 0, children: [] };
    const unit = this.#unit(resolution);
    const top = options.top ?? 10;
    if (!Number.isSafeInteger(top) || top < 1 || top > MAX_TOP) throw new InvalidArgumentError('top', `must be an integer from 1 to ${String(MAX_TOP)}`);
    const order = options.order ?? 'sum';
    if (!(order in STAT_CODES)) throw new InvalidArgumentError('order', "must be 'sum', 'count', 'min' or 'max'");
    if ((order === 'min' || order === 'max') && !this.minMax) throw new InvalidArgumentError('order', `counter ${this.name} keeps no min and max (minMax option)`);
    const direction: unknown = options.direction ?? 'desc';
    if (direction !== 'desc' && direction !== 'asc') throw new InvalidArgumentError('direction', "must be 'desc' or 'asc'");
    const start = this.calendar.slotStart(unit, SlotCalendar.instant(at));
    const node = this.#tree.node(p);
    const stats = (this.minMax ? ['s', 'c', 'n', 'x'] : ['s', 'c']).map((s) => this.#keys.children(node.path, node.suffix, s, unit, start));
    const plan = this.#context.scripts.plan(hierarchyChildrenScript, { order: this.#keys.children(node.path, node.suffix, STAT_CODES[order], unit, start) }, { top, direction });
    const reply = (await this.#context.scripts.exec(Object.freeze({ ...plan, keys: Object.freeze([...plan.keys, ...stats]) }))) as unknown[];
    // a root's ids live in its own hash tag: one PFCOUNT per child, concurrently
    const members = reply[1] as string[];
    const unique = this.unique ? await Promise.all(members.map((m) => this.#context.client.pfcount(this.#where([...p, m], unit, start).unique))) : [];
    return this.#children(p, reply, unique);
  }

  #children(path: readonly string[], reply: unknown[], unique: readonly number[]): Children {
    const [total, members] = reply as [number, string[]];
    const column = (j: number): (number | null)[] => ((reply[2 + j] as (string | null)[] | undefined) ?? []).map((v) => (v === null ? null : Number(v)));
    const [sums, counts, mins, maxs] = [column(0), column(1), this.minMax ? column(2) : [], this.minMax ? column(3) : []];
    return {
      total,
      children: members.map((segment, i) => ({ segment, path: [...path, segment], ...this.#value(sums[i] ?? 0, counts[i] ?? 0, mins[i] ?? null, maxs[i] ?? null, unique[i] ?? null) })),
    };
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
          const segments = await this.#context.client.smembers(this.#keys.structure(node.path, node.suffix));
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
