// The JSON bytes a hierarchical counter's batch writes: numbers exactly as String() writes them,
// strings as JSON.stringify does, against JSON.parse on generated values.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JsonWriter, jsonBytes } from '../../src/counters/json-writer.js';

describe('JsonWriter', () => {
  it('writes numbers as String() does and strings as JSON.stringify does (property)', () => {
    const writer = new JsonWriter();
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer(), fc.maxSafeInteger(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string({ unit: 'grapheme' }))), (values) => {
        writer.reset();
        writer.char(91);
        values.forEach((v, i) => {
          if (i > 0) writer.char(44);
          if (typeof v === 'number') writer.number(v);
          else writer.raw(jsonBytes(v));
        });
        writer.char(93);
        const text = writer.take().toString('utf8');
        expect(text).toBe(JSON.stringify(values));
        expect(JSON.parse(text)).toEqual(values.map((v) => (Object.is(v, -0) ? 0 : v)));
      }),
      { numRuns: 300, seed: 8 },
    );
  });

  it('grows past its first buffer and hands out independent copies', () => {
    const writer = new JsonWriter();
    const long = jsonBytes('x'.repeat(200_000));
    writer.raw(long);
    const first = writer.take();
    writer.reset();
    writer.number(7);
    expect(first.toString()).toBe(long.toString());
    expect(writer.take().toString()).toBe('7');
  });

  it('keeps every payload taken intact while later ones fill and outgrow its chunks (property)', () => {
    const writer = new JsonWriter();
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.string({ maxLength: 3000 }), fc.nat(70_000), fc.boolean()), { maxLength: 60 }), (pieces) => {
        const taken: [Buffer, string][] = [];
        for (const [text, repeat, abandon] of pieces) {
          writer.reset();
          const bytes = jsonBytes(text.repeat(1 + (repeat % 400)));
          writer.raw(bytes);
          // a payload started and never taken is dropped by the next reset
          if (abandon) continue;
          taken.push([writer.take(), bytes.toString()]);
        }
        for (const [payload, expected] of taken) expect(payload.toString()).toBe(expected);
      }),
      { numRuns: 40, seed: 3 },
    );
  });
});
