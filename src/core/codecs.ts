import { CodecError, InvalidArgumentError } from './errors.js';

/** Turns field values into the strings Redis stores and back; every stored value is a string. */
export interface Codec<T> {
  /** Short name of the codec, e.g. `'number'`; also the default field name in errors. */
  readonly kind: string;
  /** Validates `value` and returns its stored text; throws `InvalidArgumentError` for a bad value. */
  encode(value: T, field?: string): string;
  /** Parses stored text; throws `CodecError` when the text is not something this codec wrote. */
  decode(raw: string, field?: string): T;
}

/** The value type a codec handles: `CodecValue<typeof numberCodec>` is `number`. */
export type CodecValue<C> = C extends Codec<infer T> ? T : never;

/** A value that survives `JSON.stringify` then `JSON.parse` unchanged (apart from `-0`, which comes back as `0`). */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

const INTEGER_TEXT = /^(?:0|-?[1-9]\d*)$/;
const NUMBER_TEXT = /^-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const MAX_DATE_MS = 8.64e15;
const MAX_JSON_DEPTH = 1000;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${String(value)}`;
  if (typeof value !== 'object') return typeof value;
  if (Array.isArray(value)) return 'an array';
  const proto: unknown = Object.getPrototypeOf(value);
  const name = typeof proto === 'object' && proto !== null ? (proto.constructor as { name?: unknown } | undefined)?.name : undefined;
  if (typeof name !== 'string' || name === '' || name === 'Object') return 'an object';
  return `${/^[AEIOU]/.test(name) ? 'an' : 'a'} ${name}`;
}

function preview(raw: string): string {
  return JSON.stringify(raw.length > 40 ? `${raw.slice(0, 40)}…` : raw);
}

function defineCodec<T>(
  kind: string,
  encode: (value: unknown, field: string) => string,
  decode: (raw: string, field: string) => T,
): Codec<T> {
  return Object.freeze({
    kind,
    encode: (value: T, field: string = kind): string => encode(value, field),
    decode: (raw: string, field: string = kind): T => {
      const input: unknown = raw;
      if (typeof input !== 'string') throw new CodecError(field, `expected stored text, got ${describe(input)}`);
      return decode(input, field);
    },
  });
}

/** Strings as they are; rejects lone UTF-16 surrogates, which UTF-8 (and so Redis) cannot hold. */
export const stringCodec: Codec<string> = defineCodec(
  'string',
  (value, field) => {
    if (typeof value !== 'string') throw new InvalidArgumentError(field, `expected a string, got ${describe(value)}`);
    if (!value.isWellFormed()) throw new InvalidArgumentError(field, 'contains a lone UTF-16 surrogate (not valid Unicode)');
    return value;
  },
  (raw, field) => {
    if (!raw.isWellFormed()) throw new CodecError(field, 'stored text contains a lone UTF-16 surrogate');
    return raw;
  },
);

/** Finite doubles as their shortest round-trip text (`-0` kept as `'-0'`). */
export const numberCodec: Codec<number> = defineCodec(
  'number',
  (value, field) => {
    if (typeof value !== 'number') throw new InvalidArgumentError(field, `expected a number, got ${describe(value)}`);
    if (!Number.isFinite(value)) throw new InvalidArgumentError(field, `must be a finite number, got ${String(value)}`);
    return Object.is(value, -0) ? '-0' : String(value);
  },
  (raw, field) => {
    const value = NUMBER_TEXT.test(raw) ? Number(raw) : Number.NaN;
    if (!Number.isFinite(value)) throw new CodecError(field, `${preview(raw)} is not a finite decimal number`);
    return value;
  },
);

/** Safe integers (between -(2^53 - 1) and 2^53 - 1) as decimal text. */
export const integerCodec: Codec<number> = defineCodec(
  'integer',
  (value, field) => {
    if (typeof value !== 'number') throw new InvalidArgumentError(field, `expected a number, got ${describe(value)}`);
    if (!Number.isSafeInteger(value)) throw new InvalidArgumentError(field, `must be a safe integer, got ${String(value)}`);
    return String(value);
  },
  (raw, field) => {
    const value = INTEGER_TEXT.test(raw) ? Number(raw) : Number.NaN;
    if (!Number.isSafeInteger(value)) throw new CodecError(field, `${preview(raw)} is not a safe integer in canonical decimal form`);
    return value;
  },
);

/** Booleans as `'1'` and `'0'`. */
export const booleanCodec: Codec<boolean> = defineCodec(
  'boolean',
  (value, field) => {
    if (typeof value !== 'boolean') throw new InvalidArgumentError(field, `expected a boolean, got ${describe(value)}`);
    return value ? '1' : '0';
  },
  (raw, field) => {
    if (raw === '1') return true;
    if (raw === '0') return false;
    throw new CodecError(field, `${preview(raw)} is not "1" or "0"`);
  },
);

/** Dates as epoch milliseconds in decimal text, so they compare numerically; rejects Invalid Date. */
export const dateCodec: Codec<Date> = defineCodec(
  'date',
  (value, field) => {
    if (!(value instanceof Date)) throw new InvalidArgumentError(field, `expected a Date, got ${describe(value)}`);
    const ms = value.getTime();
    if (Number.isNaN(ms)) throw new InvalidArgumentError(field, 'is an Invalid Date');
    return String(ms);
  },
  (raw, field) => {
    const ms = INTEGER_TEXT.test(raw) ? Number(raw) : Number.NaN;
    if (!(Math.abs(ms) <= MAX_DATE_MS)) {
      throw new CodecError(field, `${preview(raw)} is not epoch milliseconds within ±${MAX_DATE_MS}`);
    }
    return new Date(ms);
  },
);

/** Bigints of any size as decimal text. */
export const bigintCodec: Codec<bigint> = defineCodec(
  'bigint',
  (value, field) => {
    if (typeof value !== 'bigint') throw new InvalidArgumentError(field, `expected a bigint, got ${describe(value)}`);
    return value.toString(10);
  },
  (raw, field) => {
    if (!INTEGER_TEXT.test(raw)) throw new CodecError(field, `${preview(raw)} is not an integer in canonical decimal form`);
    return BigInt(raw);
  },
);

function jsonError(field: string, path: string, reason: string): InvalidArgumentError {
  const where = path === '' ? '' : ` at ${path}`;
  return new InvalidArgumentError(
    field,
    `${reason}${where}; JSON holds only plain objects, arrays, strings, finite numbers, booleans and null`,
  );
}

/** Throws unless `value` survives a JSON round trip: plain objects, arrays, strings, finite numbers, booleans, null. */
function checkJson(value: unknown, field: string, path: string, ancestors: Set<object>): void {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value)) throw jsonError(field, path, `${String(value)} is not a finite number`);
      return;
    case 'object':
      break;
    default:
      throw jsonError(field, path, `${typeof value} is not JSON`);
  }
  if (value === null) return;
  if (ancestors.has(value)) throw jsonError(field, path, 'cyclic reference');
  if (ancestors.size >= MAX_JSON_DEPTH) throw jsonError(field, path, `nested deeper than ${MAX_JSON_DEPTH} levels`);
  ancestors.add(value);
  if (Array.isArray(value)) {
    const items: readonly unknown[] = value;
    for (let i = 0; i < items.length; i += 1) {
      if (!(i in items)) throw jsonError(field, path, `hole at index ${i}`);
      checkJson(items[i], field, `${path}[${i}]`, ancestors);
    }
  } else {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) throw jsonError(field, path, `${describe(value)} is not a plain object`);
    if (Object.getOwnPropertySymbols(value).length > 0) throw jsonError(field, path, 'symbol-keyed property is not JSON');
    for (const [key, item] of Object.entries(value)) checkJson(item, field, `${path}.${key}`, ancestors);
  }
  ancestors.delete(value);
}

/** False when parsed JSON holds a number that overflowed to ±Infinity (e.g. `1e400`), which encode would refuse. */
function isFiniteJson(parsed: unknown): boolean {
  const pending: unknown[] = [parsed];
  while (pending.length > 0) {
    const item = pending.pop();
    if (typeof item === 'number' && !Number.isFinite(item)) return false;
    if (typeof item === 'object' && item !== null) for (const child of Object.values(item)) pending.push(child);
  }
  return true;
}

/** JSON values via `JSON.stringify`/`JSON.parse`; encode rejects anything that would not come back the same. */
export const jsonCodec: Codec<JsonValue> = defineCodec(
  'json',
  (value, field) => {
    checkJson(value, field, '', new Set());
    return JSON.stringify(value);
  },
  (raw, field) => {
    let parsed: unknown;
    try {
      // JSON.stringify writes -0 as 0, so -0 is read as 0 too: a decoded value encodes back to itself.
      parsed = raw.includes('-0') ? JSON.parse(raw, (_key, v: unknown) => (Object.is(v, -0) ? 0 : v)) : JSON.parse(raw);
    } catch (error) {
      throw new CodecError(field, `${preview(raw)} is not valid JSON`, { cause: error });
    }
    if (!isFiniteJson(parsed)) throw new CodecError(field, `${preview(raw)} holds a number too large for a double`);
    return parsed as JsonValue;
  },
);

/** Buffers (or any Uint8Array) as canonical base64 text; decodes to a Buffer. */
export const bufferCodec: Codec<Buffer> = defineCodec(
  'buffer',
  (value, field) => {
    if (!(value instanceof Uint8Array)) throw new InvalidArgumentError(field, `expected a Buffer, got ${describe(value)}`);
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  },
  (raw, field) => {
    const bytes = Buffer.from(raw, 'base64');
    if (bytes.toString('base64') !== raw) throw new CodecError(field, `${preview(raw)} is not canonical base64`);
    return bytes;
  },
);

/** Every built-in codec by kind. */
export const codecs = Object.freeze({
  string: stringCodec,
  number: numberCodec,
  integer: integerCodec,
  boolean: booleanCodec,
  date: dateCodec,
  bigint: bigintCodec,
  json: jsonCodec,
  buffer: bufferCodec,
});
