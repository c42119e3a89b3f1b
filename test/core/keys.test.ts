import clusterKeySlot from 'cluster-key-slot';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { KeyBuilder, decodeKeyPart, encodeKeyPart, partitionOf, stableHash } from '../../src/core/keys.js';
import { clusterSeeds } from '../harness/topologies.js';
import { rawCommand } from '../../harness/resp.js';

/** Redis's own rule for the hashed part of a key, written independently of the key builder. */
function hashedPart(key: string): string {
  const open = key.indexOf('{');
  if (open < 0) return key;
  const close = key.indexOf('}', open + 1);
  if (close < 0 || close === open + 1) return key;
  return key.slice(open + 1, close);
}

const nasty = fc.constantFrom('{', '}', ':', '*', '?', '[', ']', ' ', '\0', '%', '\n', '😀', 'é', '\u{10FFFF}', '{x}', '}{', '%7B');
const userString = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.array(fc.oneof(nasty, fc.string({ maxLength: 3 })), { maxLength: 20 }).map((parts) => parts.join('')),
  fc.constant('x'.repeat(10_000)),
  fc.string({ unit: 'grapheme-ascii', minLength: 10_000, maxLength: 10_050 }),
);
const parts = fc.array(userString, { minLength: 1, maxLength: 4 });

describe('key builder', () => {
  const keys = new KeyBuilder('app');

  it('never lets two different part lists give the same key, and never moves the hash tag', () => {
    fc.assert(
      fc.property(parts, parts, parts, (tagA, tagB, rest) => {
        const a = keys.slot(...tagA).key(...rest);
        const b = keys.slot(...tagB).key(...rest);
        const sameInput = JSON.stringify(tagA) === JSON.stringify(tagB);
        expect(a === b).toBe(sameInput);
        // The tag Redis hashes is exactly the prefix and the encoded tag parts, whatever the values hold.
        expect(hashedPart(a)).toBe(['app', ...tagA.map((p) => encodeKeyPart(p))].join(':'));
        expect(hashedPart(keys.slot(...tagA).key(...tagB))).toBe(hashedPart(a));
        expect(a.startsWith('{app:')).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  it('keys inside one slot differ for different suffix parts', () => {
    fc.assert(
      fc.property(parts, parts, (x, y) => {
        const slot = keys.slot('model', 3);
        expect(slot.key(...x) === slot.key(...y)).toBe(JSON.stringify(x) === JSON.stringify(y));
        expect(clusterKeySlot(slot.key(...x))).toBe(clusterKeySlot(slot.key(...y)));
      }),
      { numRuns: 400 },
    );
  });

  it('encodes to a plain alphabet and decodes back', () => {
    fc.assert(
      fc.property(userString, (value) => {
        const encoded = encodeKeyPart(value);
        expect(encoded).toMatch(/^[A-Za-z0-9_.%-]*$/);
        expect(decodeKeyPart(encoded)).toBe(value);
      }),
      { numRuns: 1000 },
    );
  });

  it('rejects lone surrogates, negative or fractional numbers, and bad prefixes with typed errors', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 20 }), (value) => {
        if (value.isWellFormed()) expect(decodeKeyPart(encodeKeyPart(value))).toBe(value);
        else expect(() => encodeKeyPart(value)).toThrow(InvalidArgumentError);
      }),
    );
    for (const bad of [-1, 1.5, Number.NaN, 2 ** 60]) expect(() => encodeKeyPart(bad)).toThrow(InvalidArgumentError);
    expect(() => encodeKeyPart(-1n)).toThrow(InvalidArgumentError);
    for (const prefix of ['', 'a:b', '{a}', 'a b', 'x'.repeat(65), 'é']) {
      expect(() => new KeyBuilder(prefix)).toThrow(InvalidArgumentError);
    }
    try {
      new KeyBuilder('a:b');
    } catch (error) {
      expect((error as InvalidArgumentError).field).toBe('prefix');
    }
  });

  it('spreads ids evenly and stably over partitions', () => {
    const counts = new Array<number>(8).fill(0);
    for (let i = 0; i < 80_000; i++) counts[partitionOf(`user-${String(i)}`, 8)]! += 1;
    for (const count of counts) expect(Math.abs(count - 10_000)).toBeLessThan(600);
    expect(stableHash('hello')).toBe(0x4f9f2cab); // FNV-1a 32 reference value
    expect(partitionOf('anything', 1)).toBe(0);
    expect(() => partitionOf('x', 0)).toThrow(InvalidArgumentError);
  });

  it('agrees with the real cluster on the slot of every generated key', async () => {
    const seed = clusterSeeds()[0]!;
    const sample = fc.sample(parts, 200);
    for (const p of sample) {
      const key = keys.slot(...p).key('h', 'x');
      expect(Number(await rawCommand(seed.port, ['CLUSTER', 'KEYSLOT', key], seed.host))).toBe(clusterKeySlot(key));
    }
  });
});
