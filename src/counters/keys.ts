import { globEscape } from '../core/keys.js';
import type { KeyBuilder, SlotKeys } from '../core/keys.js';
import type { SlotUnit } from './calendar.js';

/** The slot of a counter group `{prefix:uc:group}`: its counters' slot keys, its universes and its expression results. */
export function groupSlot(keys: KeyBuilder, group: string): SlotKeys {
  return keys.slot('uc', group);
}

/** The key of one time slot of a counter: a bitmap (`b`) or, approximate, a HyperLogLog (`h`). */
export function slotKey(slot: SlotKeys, counter: string, unit: SlotUnit, startMs: number, approximate: boolean): string {
  return slot.key(approximate ? 'h' : 'b', counter, unit, Math.floor(startMs / 1000));
}

/** The bitmap of every id any counter of the group has counted in one id space (the universe of `not`). */
export function universeKey(slot: SlotKeys, space: string): string {
  return slot.key('u', space);
}

/** A scratch key of the group (a script's intermediate result; it always carries a TTL or is deleted by the script). */
export function scratchKey(slot: SlotKeys, name: string, n: number): string {
  return slot.key('t', name, n);
}

/** The cached result of an expression, named by the digest of its program and operands. */
export function resultKey(slot: SlotKeys, digest: string): string {
  return slot.key('q', digest);
}

/** Keys of an id map `{prefix:ucm:name}`: its next number, its forward shards and reverse chunks (built in Lua from the tag). */
export interface IdMapKeys {
  /** The map's slot. */
  readonly slot: SlotKeys;
  /** String: the next number to hand out. */
  readonly next: string;
  /** Hash shard `f:<n>`: id -> number. */
  forward(shard: number): string;
  /** Hash chunk `r:<n>`: number % 128 -> id, for numbers n * 128 .. n * 128 + 127. */
  reverse(chunk: number): string;
}

/** Builds the {@link IdMapKeys} of an id map. */
export function idMapKeys(keys: KeyBuilder, name: string): IdMapKeys {
  const slot = keys.slot('ucm', name);
  return { slot, next: slot.key('n'), forward: (shard) => slot.key('f', shard), reverse: (chunk) => slot.key('r', chunk) };
}

/** Short codes of slot units in key names. */
const UNIT_CODES: Readonly<Record<SlotUnit, string>> = { minute: 'i', hour: 'h', day: 'd', week: 'w', month: 'm', year: 'y' };

/**
 * Keys of a hierarchical counter. Each root's subtree has its own hash tag `{prefix:hc:name:root}`
 * (rather than one tag per counter, which would hold a counter to one cluster node, or one per time
 * slot, which would split a batch over as many script calls as it has minutes): a breakdown, a
 * series and a subtree's writes stay in one slot, and the roots spread over the cluster;
 * the top slot `{prefix:hc:name}` holds the grand total and the roots. A node's values live in its
 * parent's tag, as "sum count[ min max]" under the node's field (see PathNode.field): in ranked
 * resolutions, per tag and slot one hash (`v`) and per parent and slot a sorted set (`r`) ranking
 * its children by sum; in unranked ones (fine slots, written once and rarely read whole), per tag
 * and slot one string (`b`), a JSON array of fields and values. `u` keys are a node's HyperLogLog per slot, `k` keys the set of a node's children
 * ever seen.
 */
export class HierarchyKeys {
  /** The top slot's tag. */
  readonly top: string;
  readonly #keys: KeyBuilder;
  readonly #name: string;
  readonly #tags = new Map<string, string>();

  constructor(keys: KeyBuilder, name: string) {
    this.#keys = keys;
    this.#name = name;
    this.top = keys.slot('hc', name).tag;
  }

  /** The tag of a root's subtree (null: the top slot). */
  tag(root: string | null): string {
    if (root === null) return this.top;
    let tag = this.#tags.get(root);
    if (tag === undefined) {
      if (this.#tags.size > 100_000) this.#tags.clear();
      tag = this.#keys.slot('hc', this.#name, root).tag;
      this.#tags.set(root, tag);
    }
    return tag;
  }

  /** The values hash of a tag in a slot. */
  values(tag: string, unit: SlotUnit, startMs: number): string {
    return `${tag}:v:${UNIT_CODES[unit]}:${String(Math.floor(startMs / 1000))}`;
  }

  /** The values of a tag in a slot of an unranked resolution: one JSON array [field, value, field, value, ...]. */
  blob(tag: string, unit: SlotUnit, startMs: number): string {
    return `${tag}:b:${UNIT_CODES[unit]}:${String(Math.floor(startMs / 1000))}`;
  }

  /** The ranking of a node's children by sum in a slot (in the tag of its children). */
  ranking(node: HierarchyNode, unit: SlotUnit, startMs: number): string {
    return `${node.tag}:r:${UNIT_CODES[unit]}:${String(Math.floor(startMs / 1000))}${node.suffix}`;
  }

  /** A node's HyperLogLog of ids in a slot (in the tag of its children). */
  unique(node: HierarchyNode, unit: SlotUnit, startMs: number): string {
    return `${node.tag}:u:${UNIT_CODES[unit]}:${String(Math.floor(startMs / 1000))}${node.suffix}`;
  }

  /** The set of a node's children ever seen (kept while any of their slots is). */
  structure(node: HierarchyNode): string {
    return `${node.tag}:k${node.suffix}`;
  }

  /** Globs (SCAN MATCH) of every key of the counter. */
  patterns(): string[] {
    const top = this.top.slice(0, -1);
    return [`${globEscape(top)}}*`, `${globEscape(top)}:*`];
  }
}

/** What keys need of a node: the tag of its subtree and its encoded path below the root. */
export interface HierarchyNode {
  readonly tag: string;
  readonly suffix: string;
}
