import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ID_EPOCH, composeId, decodeId, makeLayout } from '../../src/ids/id-layout.js';
import type { IdLayout } from '../../src/ids/id-layout.js';
import { invalidField } from '../harness/errors.js';

/** Largest millisecond a Date can hold; decoded timestamps are Dates, so generated ones stay below it. */
const MAX_DATE_MS = 8_640_000_000_000_000;
const MAX_ID = (1n << 63n) - 1n;

interface Fields {
  readonly t: number;
  readonly w: number;
  readonly s: number;
}

const layoutArb: fc.Arbitrary<IdLayout> = fc
  .record({
    epoch: fc.oneof(fc.constant(0), fc.constant(DEFAULT_ID_EPOCH), fc.bigInt({ min: 0n, max: 1n << 42n }).map(Number)),
    workerIdBits: fc.integer({ min: 1, max: 16 }),
    sequenceBits: fc.integer({ min: 1, max: 20 }),
  })
  .filter(({ workerIdBits, sequenceBits }) => workerIdBits + sequenceBits >= 10)
  .map(({ epoch, workerIdBits, sequenceBits }) => makeLayout(epoch, workerIdBits, sequenceBits));

/** The largest timestamp offset an id of this layout can carry and decode to a valid Date. */
function maxOffset(layout: IdLayout): bigint {
  const byBits = (1n << BigInt(layout.timestampBits)) - 1n;
  const byDate = BigInt(MAX_DATE_MS - layout.epoch);
  return byBits < byDate ? byBits : byDate;
}

function fieldsArb(layout: IdLayout): fc.Arbitrary<Fields> {
  return fc.record({
    t: fc
      .oneof(fc.constant(0n), fc.constant(maxOffset(layout)), fc.bigInt({ min: 0n, max: maxOffset(layout) }))
      .map((offset) => layout.epoch + Number(offset)),
    w: fc.integer({ min: 0, max: 2 ** layout.workerIdBits - 1 }),
    s: fc.integer({ min: 0, max: 2 ** layout.sequenceBits - 1 }),
  });
}

/** A layout and two field triples, the second often sharing the first's timestamp (and worker id). */
const pairArb = layoutArb.chain((layout) =>
  fc.tuple(fc.constant(layout), fieldsArb(layout), fieldsArb(layout), fc.constantFrom('any', 'sameT', 'sameTW')).map(
    ([l, a, b, mode]): [IdLayout, Fields, Fields] => {
      if (mode === 'sameT') return [l, a, { ...b, t: a.t }];
      if (mode === 'sameTW') return [l, a, { ...b, t: a.t, w: a.w }];
      return [l, a, b];
    },
  ),
);

function compareFields(a: Fields, b: Fields): number {
  if (a.t !== b.t) return Math.sign(a.t - b.t);
  if (a.w !== b.w) return Math.sign(a.w - b.w);
  return Math.sign(a.s - b.s);
}

function compareIds(a: bigint, b: bigint): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}


describe('id layout', () => {
  it('makeLayout fills in the Snowflake defaults and gives the timestamp the remaining bits of 63', () => {
    expect(makeLayout()).toEqual({ epoch: DEFAULT_ID_EPOCH, workerIdBits: 10, sequenceBits: 12, timestampBits: 41 });
    expect(makeLayout(0, 16, 20).timestampBits).toBe(27);
    expect(Object.isFrozen(makeLayout())).toBe(true);
  });

  it('makeLayout rejects bad bit counts and epochs, naming the field', () => {
    expect(invalidField(() => makeLayout(-1))).toBe('epoch');
    expect(invalidField(() => makeLayout(1.5))).toBe('epoch');
    expect(invalidField(() => makeLayout(Number.NaN))).toBe('epoch');
    expect(invalidField(() => makeLayout(undefined, 0))).toBe('workerIdBits');
    expect(invalidField(() => makeLayout(undefined, 17))).toBe('workerIdBits');
    expect(invalidField(() => makeLayout(undefined, 2.5))).toBe('workerIdBits');
    expect(invalidField(() => makeLayout(undefined, undefined, 0))).toBe('sequenceBits');
    expect(invalidField(() => makeLayout(undefined, undefined, 21))).toBe('sequenceBits');
    expect(invalidField(() => makeLayout(undefined, 4, 5))).toBe('sequenceBits');
  });

  it('decodeId(composeId(...)) gives back the fields, from a bigint or its decimal string', () => {
    fc.assert(
      fc.property(
        layoutArb.chain((layout) => fc.tuple(fc.constant(layout), fieldsArb(layout))),
        ([layout, { t, w, s }]) => {
          const id = composeId(layout, t, w, s);
          expect(id).toBeGreaterThanOrEqual(0n);
          expect(id).toBeLessThanOrEqual(MAX_ID);
          const expected = { timestamp: new Date(t), workerId: w, sequence: s };
          expect(decodeId(layout, id)).toEqual(expected);
          expect(decodeId(layout, id.toString())).toEqual(expected);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('composeId orders ids by timestamp, then worker id, then sequence', () => {
    fc.assert(
      fc.property(pairArb, ([layout, a, b]) => {
        const idA = composeId(layout, a.t, a.w, a.s);
        const idB = composeId(layout, b.t, b.w, b.s);
        expect(compareIds(idA, idB)).toBe(compareFields(a, b));
      }),
      { numRuns: 1000 },
    );
  });

  it('a later timestamp wins over any worker id and sequence', () => {
    fc.assert(
      fc.property(
        layoutArb.chain((layout) => fc.tuple(fc.constant(layout), fieldsArb(layout), fieldsArb(layout))),
        ([layout, a, b]) => {
          fc.pre(a.t !== b.t);
          const [early, late] = a.t < b.t ? [a, b] : [b, a];
          const maxW = 2 ** layout.workerIdBits - 1;
          const maxS = 2 ** layout.sequenceBits - 1;
          expect(composeId(layout, early.t, maxW, maxS)).toBeLessThan(composeId(layout, late.t, 0, 0));
          expect(composeId(layout, early.t, early.w, early.s)).toBeLessThan(composeId(layout, late.t, late.w, late.s));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('fills exactly 63 bits: the largest fields give 2^63 - 1', () => {
    const layout = makeLayout(0, 16, 20);
    const id = composeId(layout, 2 ** 27 - 1, 2 ** 16 - 1, 2 ** 20 - 1);
    expect(id).toBe(MAX_ID);
    expect(decodeId(layout, id)).toEqual({ timestamp: new Date(2 ** 27 - 1), workerId: 2 ** 16 - 1, sequence: 2 ** 20 - 1 });
    expect(decodeId(layout, 0n)).toEqual({ timestamp: new Date(0), workerId: 0, sequence: 0 });
  });

  it('decodeId rejects what is not a decimal id from 0 to 2^63 - 1', () => {
    const layout = makeLayout();
    for (const bad of ['abc', '-1', '1e5', '', ' 12', '12 ', '0x10', '1.0', '+5', (1n << 63n).toString(), 1n << 63n, -1n]) {
      expect(invalidField(() => decodeId(layout, bad))).toBe('id');
    }
    expect(decodeId(layout, MAX_ID.toString()).sequence).toBe(2 ** 12 - 1);
  });
});
