import { describe, it, expect, expectTypeOf } from 'vitest';
import fc from 'fast-check';
import {
  bigintCodec,
  booleanCodec,
  bufferCodec,
  codecs,
  dateCodec,
  integerCodec,
  jsonCodec,
  numberCodec,
  stringCodec,
} from '../../src/core/codecs.js';
import type { Codec, CodecValue, JsonValue } from '../../src/core/codecs.js';
import { CodecError, InvalidArgumentError } from '../../src/core/errors.js';
import { caught } from '../harness/errors.js';

const RUNS = { numRuns: 1000 };


function expectEncodeError(codec: Codec<unknown>, value: unknown, reason: RegExp): void {
  const error = caught(() => codec.encode(value, 'profile.field'));
  expect(error).toBeInstanceOf(InvalidArgumentError);
  const invalid = error as InvalidArgumentError;
  expect(invalid.field).toBe('profile.field');
  expect(invalid.reason).toMatch(reason);
  expect(invalid.message).toContain(invalid.reason);
}

function expectDecodeError(codec: Codec<unknown>, raw: string, reason: RegExp): void {
  const error = caught(() => codec.decode(raw, 'profile.field'));
  expect(error).toBeInstanceOf(CodecError);
  const failure = error as CodecError;
  expect(failure.field).toBe('profile.field');
  expect(failure.code).toBe('E_CODEC');
  expect(failure.message).toMatch(reason);
}

/** What a JSON round trip should give back: -0 becomes 0 and every object gets Object.prototype. */
function jsonNormal(value: unknown): unknown {
  if (typeof value === 'number') return value + 0;
  if (Array.isArray(value)) return value.map(jsonNormal);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, jsonNormal(item)]));
  }
  return value;
}

const all: readonly Codec<unknown>[] = Object.values(codecs);

describe('codecs', () => {
  it('exports every codec by kind, frozen', () => {
    expect(Object.keys(codecs)).toEqual(['string', 'number', 'integer', 'boolean', 'date', 'bigint', 'json', 'buffer']);
    for (const [kind, codec] of Object.entries(codecs)) {
      expect(codec.kind).toBe(kind);
      expect(Object.isFrozen(codec)).toBe(true);
    }
    expect(codecs.number).toBe(numberCodec);
    expect(Object.isFrozen(codecs)).toBe(true);
  });

  it('infers value types with CodecValue', () => {
    expectTypeOf<CodecValue<typeof stringCodec>>().toEqualTypeOf<string>();
    expectTypeOf<CodecValue<typeof numberCodec>>().toEqualTypeOf<number>();
    expectTypeOf<CodecValue<typeof booleanCodec>>().toEqualTypeOf<boolean>();
    expectTypeOf<CodecValue<typeof dateCodec>>().toEqualTypeOf<Date>();
    expectTypeOf<CodecValue<typeof bigintCodec>>().toEqualTypeOf<bigint>();
    expectTypeOf<CodecValue<typeof jsonCodec>>().toEqualTypeOf<JsonValue>();
    expectTypeOf<CodecValue<typeof bufferCodec>>().toEqualTypeOf<Buffer>();
    expectTypeOf<CodecValue<string>>().toEqualTypeOf<never>();
  });

  it('uses the codec kind as the default field name', () => {
    for (const codec of all) {
      const encodeError = caught(() => codec.encode(Symbol('x')));
      expect(encodeError).toBeInstanceOf(InvalidArgumentError);
      expect((encodeError as InvalidArgumentError).field).toBe(codec.kind);
      const decodeError = caught(() => codec.decode('\u0000not valid\uD800'));
      expect(decodeError).toBeInstanceOf(CodecError);
      expect((decodeError as CodecError).field).toBe(codec.kind);
    }
  });

  it('rejects stored values that are not strings with CodecError', () => {
    for (const codec of all) {
      for (const raw of [null, undefined, 1, Buffer.from('1')]) {
        expectDecodeError(codec, raw as unknown as string, /expected stored text/);
      }
    }
  });

  it('either decodes or throws CodecError for random text, and what decodes encodes again', () => {
    const text = fc.oneof(
      fc.string(),
      fc.string({ unit: 'binary' }),
      fc.string({ unit: fc.constantFrom(...'0123456789-+.eE '.split('')), maxLength: 25 }),
      fc.string({ unit: fc.constantFrom(...'AQgw+/=Zz9'.split('')), maxLength: 12 }),
      fc.string({ unit: fc.constantFrom(...'{}[]":,0-1 tnulfase'.split('')), maxLength: 20 }),
    );
    fc.assert(
      fc.property(fc.constantFrom(...all), text, (codec, raw) => {
        let decoded: unknown;
        try {
          decoded = codec.decode(raw, 'f');
        } catch (error) {
          expect(error).toBeInstanceOf(CodecError);
          expect((error as CodecError).field).toBe('f');
          return;
        }
        const again = codec.encode(decoded, 'f');
        expect(codec.decode(again)).toEqual(decoded);
      }),
      { numRuns: 4000 },
    );
  });
});

describe('jsonCodec and -0', () => {
  it('reads -0 as 0, as JSON.stringify writes it, so decoded values encode back to themselves', () => {
    for (const raw of ['-0', '[-0,1]', '{"a":-0.0}', '-0e5']) {
      const decoded = codecs.json.decode(raw);
      expect(JSON.stringify(decoded)).toBe(JSON.stringify(JSON.parse(raw)));
      expect(codecs.json.decode(codecs.json.encode(decoded))).toStrictEqual(decoded);
    }
    expect(Object.is(codecs.json.decode('-0'), 0)).toBe(true);
    expect(codecs.json.decode('"-0"')).toBe('-0');
  });
});

describe('stringCodec', () => {
  it('round-trips well-formed strings unchanged', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' }), fc.string()), (value) => {
        const stored = stringCodec.encode(value);
        expect(stored).toBe(value);
        expect(stringCodec.decode(stored)).toBe(value);
      }),
      RUNS,
    );
  });

  it('rejects exactly the strings that are not well-formed', () => {
    const surrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code));
    const mixed = fc.array(fc.oneof(fc.string({ unit: 'binary', maxLength: 3 }), surrogate)).map((bits) => bits.join(''));
    fc.assert(
      fc.property(mixed, (value) => {
        if (value.isWellFormed()) {
          expect(stringCodec.decode(stringCodec.encode(value))).toBe(value);
        } else {
          expectEncodeError(stringCodec, value, /lone UTF-16 surrogate/);
          expectDecodeError(stringCodec, value, /lone UTF-16 surrogate/);
        }
      }),
      RUNS,
    );
  });

  it.each<[unknown, RegExp]>([
    [1, /expected a string, got number 1/],
    [null, /got null/],
    [undefined, /got undefined/],
    [new String('x'), /got a String/],
    ['\uD800', /lone UTF-16 surrogate/],
    ['a\uDC00b', /lone UTF-16 surrogate/],
  ])('rejects %s', (value, reason) => {
    expectEncodeError(stringCodec, value, reason);
  });
});

describe('numberCodec', () => {
  it('round-trips every finite double exactly, including -0', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (value) => {
        const stored = numberCodec.encode(value);
        expect(Object.is(numberCodec.decode(stored), value)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it.each<[number, string]>([
    [0, '0'],
    [-0, '-0'],
    [5e-324, '5e-324'],
    [-5e-324, '-5e-324'],
    [Number.MAX_VALUE, '1.7976931348623157e+308'],
    [-Number.MAX_VALUE, '-1.7976931348623157e+308'],
    [0.1 + 0.2, '0.30000000000000004'],
    [1e21, '1e+21'],
    [Number.MAX_SAFE_INTEGER + 2, '9007199254740992'],
  ])('stores %d as %s and reads it back', (value, stored) => {
    expect(numberCodec.encode(value)).toBe(stored);
    expect(Object.is(numberCodec.decode(stored), value)).toBe(true);
  });

  it.each<[string, number]>([
    ['1.0', 1],
    ['1e3', 1000],
    ['.5', 0.5],
    ['5.', 5],
    ['-1E-2', -0.01],
    ['00012', 12],
  ])('reads non-canonical decimal text %j', (raw, value) => {
    expect(numberCodec.decode(raw)).toBe(value);
  });

  it.each<[unknown, RegExp]>([
    [Number.NaN, /finite number, got NaN/],
    [Number.POSITIVE_INFINITY, /finite number, got Infinity/],
    [Number.NEGATIVE_INFINITY, /got -Infinity/],
    ['1', /expected a number, got string/],
    [1n, /got bigint/],
    [new Number(1), /got a Number/],
  ])('rejects %s', (value, reason) => {
    expectEncodeError(numberCodec, value, reason);
  });

  it.each(['', ' 1', '1 ', '+1', '0x10', '0b1', '1_000', 'Infinity', 'inf', 'NaN', '1e400', '-1e400', '--1', '1e', 'e1', '.', '-'])(
    'refuses to decode %j',
    (raw) => {
      expectDecodeError(numberCodec, raw, /is not a finite decimal number/);
    },
  );
});

describe('integerCodec', () => {
  it('round-trips every safe integer', () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), (value) => {
        const stored = integerCodec.encode(value);
        expect(stored).toBe(String(value));
        expect(integerCodec.decode(stored)).toBe(value);
      }),
      RUNS,
    );
  });

  it('stores -0 as 0', () => {
    expect(integerCodec.encode(-0)).toBe('0');
  });

  it.each<[unknown, RegExp]>([
    [1.5, /safe integer, got 1.5/],
    [2 ** 53, /safe integer, got 9007199254740992/],
    [-(2 ** 53), /safe integer/],
    [Number.NaN, /safe integer, got NaN/],
    [Number.POSITIVE_INFINITY, /safe integer/],
    ['1', /expected a number, got string/],
    [1n, /got bigint/],
  ])('rejects %s', (value, reason) => {
    expectEncodeError(integerCodec, value, reason);
  });

  it.each(['', '01', '-0', '+1', '1.0', '1e3', ' 1', '0x1', '9007199254740992', '-9007199254740992', 'abc'])(
    'refuses to decode %j',
    (raw) => {
      expectDecodeError(integerCodec, raw, /is not a safe integer/);
    },
  );
});

describe('booleanCodec', () => {
  it('stores true as 1 and false as 0', () => {
    expect(booleanCodec.encode(true)).toBe('1');
    expect(booleanCodec.encode(false)).toBe('0');
    fc.assert(
      fc.property(fc.boolean(), (value) => {
        expect(booleanCodec.decode(booleanCodec.encode(value))).toBe(value);
      }),
      { numRuns: 50 },
    );
  });

  it.each<[unknown, RegExp]>([
    [1, /expected a boolean, got number 1/],
    ['true', /got string/],
    [null, /got null/],
  ])('rejects %s', (value, reason) => {
    expectEncodeError(booleanCodec, value, reason);
  });

  it.each(['', 'true', 'false', '2', ' 1', '01', 'yes'])('refuses to decode %j', (raw) => {
    expectDecodeError(booleanCodec, raw, /is not "1" or "0"/);
  });
});

describe('dateCodec', () => {
  it('round-trips every valid date as epoch milliseconds', () => {
    fc.assert(
      fc.property(fc.date({ noInvalidDate: true }), (value) => {
        const stored = dateCodec.encode(value);
        expect(Number(stored)).toBe(value.getTime());
        const decoded = dateCodec.decode(stored);
        expect(decoded).toBeInstanceOf(Date);
        expect(decoded.getTime()).toBe(value.getTime());
      }),
      RUNS,
    );
  });

  it('stores text whose numeric order is the time order', () => {
    fc.assert(
      fc.property(fc.date({ noInvalidDate: true }), fc.date({ noInvalidDate: true }), (a, b) => {
        const order = Math.sign(Number(dateCodec.encode(a)) - Number(dateCodec.encode(b)));
        expect(order).toBe(Math.sign(a.getTime() - b.getTime()));
      }),
      RUNS,
    );
  });

  it('handles the extremes of the Date range', () => {
    expect(dateCodec.encode(new Date(8.64e15))).toBe('8640000000000000');
    expect(dateCodec.decode('-8640000000000000').getTime()).toBe(-8.64e15);
    expect(dateCodec.decode('0').toISOString()).toBe('1970-01-01T00:00:00.000Z');
  });

  it.each<[unknown, RegExp]>([
    [new Date(Number.NaN), /Invalid Date/],
    [0, /expected a Date, got number 0/],
    ['2024-01-01', /expected a Date, got string/],
    [{ getTime: () => 0 }, /expected a Date, got an object/],
  ])('rejects %s', (value, reason) => {
    expectEncodeError(dateCodec, value, reason);
  });

  it.each(['', 'abc', '1.5', '01', '-0', '1e3', '8640000000000001', '-8640000000000001', '2024-01-01T00:00:00Z'])(
    'refuses to decode %j',
    (raw) => {
      expectDecodeError(dateCodec, raw, /is not epoch milliseconds/);
    },
  );
});

describe('bigintCodec', () => {
  it('round-trips bigints of any size and sign', () => {
    const big = 2n ** 1024n;
    fc.assert(
      fc.property(fc.oneof(fc.bigInt(), fc.bigInt({ min: -big, max: big })), (value) => {
        const stored = bigintCodec.encode(value);
        expect(stored).toBe(value.toString());
        expect(bigintCodec.decode(stored)).toBe(value);
      }),
      RUNS,
    );
  });

  it.each<[unknown, RegExp]>([
    [1, /expected a bigint, got number 1/],
    ['1', /got string/],
    [Object(1n) as unknown, /got a BigInt/],
  ])('rejects %s', (value, reason) => {
    expectEncodeError(bigintCodec, value, reason);
  });

  it.each(['', '01', '-0', '+1', '1.0', '1n', '0x1', ' 1', '1e3', '-'])('refuses to decode %j', (raw) => {
    expectDecodeError(bigintCodec, raw, /is not an integer in canonical decimal form/);
  });
});

describe('jsonCodec', () => {
  it('round-trips JSON values (-0 comes back as 0)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.jsonValue({ noUnicodeString: false })), (value) => {
        // fast-check types object members as optional; JsonValue (rightly) has no undefined
        const stored = jsonCodec.encode(value as JsonValue);
        expect(stored).toBe(JSON.stringify(value));
        expect(jsonCodec.decode(stored)).toStrictEqual(jsonNormal(value));
      }),
      RUNS,
    );
  });

  it('either rejects with InvalidArgumentError or round-trips for arbitrary JavaScript values', () => {
    const anything = fc.anything({
      withBigInt: true,
      withBoxedValues: true,
      withDate: true,
      withMap: true,
      withSet: true,
      withNullPrototype: true,
      withObjectString: true,
      withSparseArray: true,
      withTypedArray: true,
    });
    fc.assert(
      fc.property(anything, (value) => {
        let stored: string;
        try {
          stored = jsonCodec.encode(value as JsonValue, 'doc');
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidArgumentError);
          expect((error as InvalidArgumentError).field).toBe('doc');
          return;
        }
        expect(jsonCodec.decode(stored)).toStrictEqual(jsonNormal(value));
      }),
      { numRuns: 2000 },
    );
  });

  it('accepts shared (acyclic) references, null-prototype objects, lone surrogates and __proto__ keys', () => {
    const shared = { x: 1 };
    expect(jsonCodec.decode(jsonCodec.encode({ a: shared, b: [shared, shared] }))).toEqual({
      a: { x: 1 },
      b: [{ x: 1 }, { x: 1 }],
    });
    const bare = Object.assign(Object.create(null) as Record<string, JsonValue>, { k: 'v' });
    expect(jsonCodec.encode(bare)).toBe('{"k":"v"}');
    expect(jsonCodec.decode(jsonCodec.encode(['\uD800']))).toEqual(['\uD800']);
    const proto = JSON.parse('{"__proto__":{"polluted":true}}') as JsonValue;
    const decoded = jsonCodec.decode(jsonCodec.encode(proto)) as Record<string, unknown>;
    expect(Object.keys(decoded)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  const cyclicObject: Record<string, unknown> = { a: 1 };
  cyclicObject.self = { back: cyclicObject };
  const cyclicArray: unknown[] = [1];
  cyclicArray.push(cyclicArray);
  let deep: unknown = 0;
  for (let i = 0; i < 1500; i += 1) deep = [deep];
  class Point {
    x = 1;
  }

  it.each<[string, unknown, RegExp]>([
    ['undefined', undefined, /undefined is not JSON/],
    ['a function', () => 1, /function is not JSON/],
    ['a symbol', Symbol('s'), /symbol is not JSON/],
    ['a bigint', 1n, /bigint is not JSON/],
    ['NaN', Number.NaN, /NaN is not a finite number/],
    ['Infinity', Number.POSITIVE_INFINITY, /Infinity is not a finite number/],
    ['undefined in an object', { a: undefined }, /undefined is not JSON at \.a/],
    ['undefined in an array', [1, undefined], /undefined is not JSON at \[1\]/],
    ['a nested bigint', { a: [{ b: 2n }] }, /bigint is not JSON at \.a\[0\]\.b/],
    ['a nested function', { f() {} }, /function is not JSON at \.f/],
    ['a nested -Infinity', [Number.NEGATIVE_INFINITY], /-Infinity is not a finite number at \[0\]/],
    ['a cyclic object', cyclicObject, /cyclic reference at \.self\.back/],
    ['a cyclic array', cyclicArray, /cyclic reference at \[1\]/],
    ['a Map', new Map([[1, 2]]), /a Map is not a plain object/],
    ['a Set', new Set([1]), /a Set is not a plain object/],
    ['a Date', new Date(0), /a Date is not a plain object/],
    ['a nested Date', { at: new Date(0) }, /a Date is not a plain object at \.at/],
    ['a class instance', new Point(), /a Point is not a plain object/],
    ['a Buffer', Buffer.from('x'), /a Buffer is not a plain object/],
    ['a boxed string', new String('x'), /a String is not a plain object/],
    ['a RegExp', /x/, /a RegExp is not a plain object/],
    ['a sparse array', [1, , 3], /hole at index 1/], // eslint-disable-line no-sparse-arrays
    ['a symbol key', { [Symbol('k')]: 1 }, /symbol-keyed property/],
    ['very deep nesting', deep, /nested deeper than 1000 levels/],
  ])('rejects %s', (_name, value, reason) => {
    expectEncodeError(jsonCodec, value, reason);
  });

  it('explains what JSON can hold', () => {
    expectEncodeError(jsonCodec, new Map(), /JSON holds only plain objects, arrays, strings, finite numbers, booleans and null/);
  });

  it.each(['', '{', 'undefined', "{'a':1}", 'NaN', '[1,]', '01', '{"a":1}x', '\uD800'])('refuses to decode %j', (raw) => {
    expectDecodeError(jsonCodec, raw, /is not valid JSON/);
  });

  it.each(['1e400', '[1, -1e400]', '{"a":{"b":[2e308]}}'])('refuses to decode %j, which overflows to Infinity', (raw) => {
    expectDecodeError(jsonCodec, raw, /holds a number too large for a double/);
  });

  it('keeps the parse error as the cause', () => {
    const error = caught(() => jsonCodec.decode('{')) as CodecError;
    expect(error.cause).toBeInstanceOf(SyntaxError);
  });
});

describe('bufferCodec', () => {
  it('round-trips arbitrary bytes through base64', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const value = Buffer.from(bytes);
        const stored = bufferCodec.encode(value);
        expect(stored).toMatch(/^[A-Za-z0-9+/]*={0,2}$/);
        expect(stored.length % 4).toBe(0);
        const decoded = bufferCodec.decode(stored);
        expect(Buffer.isBuffer(decoded)).toBe(true);
        expect(decoded.equals(value)).toBe(true);
      }),
      RUNS,
    );
  });

  it('encodes only the viewed bytes of a Uint8Array', () => {
    const whole = Uint8Array.from([1, 2, 3, 4, 5]);
    const view = whole.subarray(1, 3);
    expect(bufferCodec.encode(view as Buffer)).toBe(Buffer.from([2, 3]).toString('base64'));
    expect(bufferCodec.encode(Buffer.alloc(0))).toBe('');
    expect(bufferCodec.decode('').length).toBe(0);
  });

  it.each<[unknown, RegExp]>([
    ['aGk=', /expected a Buffer, got string/],
    [[1, 2], /got an array/],
    [new ArrayBuffer(2), /got an ArrayBuffer/],
    [null, /got null/],
  ])('rejects %s', (value, reason) => {
    expectEncodeError(bufferCodec, value, reason);
  });

  it.each(['QR==', 'QQ', 'QQ=', 'QQ==\n', ' QQ==', 'Q', '====', 'QQ==QQ==', 'a b=', '-_8=', 'YWJj\r\n', 'YW=j'])(
    'refuses to decode non-canonical base64 %j',
    (raw) => {
      expectDecodeError(bufferCodec, raw, /is not canonical base64/);
    },
  );
});
