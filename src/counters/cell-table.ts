import type { PathNode } from './hierarchy-path.js';

/** The bucket of (node id, slot): the top bits of a multiplicative hash (the low bits of a product mix poorly). */
function bucketOf(id: number, slot: number, shift: number): number {
  return Math.imul(id ^ Math.imul(slot, 0x85ebca6b), 0x9e3779b1) >>> shift;
}

/**
 * Sums, counts, mins, maxs (and ids) of cells (a node in a slot), in typed arrays behind an
 * open-addressing index on (slot, node id): a batch merges millions of increments into cells, and
 * a Map per lookup made that the costliest part of adding.
 */
export class CellTable {
  /** The node of each cell. */
  readonly node: PathNode[] = [];
  /** The ids of each cell (unique counting only; empty otherwise). */
  readonly ids: Set<string>[] = [];
  #slot = new Int32Array(1024);
  #nodeId = new Int32Array(1024);
  #sum = new Float64Array(1024);
  #count = new Float64Array(1024);
  #min = new Float64Array(1024);
  #max = new Float64Array(1024);
  // index: per bucket, cell number + 1 (0: empty), node id, slot (side by side: one memory access per probe)
  #buckets = new Int32Array(2048 * 3);
  #shift = 32 - 11;
  #size = 0;

  constructor(readonly unique: boolean) {}

  /** Empties the table, keeping its memory (a counter reuses its tables batch after batch). */
  reset(): void {
    this.#buckets.fill(0);
    this.#size = 0;
    // the node array keeps its length (growing it again batch after batch cost more than the stale references)
    this.ids.length = 0;
  }

  /** Cells held. */
  get size(): number {
    return this.#size;
  }

  slot(i: number): number {
    return this.#slot[i] as number;
  }

  sum(i: number): number {
    return this.#sum[i] as number;
  }

  count(i: number): number {
    return this.#count[i] as number;
  }

  min(i: number): number {
    return this.#min[i] as number;
  }

  max(i: number): number {
    return this.#max[i] as number;
  }

  /** The cell of (node, slot), made empty when new (the table grows by one then). */
  at(node: PathNode, slot: number): number {
    const buckets = this.#buckets;
    const mask = (1 << (32 - this.#shift)) - 1;
    const id = node.id;
    let b = bucketOf(id, slot, this.#shift);
    for (;;) {
      const held = buckets[b * 3] as number;
      if (held === 0) break;
      if (buckets[b * 3 + 1] === id && buckets[b * 3 + 2] === slot) return held - 1;
      b = (b + 1) & mask;
    }
    const i = this.#size++;
    if (i === this.#slot.length) this.#grow();
    this.node[i] = node;
    if (this.unique) this.ids[i] = new Set();
    this.#slot[i] = slot;
    this.#nodeId[i] = node.id;
    this.#sum[i] = 0;
    this.#count[i] = 0;
    this.#min[i] = Number.POSITIVE_INFINITY;
    this.#max[i] = Number.NEGATIVE_INFINITY;
    if (this.#size * 2 > mask + 1) this.#rehash();
    else {
      buckets[b * 3] = i + 1;
      buckets[b * 3 + 1] = id;
      buckets[b * 3 + 2] = slot;
    }
    return i;
  }

  /** Adds one increment to cell i. */
  add(i: number, by: number, id: string | null): void {
    this.#sum[i] = (this.#sum[i] as number) + by;
    this.#count[i] = (this.#count[i] as number) + 1;
    if (by < (this.#min[i] as number)) this.#min[i] = by;
    if (by > (this.#max[i] as number)) this.#max[i] = by;
    if (id !== null) (this.ids[i] as Set<string>).add(id);
  }

  /** Adds cell j of `from` into cell i. */
  merge(i: number, from: CellTable, j: number): void {
    this.#sum[i] = (this.#sum[i] as number) + from.sum(j);
    this.#count[i] = (this.#count[i] as number) + from.count(j);
    if (from.min(j) < (this.#min[i] as number)) this.#min[i] = from.min(j);
    if (from.max(j) > (this.#max[i] as number)) this.#max[i] = from.max(j);
    if (this.unique) {
      const into = this.ids[i] as Set<string>;
      for (const id of from.ids[j] as Set<string>) into.add(id);
    }
  }

  #grow(): void {
    const n = this.#slot.length * 2;
    const grown = <T extends Int32Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.#slot = grown(this.#slot, (k) => new Int32Array(k));
    this.#nodeId = grown(this.#nodeId, (k) => new Int32Array(k));
    this.#sum = grown(this.#sum, (k) => new Float64Array(k));
    this.#count = grown(this.#count, (k) => new Float64Array(k));
    this.#min = grown(this.#min, (k) => new Float64Array(k));
    this.#max = grown(this.#max, (k) => new Float64Array(k));
  }

  #rehash(): void {
    const buckets = new Int32Array(this.#buckets.length * 2);
    this.#shift--;
    const mask = (1 << (32 - this.#shift)) - 1;
    for (let i = 0; i < this.#size; i++) {
      const [id, slot] = [this.#nodeId[i] as number, this.#slot[i] as number];
      let b = bucketOf(id, slot, this.#shift);
      while (buckets[b * 3] !== 0) b = (b + 1) & mask;
      buckets[b * 3] = i + 1;
      buckets[b * 3 + 1] = id;
      buckets[b * 3 + 2] = slot;
    }
    this.#buckets = buckets;
  }
}
