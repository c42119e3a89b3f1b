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
