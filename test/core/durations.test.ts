import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { formatDuration, parseDuration, parseOptionalDuration } from '../../src/core/durations.js';
import type { Duration } from '../../src/core/durations.js';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { caught } from '../harness/errors.js';

/** Unit sizes written out independently of the implementation, largest first. */
const UNIT_MS: readonly (readonly [string, number])[] = [
  ['w', 7 * 24 * 60 * 60 * 1000],
  ['d', 24 * 60 * 60 * 1000],
  ['h', 60 * 60 * 1000],
  ['m', 60 * 1000],
  ['s', 1000],
  ['ms', 1],
];


function expectInvalid(run: () => unknown, field: string, reason: string | RegExp): void {
  const error = caught(run);
  expect(error).toBeInstanceOf(InvalidArgumentError);
  const invalid = error as InvalidArgumentError;
  expect(invalid.field).toBe(field);
  expect(invalid.code).toBe('E_INVALID_ARGUMENT');
  expect(invalid.reason).toMatch(reason);
  expect(invalid.message).toContain(invalid.reason);
}

describe('parseDuration', () => {
  it.each<[Duration, number]>([
    [0, 0],
    [-0, 0],
    [1500, 1500],
    [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
    ['0', 0],
    ['1500', 1500],
    ['0ms', 0],
    ['250ms', 250],
    ['5s', 5_000],
    ['5m', 300_000],
    ['2h', 7_200_000],
    ['7d', 604_800_000],
    ['1w', 604_800_000],
    ['1h30m', 5_400_000],
    ['1d 2h', 93_600_000],
    ['1d\t2h  3m', 93_780_000],
    ['  5s  ', 5_000],
    ['5 s', 5_000],
    ['1.5h', 5_400_000],
    ['0.001s', 1],
    ['1.0', 1],
    ['1.250s', 1_250],
    ['0.000004d0.000009h', 378],
    ['0.0005s 0.5ms', 1],
    ['1w1d1h1m1s1ms', 694_861_001],
    ['90061001ms', 90_061_001],
    ['9007199254740991ms', Number.MAX_SAFE_INTEGER],
    ['14892855w6d8h59m991ms', Number.MAX_SAFE_INTEGER],
  ])('parses %j as %d ms', (input, expected) => {
    expect(parseDuration(input)).toBe(expected);
  });

  it.each<[unknown, RegExp]>([
    ['', /must not be empty/],
    ['   ', /must not be empty/],
    ['-5s', /negative/],
    ['-1', /negative/],
    ['5x', /^"5x" has unknown unit "x"; use ms, s, m, h, d or w$/],
    ['5S', /unknown unit "S"/],
    ['5MS', /unknown unit "MS"/],
    ['5µs', /unknown unit "µs"/],
    ['1e3', /unknown unit "e"/],
    ['m5', /unexpected "m" at position 0/],
    ['ms', /unexpected "m"/],
    ['.5s', /unexpected "\." at position 0/],
    ['5.s', /unexpected "\."/],
    ['1h30', /missing a unit after "30"/],
    ['5 3m', /missing a unit after "5"/],
    ['1h1h', /repeats unit "h"/],
    ['30m1h', /unit "h" after "m"; write units largest first/],
    ['1ms1s', /unit "s" after "ms"/],
    ['0.5ms', /not a whole number of milliseconds/],
    ['1.5', /not a whole number of milliseconds/],
    ['0.0001s', /not a whole number of milliseconds/],
    ['9007199254740992', /more than 9007199254740991 milliseconds/],
    ['9007199254740992ms', /more than 9007199254740991/],
    ['14892855w6d8h59m992ms', /more than 9007199254740991/],
    ['1'.repeat(300), /longer than 256 characters/],
    ['5s!', /unexpected "!"/],
    ['NaN', /unexpected "N"/],
    ['Infinity', /unexpected "I"/],
    [-1, /must not be negative, got -1/],
    [1.5, /whole number of milliseconds, got 1.5/],
    [Number.NaN, /finite number of milliseconds, got NaN/],
    [Number.POSITIVE_INFINITY, /finite/],
    [Number.NEGATIVE_INFINITY, /finite/],
    [2 ** 53, /at most 9007199254740991/],
    [null, /got null/],
    [undefined, /got undefined/],
    [5n, /got bigint/],
    [true, /got boolean/],
    [{}, /got object/],
  ])('rejects %s', (input, reason) => {
    expectInvalid(() => parseDuration(input as Duration, 'timeout'), 'timeout', reason);
  });

  it('uses "duration" as the default field name', () => {
    expectInvalid(() => parseDuration('soon'), 'duration', /unexpected "s"/);
  });

  it('matches an independent model built from random (amount, unit) parts', () => {
    const part = fc.record({
      whole: fc.nat({ max: 1_000_000 }),
      fraction: fc.option(fc.stringMatching(/^\d{1,6}$/), { nil: undefined }),
      gap: fc.constantFrom('', ' ', '\t'),
      sep: fc.constantFrom('', ' ', '  ', '\t'),
    });
    const spec = fc
      .subarray([0, 1, 2, 3, 4, 5], { minLength: 1 })
      .chain((units) => fc.tuple(...units.map((unit) => part.map((p) => ({ ...p, unit })))));
    fc.assert(
      fc.property(spec, fc.constantFrom('', ' '), (parts, pad) => {
        let text = pad;
        let scaledTotal = 0n; // total in millionths of a millisecond
        parts.forEach((p, i) => {
          const [name, size] = UNIT_MS[p.unit]!;
          if (i > 0) text += p.sep;
          text += `${p.whole}${p.fraction === undefined ? '' : `.${p.fraction}`}${p.gap}${name}`;
          const millionths = BigInt(p.whole) * 1_000_000n + BigInt((p.fraction ?? '').padEnd(6, '0'));
          scaledTotal += millionths * BigInt(size);
        });
        text += pad;
        const whole = scaledTotal % 1_000_000n === 0n;
        const expected = scaledTotal / 1_000_000n;
        if (whole && expected <= BigInt(Number.MAX_SAFE_INTEGER)) {
          expect(parseDuration(text)).toBe(Number(expected));
        } else {
          expectInvalid(() => parseDuration(text, 'ttl'), 'ttl', whole ? /more than/ : /not a whole number/);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('matches a plain-number model for whole amounts', () => {
    const spec = fc
      .subarray([0, 1, 2, 3, 4, 5], { minLength: 1 })
      .chain((units) => fc.tuple(...units.map((unit) => fc.tuple(fc.constant(unit), fc.nat({ max: 10_000 })))));
    fc.assert(
      fc.property(spec, (parts) => {
        const text = parts.map(([unit, amount]) => `${amount}${UNIT_MS[unit]![0]}`).join(' ');
        const expected = parts.reduce((sum, [unit, amount]) => sum + amount * UNIT_MS[unit]![1], 0);
        expect(parseDuration(text)).toBe(expected);
      }),
      { numRuns: 1000 },
    );
  });

  it('accepts every non-negative safe integer, as a number or as bare text', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), (ms) => {
        expect(parseDuration(ms)).toBe(ms);
        expect(parseDuration(String(ms))).toBe(ms);
      }),
      { numRuns: 1000 },
    );
  });

  it('either returns a non-negative safe integer or throws InvalidArgumentError for random text', () => {
    const durationish = fc.string({
      unit: fc.constantFrom(...'0123456789.msdhwx -\tMS\u00b5'.split('')),
      maxLength: 30,
    });
    fc.assert(
      fc.property(fc.oneof(durationish, fc.string(), fc.string({ unit: 'binary', maxLength: 300 })), (text) => {
        let result: number;
        try {
          result = parseDuration(text, 'garbage');
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidArgumentError);
          expect((error as InvalidArgumentError).field).toBe('garbage');
          return;
        }
        expect(Number.isSafeInteger(result)).toBe(true);
        expect(result).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 2000 },
    );
  });

  it('either accepts or throws InvalidArgumentError for random numbers', () => {
    fc.assert(
      fc.property(fc.oneof(fc.double(), fc.integer(), fc.maxSafeInteger()), (value) => {
        const valid = Number.isSafeInteger(value) && value >= 0;
        if (valid) expect(parseDuration(value)).toBe(value + 0);
        else expectInvalid(() => parseDuration(value), 'duration', /./);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('formatDuration', () => {
  it.each<[number, string]>([
    [0, '0ms'],
    [1, '1ms'],
    [999, '999ms'],
    [1000, '1s'],
    [60_000, '1m'],
    [5_400_000, '1h30m'],
    [86_400_000, '1d'],
    [604_800_000, '1w'],
    [90_061_001, '1d1h1m1s1ms'],
    [694_861_001, '1w1d1h1m1s1ms'],
    [Number.MAX_SAFE_INTEGER, '14892855w6d8h59m991ms'],
  ])('formats %d as %s', (ms, expected) => {
    expect(formatDuration(ms)).toBe(expected);
  });

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53])('rejects %d', (ms) => {
    expectInvalid(() => formatDuration(ms), 'ms', /non-negative safe integer/);
  });

  it('round-trips through parseDuration for every safe non-negative integer', () => {
    fc.assert(
      fc.property(fc.oneof(fc.maxSafeNat(), fc.nat({ max: 10_000_000 })), (ms) => {
        const text = formatDuration(ms);
        expect(text).toMatch(/^(?:\d+w)?(?:\d+d)?(?:\d+h)?(?:\d+m)?(?:\d+s)?(?:\d+ms)?$/);
        expect(parseDuration(text)).toBe(ms);
      }),
      { numRuns: 2000 },
    );
  });

  it('is canonical: every part is below the next unit up and zero parts are left out', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), (ms) => {
        const parts = [...formatDuration(ms).matchAll(/(\d+)(ms|[wdhms])/g)];
        for (const [, amount = '', unit] of parts) {
          const index = UNIT_MS.findIndex(([name]) => name === unit);
          expect(Number(amount)).toBeGreaterThan(ms === 0 ? -1 : 0);
          if (index > 0) expect(Number(amount) * UNIT_MS[index]![1]).toBeLessThan(UNIT_MS[index - 1]![1]);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('parseOptionalDuration', () => {
  it('returns the fallback for undefined and parses anything else', () => {
    expect(parseOptionalDuration(undefined, 'ttl', 42)).toBe(42);
    expect(parseOptionalDuration('5s', 'ttl', 42)).toBe(5000);
    expect(parseOptionalDuration(0, 'ttl', 42)).toBe(0);
    expectInvalid(() => parseOptionalDuration('5x', 'ttl', 42), 'ttl', /unknown unit "x"/);
  });
});
