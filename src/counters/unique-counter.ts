import { optionsObject } from '../core/options.js';
import type { KickassContext } from '../core/context.js';
import type { Duration } from '../core/durations.js';
import { parseDuration } from '../core/durations.js';
import { InvalidArgumentError } from '../core/errors.js';
import { unlinkKeys } from '../core/scan.js';
import { globEscape } from '../core/keys.js';
import { BitBatch } from './bit-batch.js';
import type { BitTarget } from './bit-batch.js';
import { SLOT_UNITS, SlotCalendar, checkSlotUnit } from './calendar.js';
import type { SlotUnit, Weekday } from './calendar.js';
import { IdOutOfRangeError, UnsupportedCounterOperationError } from './errors.js';
import { SlotSet } from './expression.js';
import type { CounterInternals } from './counter-internals.js';
import { IdMap, checkedId, idText } from './id-map.js';
import type { IdMapOptions } from './id-map.js';
import { groupSlot, scratchKey, slotKey, universeKey } from './keys.js';
import { addScript } from './scripts/index.generated.js';
import { settleAll } from './settle.js';

/** Options of a unique counter. */
export interface UniqueCounterOptions {
  /** The slots every id is counted in. @defaultValue ['hour', 'day', 'week', 'month'] */
  readonly slots?: readonly SlotUnit[];
  /** IANA time zone of slot boundaries (a day is a local day). @defaultValue 'UTC' */
  readonly timeZone?: string;
  /** First day of a week slot: 0 Sunday .. 6 Saturday. @defaultValue 1 (Monday) */
  readonly weekStart?: Weekday;
  /** How long a slot is kept after it ends, per unit (a slot key expires then); units not given are kept. */
  readonly retention?: Partial<Readonly<Record<SlotUnit, Duration>>>;
  /**
   * 'integer': ids are integers 0..maxId used as bit numbers; or an id map (`{ map: 'users' }`):
   * any string ids, mapped to dense numbers. @defaultValue 'integer'
   */
  readonly ids?: 'integer' | IdMapOptions;
  /** The largest integer id (integer ids only): a bitmap grows to maxId / 8 bytes. @defaultValue 16777215 */
  readonly maxId?: number;
  /**
   * Count with HyperLogLog instead of bitmaps: about 0.81% standard error, 12 KB at most per slot,
   * counts and unions only (no has, members or other algebra). @defaultValue false
   */
  readonly approximate?: boolean;
  /** Counters of one group share a hash tag, so algebra over them runs in one script. @defaultValue the counter's name */
  readonly group?: string;
}

/** One counted event: who, and when (Date or epoch ms; now when omitted). */
export interface UniqueEvent<Id> {
  readonly id: Id;
  readonly at?: number | Date;
}

/** The count of one slot of a series. */
export interface SlotCount {
  /** Where the slot starts. */
  readonly start: Date;
  readonly count: number;
}

/** Events per add-script call (a day's bitmap then gets thousands of bits: a byte range, not single bits). */
const ADD_BATCH = 50_000;
/** Events per id-map request: small, so that building starts soon after a call begins. */
const NUMBER_CHUNK = 10_000;
/** Id-map requests kept ahead of the chunk being built. */
const NUMBER_AHEAD = 4;
const MINUTE = 60_000;
const NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;

/**
 * Unique ids per time slot (minute, hour, day, week, month, year in a time zone), on Redis bitmaps
 * (or HyperLogLogs): add events, ask whether an id was there, count a slot or a series of them,
 * list a slot's members, and combine slots with and / or / xor / not (see {@link SlotSet}).
 */
export class UniqueCounter<Id extends string | number = number> {
  /** The counter's name. */
  readonly name: string;
  /** Its group (counters of one group share a hash tag). */
  readonly group: string;
  /** The slots it counts in. */
  readonly slots: readonly SlotUnit[];
  /** Its time zone and week start. */
  readonly calendar: SlotCalendar;
  /** True when it counts with HyperLogLog. */
  readonly approximate: boolean;
  /** What expressions need of it. */
  readonly internals: CounterInternals;
  readonly #maxId: number;
  readonly #retention: Partial<Record<SlotUnit, number>>;
  readonly #slotCache = new Map<number, readonly BitTarget[]>();
  /** Slot keys by name, so that every minute of a slot shares one target. */
  readonly #targets = new Map<string, BitTarget>();

  constructor(context: KickassContext, name: string, givenOptions?: UniqueCounterOptions) {
    const options = optionsObject(givenOptions, 'options');
    if (typeof name !== 'string' || !NAME.test(name)) throw new InvalidArgumentError('name', 'must be 1-64 characters of letters, digits, "_", "." or "-", starting with a letter');
    this.name = name;
    this.group = options.group ?? name;
    if (typeof this.group !== 'string' || !NAME.test(this.group)) throw new InvalidArgumentError('group', 'must be 1-64 characters of letters, digits, "_", "." or "-", starting with a letter');
    const slots = options.slots ?? ['hour', 'day', 'week', 'month'];
    if (!Array.isArray(slots) || slots.length === 0) throw new InvalidArgumentError('slots', `must be a non-empty list of ${SLOT_UNITS.join(', ')}`);
    this.slots = Object.freeze([...new Set(slots.map((u, i) => checkSlotUnit(u, `slots[${String(i)}]`)))]);
    this.calendar = new SlotCalendar(options.timeZone ?? 'UTC', options.weekStart ?? 1);
    const approximate: unknown = options.approximate ?? false;
    if (typeof approximate !== 'boolean') throw new InvalidArgumentError('approximate', 'must be true or false');
    this.approximate = approximate;
    this.#retention = {};
    const retention: Record<string, Duration | undefined> = options.retention ?? {};
    for (const [unit, duration] of Object.entries(retention)) {
      checkSlotUnit(unit, 'retention');
      if (duration !== undefined) this.#retention[unit as SlotUnit] = parseDuration(duration, `retention.${unit}`);
    }
    const ids: unknown = options.ids ?? 'integer';
    this.#maxId = options.maxId ?? 16_777_215;
    if (!Number.isSafeInteger(this.#maxId) || this.#maxId < 0 || this.#maxId > 2 ** 32 - 1) throw new InvalidArgumentError('maxId', 'must be an integer from 0 to 4294967295');
    let idMap: IdMap | null = null;
    if (ids !== 'integer') {
      if (typeof ids !== 'object' || ids === null) throw new InvalidArgumentError('ids', "must be 'integer' or an id map's options ({ map: 'users' })");
      if (options.maxId !== undefined) throw new InvalidArgumentError('maxId', 'applies to integer ids only (mapped ids are numbered densely)');
      idMap = new IdMap(context, ids);
    }
    this.internals = Object.freeze({ context, slotKeys: groupSlot(context.keys, this.group), space: idMap === null ? 'i' : `m:${idMap.name}`, approximate: this.approximate, idMap });
  }

  /** The key, expiry and unit of every slot of an instant (slot boundaries fall on whole minutes, so they are remembered per minute). */
  #slotsOf(at: number): readonly BitTarget[] {
    const minute = Math.floor(at / MINUTE);
    let slots = this.#slotCache.get(minute);
    if (slots === undefined) {
      slots = this.slots.map((unit, group) => {
        const start = this.calendar.slotStart(unit, at);
        const key = slotKey(this.internals.slotKeys, this.name, unit, start, this.approximate);
        let target = this.#targets.get(key);
        if (target === undefined) {
          const keep = this.#retention[unit];
          target = { index: this.#targets.size, key, expireAt: keep === undefined ? 0 : this.calendar.nextSlotStart(unit, start) + keep, group };
          this.#targets.set(key, target);
        }
        return target;
      });
      this.#slotCache.set(minute, slots);
    }
    return slots;
  }

  /** The bit number of each id (mapping unknown ids when `create`; null for an unknown one otherwise). */
  async #numbers(ids: readonly Id[], field: string, create: boolean): Promise<(number | null)[]> {
    const { idMap } = this.internals;
    if (idMap === null) {
      return ids.map((id, i) => {
        if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0 || id > this.#maxId) {
          throw new IdOutOfRangeError(`${field.replace('#', String(i))} must be an integer from 0 to ${String(this.#maxId)} (maxId); map string or bigger ids with the ids option`, { context: { field, maxId: this.#maxId } });
        }
        return id;
      });
    }
    const checked = ids.map((id, i) => checkedId(id, field.replace('#', String(i))));
    return idMap.numbers(checked, create);
  }

  /** Counts `id` in every slot of `at` (now when omitted). */
  async add(id: Id, at?: number | Date): Promise<void> {
    await this.addMany([{ id, at: SlotCalendar.instant(at) }]);
  }

  /**
   * Counts many events: one script call per 50,000 events (plus calls that map ids this process has
   * not seen), two in flight, so that the next batch is built while the server merges one; mapped
   * ids are numbered 10,000 events at a time, a few requests ahead of the events being built.
   */
  async addMany(events: readonly UniqueEvent<Id>[]): Promise<void> {
    const list: unknown = events;
    if (!Array.isArray(list)) throw new InvalidArgumentError('events', 'must be an array of { id, at }');
    const times = events.map((e, i) => SlotCalendar.instant(e.at, `events[${String(i)}].at`));
    const ids = events.map((e) => e.id);
    // every id is checked before anything is written: integers here, text ids made once
    let texts: (string | number)[] | null = null;
    if (this.approximate) texts = ids.map((id, i) => idText(id, `events[${String(i)}].id`));
    else if (this.internals.idMap !== null) texts = ids.map((id, i) => checkedId(id, `events[${String(i)}].id`));
    else await this.#numbers(ids, 'events[#].id', false);
    const { idMap } = this.internals;
    const mapped = idMap !== null && !this.approximate;
    const values: readonly (Id | string | number)[] = texts ?? ids;
    // mapped ids are numbered a few chunks ahead of the chunk being built
    const numbering: Promise<readonly (number | null)[]>[] = [];
    let requested = 0;
    const requestNumbers = (): void => {
      while (idMap !== null && mapped && numbering.length < NUMBER_AHEAD && requested < events.length) {
        numbering.push(idMap.numbers(values.slice(requested, requested + NUMBER_CHUNK), true));
        requested += NUMBER_CHUNK;
      }
    };
    const inFlight: Promise<void>[] = [];
    let failure: unknown = null;
    let batch: BitBatch | null = null;
    let batched = 0;
    try {
      requestNumbers();
      for (let at = 0; at < events.length; at += NUMBER_CHUNK) {
        const end = Math.min(events.length, at + NUMBER_CHUNK);
        const slice = mapped ? await (numbering.shift() as Promise<readonly (number | null)[]>) : values.slice(at, end);
        requestNumbers();
        batch ??= this.#newBatch();
        this.#fill(batch, slice, times, at);
        batched += end - at;
        if (batched >= ADD_BATCH || end === events.length) {
          inFlight.push(this.#send(this.#withUniverse(batch)));
          batch = null;
          batched = 0;
          if (inFlight.length >= 2) await inFlight.shift();
        }
      }
    } catch (error) {
      failure = error;
    }
    // nothing is left unawaited, whatever failed (numbering requested ahead included)
    await settleAll([...inFlight, ...numbering], 'addMany', failure);
  }

  /** A new batch (slot keys are forgotten between batches only: a batch files its bits by the targets' indexes). */
  #newBatch(): BitBatch {
    if (this.#slotCache.size > 100_000) {
      this.#slotCache.clear();
      this.#targets.clear();
    }
    return new BitBatch();
  }

  /** Adds events at..at + slice.length to a batch: their bit numbers (integer or mapped ids; null: skipped), or text ids (approximate). */
  #fill(batch: BitBatch, slice: readonly (Id | string | number | null)[], times: readonly number[], at: number): void {
    if (this.approximate) {
      for (let i = 0; i < slice.length; i++) {
        const slots = this.#slotsOf(times[at + i] as number);
        for (const slot of slots) batch.id(slot.key, slice[i] as string, slot.expireAt);
      }
      return;
    }
    const numbers = slice as readonly (number | null)[];
    for (let i = 0; i < numbers.length; i++) {
      const n = numbers[i];
      if (n === null || n === undefined) continue;
      const slots = this.#slotsOf(times[at + i] as number);
      for (const slot of slots) batch.bit(slot, n);
    }
  }

  /** The batch, with the union that keeps the universe (every event is in one slot of each unit: the unit that touched the fewest keys gives it). */
  #withUniverse(batch: BitBatch): BitBatch {
    if (this.approximate) return batch;
    const fewest = batch.keysOfSmallestGroup();
    if (fewest.length > 0) batch.union(universeKey(this.internals.slotKeys, this.internals.space), fewest);
    return batch;
  }

  async #send(batch: BitBatch): Promise<void> {
    const targets = batch.targets();
    if (targets.length === 0) return;
    const { context, slotKeys } = this.internals;
    const plan = context.scripts.plan(addScript, { scratch: scratchKey(slotKeys, 'add', 0) }, {});
    const args: (string | Buffer)[] = [];
    for (const [, kind, expireAt, offset, payload] of targets) args.push(kind, String(expireAt), String(offset), payload);
    await context.scripts.exec(Object.freeze({ ...plan, keys: Object.freeze([...plan.keys, ...targets.map((t) => t[0])]), args: Object.freeze(args) }));
  }

  #exactOnly(what: string): void {
    if (this.approximate) throw new UnsupportedCounterOperationError(`${what} needs an exact counter; counter ${this.name} is approximate (HyperLogLog)`);
  }

  #unit(unit: SlotUnit): SlotUnit {
    const u = checkSlotUnit(unit);
    if (!this.slots.includes(u)) throw new InvalidArgumentError('slot', `counter ${this.name} does not count ${u} slots (it counts ${this.slots.join(', ')})`);
    return u;
  }

  /** The key of the `unit` slot holding `at`. */
  #key(unit: SlotUnit, at: number | Date | undefined): string {
    const u = this.#unit(unit);
    return slotKey(this.internals.slotKeys, this.name, u, this.calendar.slotStart(u, SlotCalendar.instant(at)), this.approximate);
  }

  /** Whether `id` was counted in the `unit` slot holding `at`. */
  async has(id: Id, unit: SlotUnit, at?: number | Date): Promise<boolean> {
    this.#exactOnly('has()');
    const key = this.#key(unit, at);
    const [n] = await this.#numbers([id], 'id', false);
    if (n === null || n === undefined) return false;
    return (await this.internals.context.client.getbit(key, n)) === 1;
  }

  /** The number of unique ids in the `unit` slot holding `at` (now when omitted). */
  async count(unit: SlotUnit, at?: number | Date): Promise<number> {
    const key = this.#key(unit, at);
    const { client } = this.internals.context;
    return this.approximate ? client.pfcount(key) : client.bitcount(key);
  }

  /** The count of every `unit` slot from the one holding `from` to the one holding `to`, zero where nothing was counted. */
  async counts(unit: SlotUnit, from: number | Date, to: number | Date): Promise<SlotCount[]> {
    const u = this.#unit(unit);
    const starts = this.calendar.slotStarts(u, SlotCalendar.instant(from, 'from'), SlotCalendar.instant(to, 'to'));
    const pipeline = this.internals.context.client.pipeline();
    for (const start of starts) {
      const key = slotKey(this.internals.slotKeys, this.name, u, start, this.approximate);
      if (this.approximate) pipeline.pfcount(key);
      else pipeline.bitcount(key);
    }
    const replies = (await pipeline.exec()) ?? [];
    return starts.map((start, i) => {
      const [error, value] = replies[i] ?? [null, 0];
      if (error) throw error;
      return { start: new Date(start), count: Number(value) };
    });
  }

  /** The ids counted in the `unit` slot holding `at`, in number order (for mapped ids, the order they were first seen). */
  async *members(unit: SlotUnit, at?: number | Date): AsyncGenerator<Id> {
    this.#exactOnly('members()');
    yield* this.slot(unit, at).members();
  }

  /** The `unit` slot holding `at` as a set: count it, list it, combine it with others (and, or, xor, not). */
  slot(unit: SlotUnit, at?: number | Date): SlotSet<Id> {
    return SlotSet.of<Id>(this.internals, this.#key(unit, at));
  }

  /** Deletes every slot of this counter (the group's universe and an id map stay: other counters share them). */
  async drop(): Promise<number> {
    const { client } = this.internals.context;
    const pattern = `${globEscape(this.internals.slotKeys.key(this.approximate ? 'h' : 'b', this.name))}:*`;
    return unlinkKeys(client, pattern);
  }
}
