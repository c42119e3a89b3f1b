import type { SlotUnit } from './calendar.js';
import type { PathNode } from './hierarchy-path.js';
import type { HierarchyKeys } from './keys.js';

/** One slot of one resolution as a batch files it: `index` is unique within a counter's current slot table. */
export interface ResolutionSlot {
  readonly index: number;
  readonly unit: SlotUnit;
  readonly start: number;
  /** When its keys expire (ms since the epoch; 0: never). */
  readonly expireAt: number;
}

/** Slots a counter may hold in its table before it starts over between batches (cells are numbered node * SLOT_SPACE + slot). */
export const SLOT_SPACE = 65_536;

/** What one node adds up in one slot. */
interface Cell {
  readonly node: PathNode;
  readonly slot: ResolutionSlot;
  sum: number;
  count: number;
  min: number;
  max: number;
  readonly ids: Set<string> | null;
}

/** Script input of one hash tag: its keys and the ops' arguments, in the order the script reads them. */
export interface TagWrites {
  readonly keys: string[];
  readonly args: string[];
}

/** Keys per script call, about (ioredis walks the keys of a call recursively on a cluster). */
const KEYS_PER_CALL = 2_000;
const SUM_COUNT = ['s', 'c'] as const;
const ALL_STATS = ['s', 'c', 'n', 'x'] as const;

/**
 * Increments merged in the process: every event adds to each of its path's nodes (up to the top) in
 * each of its slots, so that a batch sends one sum, count (and min, max) per node and slot, however
 * many events share them.
 */
export class HierarchyBatch {
  readonly #cells = new Map<number, Cell>();
  #events = 0;

  constructor(readonly unique: boolean) {}

  /** Events added. */
  get events(): number {
    return this.#events;
  }

  /** Adds `by` (and `id`, counting unique ids) to the leaf and every ancestor, in every slot. */
  add(leaf: PathNode, slots: readonly ResolutionSlot[], by: number, id: string | null): void {
    this.#events++;
    for (let node: PathNode | null = leaf; node !== null; node = node.parent) {
      const base = node.id * SLOT_SPACE;
      for (const slot of slots) {
        const key = base + slot.index;
        let cell = this.#cells.get(key);
        if (cell === undefined) {
          cell = { node, slot, sum: 0, count: 0, min: by, max: by, ids: this.unique ? new Set() : null };
          this.#cells.set(key, cell);
        } else {
          if (by < cell.min) cell.min = by;
          if (by > cell.max) cell.max = by;
        }
        cell.sum += by;
        cell.count++;
        if (id !== null) cell.ids?.add(id);
      }
    }
  }

  /**
   * The writes per hash tag, as the add script reads them: per parent and slot one 'z' op (the
   * children's statistics), per node and slot one 'u' op (ids) when counting unique ids, per parent
   * one 'k' op (its children's segments); calls of at most about 2,000 keys.
   */
  writes(keys: HierarchyKeys, minMax: boolean): TagWrites[] {
    const stats = minMax ? ALL_STATS : SUM_COUNT;
    const groups = new Map<number, { tag: string; keys: string[]; expireAt: number; members: string[] }>();
    const structure = new Map<PathNode, { expireAt: number; segments: Set<string> }>();
    const out: TagWrites[] = [];
    const open = new Map<string, TagWrites>();
    // a call per tag, or several: ioredis walks a call's keys recursively on a cluster
    const writesOf = (tag: string): TagWrites => {
      let w = open.get(tag);
      if (w === undefined || w.keys.length >= KEYS_PER_CALL) {
        w = { keys: [], args: [] };
        open.set(tag, w);
        out.push(w);
      }
      return w;
    };
    for (const cell of this.#cells.values()) {
      const { node, slot } = cell;
      const parent = node.parent;
      const id = parent === null ? -1 - slot.index : parent.id * SLOT_SPACE + slot.index;
      let group = groups.get(id);
      if (group === undefined) {
        const statKeys = parent === null ? stats.map((s) => keys.total(s, slot.unit, slot.start)) : stats.map((s) => keys.children(parent.path, parent.suffix, s, slot.unit, slot.start));
        group = { tag: parent === null ? keys.top : keys.tag(parent.root), keys: statKeys, expireAt: slot.expireAt, members: [] };
        groups.set(id, group);
      }
      group.members.push(node.segment, String(cell.sum), String(cell.count));
      if (minMax) group.members.push(String(cell.min), String(cell.max));
      if (cell.ids !== null && cell.ids.size > 0) {
        const w = writesOf(keys.tag(node.root));
        w.keys.push(keys.unique(node.path, node.suffix, slot.unit, slot.start));
        w.args.push('u', String(slot.expireAt), String(cell.ids.size));
        for (const id of cell.ids) w.args.push(id);
      }
      if (parent !== null) {
        let known = structure.get(parent);
        if (known === undefined) structure.set(parent, (known = { expireAt: slot.expireAt, segments: new Set() }));
        known.segments.add(node.segment);
        // kept as long as the longest-kept slot (0: one slot is kept for ever)
        known.expireAt = known.expireAt === 0 || slot.expireAt === 0 ? 0 : Math.max(known.expireAt, slot.expireAt);
      }
    }
    for (const group of groups.values()) {
      const w = writesOf(group.tag);
      w.keys.push(...group.keys);
      w.args.push('z', String(group.keys.length), String(group.expireAt), String(group.members.length / (1 + group.keys.length)));
      for (const value of group.members) w.args.push(value);
    }
    for (const [parent, { expireAt, segments }] of structure) {
      const w = writesOf(keys.tag(parent.root));
      w.keys.push(keys.structure(parent.path, parent.suffix));
      w.args.push('k', String(expireAt), String(segments.size));
      for (const segment of segments) w.args.push(segment);
    }
    return out;
  }
}
