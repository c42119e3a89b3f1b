import type { SlotUnit } from './calendar.js';
import { CellTable } from './cell-table.js';
import { JsonWriter } from './json-writer.js';
import type { PathNode } from './hierarchy-path.js';
import type { HierarchyKeys } from './keys.js';

/** One slot of one resolution as a batch files it: `index` is unique within a counter's current slot table. */
export interface ResolutionSlot {
  readonly index: number;
  readonly unit: SlotUnit;
  readonly start: number;
  /** When its keys expire (ms since the epoch; 0: never). */
  readonly expireAt: number;
  /** True when the children of a node in this slot are kept ranked by sum. */
  readonly ranked: boolean;
}

/** The slots of every resolution of one minute, numbered (a batch first merges events per leaf and minute). */
export interface MinuteSlots {
  readonly index: number;
  readonly slots: readonly ResolutionSlot[];
}

/** Script input of one hash tag: its keys and the ops' arguments, in the order the script reads them. */
export interface TagWrites {
  readonly keys: string[];
  readonly args: (string | Buffer)[];
}

const [QUOTE, SPACE, COMMA, OPEN, CLOSE] = ['"', ' ', ',', '[', ']'].map((c) => c.charCodeAt(0)) as [number, number, number, number, number];
const EMPTY_JSON = Buffer.from('""');

/** Where every batch writes its payloads (views of its chunks stay valid: it never writes over a payload taken). */
const json = new JsonWriter();

/** Keys per script call, about (ioredis walks the keys of a call recursively on a cluster). */
const KEYS_PER_CALL = 2_000;

/** Resolutions, finest first (a resolution is rolled up from a finer one that nests in it). */
const FINENESS: readonly SlotUnit[] = ['minute', 'hour', 'day', 'week', 'month', 'year'];

/** Whether every slot of `finer` lies inside one slot of `coarser` (a week can straddle a month or a year). */
function nests(finer: SlotUnit, coarser: SlotUnit): boolean {
  return FINENESS.indexOf(finer) < FINENESS.indexOf(coarser) && !(finer === 'week' && (coarser === 'month' || coarser === 'year'));
}

/**
 * Increments merged in the process. Events are merged per leaf and minute as they come; when the
 * batch is written, the finest resolution is made from those and rolled up the tree level by level,
 * and each coarser resolution from the smallest finer one that nests in it (or from the events again
 * when they hold fewer cells), so that each node and slot is one cell and the work grows with cells,
 * not with events x ancestors x resolutions.
 */
export class HierarchyBatch {
  readonly #events: CellTable;
  readonly #cells: CellTable;
  readonly #minutes = new Map<number, MinuteSlots>();
  #added = 0;

  /** `tables`: two emptied tables of the counter's (reused batch after batch: allocating them made work for the collector). */
  constructor(
    readonly unique: boolean,
    tables: readonly [CellTable, CellTable] = [new CellTable(unique), new CellTable(unique)],
  ) {
    [this.#events, this.#cells] = tables;
  }

  /** Events added. */
  get events(): number {
    return this.#added;
  }

  /** Adds `by` (and `id`, counting unique ids) at a leaf in a minute. */
  add(leaf: PathNode, minute: MinuteSlots, by: number, id: string | null): void {
    this.#added++;
    this.#minutes.set(minute.index, minute);
    this.#events.add(this.#events.at(leaf, minute.index), by, id);
  }

  /**
   * Every node (up to the top) in every slot, one resolution at a time: yields the range of cells
   * each one added. Ranked resolutions come first (their writes cost the server most, so they are
   * sent while the process builds the rest), finest first within each kind.
   */
  *#rollUp(cells: CellTable, minutes: readonly MinuteSlots[], slotCount: number): Generator<{ from: number; to: number }> {
    const first = minutes[0];
    if (first === undefined) return;
    const rank = (r: number): number => {
      const slot = first.slots[r] as ResolutionSlot;
      return (slot.ranked ? 0 : FINENESS.length) + FINENESS.indexOf(slot.unit);
    };
    const order = first.slots.map((_, r) => r).sort((a, b) => rank(a) - rank(b));
    const ranges: { r: number; from: number; to: number }[] = [];
    for (const r of order) {
      const unit = (first.slots[r] as ResolutionSlot).unit;
      const from = cells.size;
      // the events' cells are leaves only (their ancestors are rolled up again), a finer range holds every node
      const source = ranges.filter((done) => nests((first.slots[done.r] as ResolutionSlot).unit, unit) && done.to - done.from < this.#events.size).sort((a, b) => a.to - a.from - (b.to - b.from))[0];
      if (source === undefined) this.#fromEvents(cells, minutes, r);
      else {
        // the coarser slot of each finer one, read off the minutes that hold both
        const coarser = new Int32Array(slotCount);
        for (const m of minutes) coarser[(m.slots[source.r] as ResolutionSlot).index] = (m.slots[r] as ResolutionSlot).index;
        for (let j = source.from; j < source.to; j++) cells.merge(cells.at(cells.node[j] as PathNode, coarser[cells.slot(j)] as number), cells, j);
      }
      ranges.push({ r, from, to: cells.size });
      yield { from, to: cells.size };
    }
  }

  /** The cells of resolution r from the events: leaves first, then each level rolled into its parents. */
  #fromEvents(cells: CellTable, minutes: readonly MinuteSlots[], r: number): void {
    const events = this.#events;
    // the slot of resolution r of each minute the events are filed under
    const slotOf = new Int32Array(minutes.reduce((n, m) => Math.max(n, m.index + 1), 0));
    for (const m of minutes) slotOf[m.index] = (m.slots[r] as ResolutionSlot).index;
    const byDepth: number[][] = [];
    for (let j = 0; j < events.size; j++) {
      const leaf = events.node[j] as PathNode;
      const before = cells.size;
      const i = cells.at(leaf, slotOf[events.slot(j)] as number);
      if (i === before) (byDepth[leaf.path.length] ??= []).push(i);
      cells.merge(i, events, j);
    }
    for (let depth = byDepth.length - 1; depth >= 1; depth--) {
      for (const i of byDepth[depth] ?? []) {
        const before = cells.size;
        const p = cells.at((cells.node[i] as PathNode).parent as PathNode, cells.slot(i));
        if (p === before) (byDepth[depth - 1] ??= []).push(p);
        cells.merge(p, cells, i);
      }
    }
  }

  /**
   * The writes per hash tag, as the add script reads them, yielded resolution by resolution and tag
   * by tag (so that the first can be sent while the rest are rolled up and built): per slot one 'v' op (ranked: the values of the tag's
   * nodes in that slot, grouped by parent, with their rankings) or 'b' op (unranked: the values as
   * one JSON array), per node and slot one 'u'
   * op (ids) when counting unique ids, per parent one 'k' op (its children's segments); calls of at
   * most about 2,000 keys.
   */
  *writes(keys: HierarchyKeys, minMax: boolean): Generator<TagWrites> {
    const cells = this.#cells;
    const minutes = [...this.#minutes.values()];
    const slots: ResolutionSlot[] = [];
    for (const m of minutes) for (const slot of m.slots) slots[slot.index] = slot;
    // the list of children is kept as long as the longest-kept slot of the batch (0: one is kept for ever)
    const structureExpireAt = slots.reduce((e, slot) => (e === 0 || slot.expireAt === 0 ? 0 : Math.max(e, slot.expireAt)), -1);
    let firstRange = true;
    for (const { from, to } of this.#rollUp(cells, minutes, slots.length)) {
      // every node has a cell in each resolution: parents learn of their children from the first one
      yield* this.#emit(keys, minMax, slots, from, to, firstRange ? structureExpireAt : null);
      firstRange = false;
    }
  }

  /** The writes of cells from..to (one resolution), per hash tag; with the lists of children when `structureExpireAt` is given. */
  *#emit(keys: HierarchyKeys, minMax: boolean, slots: readonly ResolutionSlot[], from: number, to: number, structureExpireAt: number | null): Generator<TagWrites> {
    const cells = this.#cells;
    const tags = new Map<string, TagGroup>();
    const tagGroup = (tag: string): TagGroup => {
      let group = tags.get(tag);
      if (group === undefined) tags.set(tag, (group = { values: new Map(), unique: [], structure: new Map() }));
      return group;
    };
    // each cell's value group (ranked: per parent and slot, the top alone; unranked: per tag and slot),
    // found by a number made of the group's owner and the slot: a million cells make a million lookups
    const numbers = new Map<number, number>();
    const groups: ValueGroup[] = [];
    const groupOf = new Int32Array(to - from);
    let [lastKey, last] = [-1, -1];
    for (let i = from; i < to; i++) {
      const node = cells.node[i] as PathNode;
      const s = cells.slot(i);
      const slot = slots[s] as ResolutionSlot;
      const parent = node.parent;
      const owner = slot.ranked ? (parent === null ? 0 : parent.id + 1) : node.valueTagId + 1;
      const key = owner * slots.length + s;
      if (key !== lastKey) {
        let n = numbers.get(key);
        if (n === undefined) {
          numbers.set(key, (n = groups.length));
          const group: ValueGroup = { parent: slot.ranked ? parent : null, start: 0, size: 0 };
          groups.push(group);
          const bySlot = tagGroup(node.valueTag).values;
          const list = bySlot.get(s);
          if (list === undefined) bySlot.set(s, [group]);
          else list.push(group);
        }
        [lastKey, last] = [key, n];
      }
      groupOf[i - from] = last;
      (groups[last] as ValueGroup).size++;
      const ids = cells.ids[i];
      if (ids !== undefined && ids.size > 0) tagGroup(node.tag).unique.push({ key: keys.unique(node, slot.unit, slot.start), expireAt: slot.expireAt, ids });
      if (parent !== null && structureExpireAt !== null) {
        const structure = tagGroup(parent.tag).structure;
        let segments = structure.get(parent);
        if (segments === undefined) structure.set(parent, (segments = new Set()));
        segments.add(node.segment);
      }
    }
    // the cells in group order (a counting sort)
    let offset = 0;
    for (const group of groups) {
      group.start = offset;
      offset += group.size;
      group.size = 0;
    }
    const ordered = new Int32Array(to - from);
    for (let i = from; i < to; i++) {
      const group = groups[groupOf[i - from] as number] as ValueGroup;
      ordered[group.start + group.size++] = i;
    }
    // a cell's value as the script reads it: "sum count[ min max]"
    const value = (i: number): void => {
      json.char(QUOTE);
      json.number(cells.sum(i));
      json.char(SPACE);
      json.number(cells.count(i));
      if (minMax) {
        json.char(SPACE);
        json.number(cells.min(i));
        json.char(SPACE);
        json.number(cells.max(i));
      }
      json.char(QUOTE);
    };
    for (const [tag, group] of tags) {
      let w: TagWrites = { keys: [], args: [] };
      const room = function* (): Generator<TagWrites> {
        if (w.keys.length < KEYS_PER_CALL) return;
        yield w;
        w = { keys: [], args: [] };
      };
      for (const [index, list] of group.values) {
        yield* room();
        const slot = slots[index] as ResolutionSlot;
        json.reset();
        json.char(OPEN);
        if (!slot.ranked) {
          // [field, value, field, value, ...] (one group: the tag's)
          const { start, size } = list[0] as ValueGroup;
          for (let k = start; k < start + size; k++) {
            const i = ordered[k] as number;
            if (k > start) json.char(COMMA);
            json.raw((cells.node[i] as PathNode).fieldJson);
            json.char(COMMA);
            value(i);
          }
          json.char(CLOSE);
          w.keys.push(keys.blob(tag, slot.unit, slot.start));
          w.args.push('b', String(slot.expireAt), json.take());
          continue;
        }
        // [[prefix, ranked, field or segment, value, ...], ...]
        w.keys.push(keys.values(tag, slot.unit, slot.start));
        list.forEach(({ parent, start, size }, n) => {
          if (parent !== null) w.keys.push(keys.ranking(parent, slot.unit, slot.start));
          if (n > 0) json.char(COMMA);
          json.char(OPEN);
          json.raw(parent !== null ? parent.childPrefixJson : EMPTY_JSON);
          json.char(COMMA);
          json.number(parent !== null ? 1 : 0);
          for (let k = start; k < start + size; k++) {
            const i = ordered[k] as number;
            const node = cells.node[i] as PathNode;
            json.char(COMMA);
            json.raw(parent !== null ? node.segmentJson : node.fieldJson);
            json.char(COMMA);
            value(i);
          }
          json.char(CLOSE);
        });
        json.char(CLOSE);
        w.args.push('v', String(slot.expireAt), json.take());
      }
      for (const { key, expireAt, ids } of group.unique) {
        yield* room();
        w.keys.push(key);
        w.args.push('u', String(expireAt), JSON.stringify([...ids]));
      }
      for (const [parent, segments] of group.structure) {
        yield* room();
        w.keys.push(keys.structure(parent));
        w.args.push('k', String(structureExpireAt ?? 0), JSON.stringify([...segments]));
      }
      if (w.keys.length > 0) yield w;
    }
  }
}

/** Cells of one value group: ranked, a parent's children in a slot (null: the top alone); unranked, a tag's nodes in a slot. */
interface ValueGroup {
  readonly parent: PathNode | null;
  /** Where its cells start in the ordered list. */
  start: number;
  size: number;
}

/** What a batch writes in one hash tag: values per slot and parent, ids per node and slot, children per parent. */
interface TagGroup {
  readonly values: Map<number, ValueGroup[]>;
  readonly unique: { key: string; expireAt: number; ids: Set<string> }[];
  readonly structure: Map<PathNode, Set<string>>;
}
