import { InvalidArgumentError } from './errors.js';

/** A span of time: whole milliseconds as a number, or text such as `'250ms'`, `'1h30m'` or `'1.5d'`. */
export type Duration = number | string;

/** Duration units in the order they must appear, largest first, with their size in milliseconds. */
const UNITS = [
  ['w', 604_800_000],
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
  ['ms', 1],
] as const;

type Unit = (typeof UNITS)[number][0];

const UNIT_RANK = new Map<string, number>(UNITS.map(([unit], rank) => [unit, rank]));
const UNIT_LIST = 'ms, s, m, h, d or w';
const MAX_TEXT_LENGTH = 256;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
/** One part: an amount, optional blanks, then letters (possibly none); sticky so parts must be adjacent. */
const PART = /(\d+)(?:\.(\d+))?[ \t]*([A-Za-z\u00b5\u03bc]*)/y;
const BLANKS = /[ \t\r\n]*/y;

function isUnit(text: string): text is Unit {
  return UNIT_RANK.has(text);
}

function unitSize(unit: Unit): bigint {
  for (const [name, size] of UNITS) if (name === unit) return BigInt(size);
  return 1n;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'number') return String(value);
  return typeof value;
}

function fail(field: string, text: string, reason: string): never {
  throw new InvalidArgumentError(field, `"${text}" ${reason}`);
}

function parseText(text: string, field: string): number {
  if (text.length > MAX_TEXT_LENGTH) {
    throw new InvalidArgumentError(field, `is longer than ${MAX_TEXT_LENGTH} characters`);
  }
  const trimmed = text.trim();
  if (trimmed === '') throw new InvalidArgumentError(field, 'must not be empty');
  if (trimmed.startsWith('-')) fail(field, trimmed, 'is negative; durations must be zero or more');

  let pos = 0;
  let total = 0n; // in units of 10^-digits ms, so decimal amounts add up exactly
  let digits = 0;
  let lastRank = -1;
  let lastUnit = '';
  while (pos < trimmed.length) {
    const first = pos === 0;
    PART.lastIndex = pos;
    const match = PART.exec(trimmed);
    if (match === null) {
      fail(field, trimmed, `has unexpected "${trimmed.slice(pos, pos + 1)}" at position ${pos}; expected a number`);
    }
    const [, whole = '', fraction = '', unitText = ''] = match;
    pos = PART.lastIndex;
    const amount = fraction === '' ? whole : `${whole}.${fraction}`;
    let unit: Unit = 'ms';
    if (unitText === '') {
      const next = trimmed.charAt(pos);
      if (next !== '' && !/[\d \t\r\n]/.test(next)) {
        fail(field, trimmed, `has unexpected "${next}" at position ${pos}`);
      }
      if (!first || next !== '') fail(field, trimmed, `is missing a unit after "${amount}"; use ${UNIT_LIST}`);
    } else if (isUnit(unitText)) {
      unit = unitText;
    } else {
      fail(field, trimmed, `has unknown unit "${unitText}"; use ${UNIT_LIST}`);
    }
    const rank = UNIT_RANK.get(unit) ?? 0;
    if (rank === lastRank) fail(field, trimmed, `repeats unit "${unit}"; give each unit once`);
    if (rank < lastRank) fail(field, trimmed, `has unit "${unit}" after "${lastUnit}"; write units largest first`);
    lastRank = rank;
    lastUnit = unit;
    if (fraction.length > digits) {
      total *= 10n ** BigInt(fraction.length - digits);
      digits = fraction.length;
    }
    total += BigInt(whole + fraction.padEnd(digits, '0')) * unitSize(unit);
    if (total / 10n ** BigInt(digits) > MAX_SAFE) fail(field, trimmed, `is more than ${Number.MAX_SAFE_INTEGER} milliseconds`);
    BLANKS.lastIndex = pos;
    BLANKS.exec(trimmed);
    pos = BLANKS.lastIndex;
  }
  const scale = 10n ** BigInt(digits);
  if (total % scale !== 0n) fail(field, trimmed, 'is not a whole number of milliseconds');
  return Number(total / scale);
}

/** Converts a {@link Duration} to whole non-negative milliseconds; throws `InvalidArgumentError` otherwise. */
export function parseDuration(value: Duration, field = 'duration'): number {
  const input: unknown = value;
  if (typeof input === 'string') return parseText(input, field);
  if (typeof input !== 'number') {
    throw new InvalidArgumentError(field, `must be a number of milliseconds or a string like "5s", got ${describe(input)}`);
  }
  if (!Number.isFinite(input)) {
    throw new InvalidArgumentError(field, `must be a finite number of milliseconds, got ${describe(input)}`);
  }
  if (input < 0) throw new InvalidArgumentError(field, `must not be negative, got ${describe(input)}`);
  if (!Number.isInteger(input)) {
    throw new InvalidArgumentError(field, `must be a whole number of milliseconds, got ${describe(input)}`);
  }
  if (input > Number.MAX_SAFE_INTEGER) {
    throw new InvalidArgumentError(field, `must be at most ${Number.MAX_SAFE_INTEGER} milliseconds, got ${describe(input)}`);
  }
  return input + 0; // turns -0 into 0
}

/** Formats whole milliseconds in the canonical compact form, largest units first: `90061001` -> `'1d1h1m1s1ms'`. */
export function formatDuration(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0) {
    throw new InvalidArgumentError('ms', `must be a non-negative safe integer, got ${describe(ms)}`);
  }
  if (ms === 0) return '0ms';
  let rest = ms;
  let text = '';
  for (const [unit, size] of UNITS) {
    const remainder = rest % size;
    const count = (rest - remainder) / size; // exact: the dividend is a multiple of size below 2^53
    if (count > 0) text += `${count}${unit}`;
    rest = remainder;
  }
  return text;
}

/** Like {@link parseDuration}, but returns `fallback` when `value` is `undefined`. */
export function parseOptionalDuration(value: Duration | undefined, field: string, fallback: number): number {
  return value === undefined ? fallback : parseDuration(value, field);
}
