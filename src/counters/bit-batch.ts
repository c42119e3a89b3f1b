/** One key's share of a batch, as the add script takes it: kind, expire-at, byte offset, payload. */
export type AddTarget = readonly [key: string, kind: 'r' | 'f' | 'h' | 'o', expireAt: number, offset: number, payload: string | Buffer];

/** A key a batch sets bits in: `index` is unique per key within a counter (a batch files bits by it), `group` says which keys together cover every event (one per slot unit). */
export interface BitTarget {
  readonly index: number;
  readonly key: string;
  readonly expireAt: number;
  readonly group: number;
}

/** Bits per key of a batch, turned into add-script targets. */
export class BitBatch {
  readonly #lists: (number[] | undefined)[] = [];
  readonly #targets: BitTarget[] = [];
  readonly #ids = new Map<string, { expireAt: number; ids: Set<string> }>();
  readonly #unions = new Map<string, Set<string>>();

  /** Makes key (never expiring) the union of itself and the given keys of this batch (the targets sent before it). */
  union(key: string, of: Iterable<string>): void {
    let set = this.#unions.get(key);
    if (set === undefined) this.#unions.set(key, (set = new Set()));
    for (const k of of) set.add(k);
  }

  /** Sets bit n of the target's key. */
  bit(target: BitTarget, n: number): void {
    let list = this.#lists[target.index];
    if (list === undefined) {
      this.#lists[target.index] = list = [];
      this.#targets.push(target);
    }
    list.push(n);
  }

  /** The keys of the group with the fewest keys (each group's keys hold every event of the batch). */
  keysOfSmallestGroup(): string[] {
    const groups = new Map<number, string[]>();
    for (const { key, group } of this.#targets) {
      let keys = groups.get(group);
      if (keys === undefined) groups.set(group, (keys = []));
      keys.push(key);
    }
    let best: string[] = [];
    for (const keys of groups.values()) if (best.length === 0 || keys.length < best.length) best = keys;
    return best;
  }

  /** Adds id to HyperLogLog key (expiring at expireAt ms, 0 for never). */
  id(key: string, id: string, expireAt: number): void {
    let entry = this.#ids.get(key);
    if (entry === undefined) {
      entry = { expireAt, ids: new Set() };
      this.#ids.set(key, entry);
    }
    entry.ids.add(id);
  }

  /**
   * The targets: a key with bits spread over more bytes than about 16 per bit gets them one by one
   * (BITFIELD), a denser one the byte range that holds them (merged with BITOP OR on the server).
   */
  targets(): AddTarget[] {
    const out: AddTarget[] = [];
    for (const { index, key, expireAt } of this.#targets) {
      const bits = this.#lists[index] as number[];
      let lo = Number.POSITIVE_INFINITY;
      let hi = 0;
      for (const n of bits) {
        if (n < lo) lo = n;
        if (n > hi) hi = n;
      }
      const first = Math.floor(lo / 8);
      const bytes = Math.floor(hi / 8) - first + 1;
      if (bytes > bits.length * 16) {
        out.push([key, 'f', expireAt, 0, JSON.stringify(bits)]);
        continue;
      }
      const buffer = Buffer.alloc(bytes);
      for (const n of bits) {
        const byte = Math.floor(n / 8) - first;
        buffer[byte] = (buffer[byte] as number) | (0x80 >> n % 8);
      }
      out.push([key, 'r', expireAt, first, buffer]);
    }
    for (const [key, { expireAt, ids }] of this.#ids) out.push([key, 'h', expireAt, 0, JSON.stringify([...ids])]);
    const position = new Map(out.map((t, i) => [t[0], i + 1]));
    for (const [key, of] of this.#unions) out.push([key, 'o', 0, 0, JSON.stringify([...of].map((k) => position.get(k)).filter((n) => n !== undefined))]);
    return out;
  }
}

/** The numbers whose bits are set in a Redis bitmap (bit 0 is the high bit of byte 0), ascending. */
export function bitsOf(bitmap: Buffer): number[] {
  const out: number[] = [];
  for (let i = 0; i < bitmap.length; i++) {
    const byte = bitmap[i] as number;
    if (byte === 0) continue;
    for (let b = 0; b < 8; b++) if (byte & (0x80 >> b)) out.push(i * 8 + b);
  }
  return out;
}

/** The number of set bits of a bitmap. */
export function popcount(bitmap: Buffer): number {
  let n = 0;
  for (const byte of bitmap) {
    let v = byte;
    while (v) {
      v &= v - 1;
      n++;
    }
  }
  return n;
}

/** Byte-wise combination of bitmaps (missing bytes are zeros). */
export function combine(op: 'and' | 'or' | 'xor', maps: readonly Buffer[]): Buffer {
  const length = op === 'and' ? Math.min(...maps.map((m) => m.length)) : Math.max(...maps.map((m) => m.length));
  const out = Buffer.alloc(length);
  maps.forEach((m, i) => {
    for (let b = 0; b < length; b++) {
      const v = b < m.length ? (m[b] as number) : 0;
      out[b] = i === 0 ? v : op === 'and' ? (out[b] as number) & v : op === 'or' ? (out[b] as number) | v : (out[b] as number) ^ v;
    }
  });
  return out;
}
