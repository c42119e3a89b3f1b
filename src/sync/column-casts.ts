import type { CompiledField } from '../store/schema.js';
import type { SourceColumn } from './source-tables.js';

/** Converts a column's value (as the readers give it, never null) into a field's value; throws a reason string's Error when it cannot. */
export type ColumnCast = (value: unknown) => unknown;

const INTEGER_TYPES = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint', 'year']);
const FLOAT_TYPES = new Set(['float', 'double', 'real']);
const TEXT_TYPES = new Set(['char', 'varchar', 'tinytext', 'text', 'mediumtext', 'longtext', 'enum', 'set', 'uuid', 'inet4', 'inet6']);
const TEMPORAL_TYPES = new Set(['date', 'datetime', 'timestamp']);
const GEOMETRY_TYPES = new Set(['point', 'geometry']);

/** Why a value was refused, as the error's message. */
function refuse(reason: string): never {
  throw new Error(reason);
}

/** A 'YYYY-MM-DD[ HH:MM:SS[.ffffff]]' source value as a Date (UTC); undefined for MySQL's zero dates. */
function parseTemporal(value: unknown): Date | undefined {
  const text = String(value);
  const match = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?)?$/.exec(text);
  if (match === null) return refuse(`has a value that is not a date: ${text.slice(0, 40)}`);
  const [, y, mo, d, h = '0', mi = '0', s = '0', fraction = ''] = match;
  if (Number(mo) === 0 || Number(d) === 0) return undefined;
  const ms = Number(fraction.padEnd(3, '0').slice(0, 3));
  const date = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms));
  date.setUTCFullYear(Number(y));
  return date;
}

function toNumber(value: unknown): number {
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(n) ? n : refuse(`has a value that is not a finite number: ${String(value).slice(0, 40)}`);
}

function toInteger(value: unknown): number {
  const n = toNumber(value);
  return Number.isSafeInteger(n) && String(value) === String(n) ? n : refuse(`has a value that is not a safe integer: ${String(value).slice(0, 40)}`);
}

/** The scale of a DECIMAL column type ('decimal(10,0)' -> 0). */
function decimalScale(column: SourceColumn): number {
  return Number(/,\s*(\d+)\)/.exec(column.columnType)?.[1] ?? '0');
}

/** How a scalar field takes a column's value, or null when the two do not fit without a user cast. */
function scalarCast(kind: string, column: SourceColumn): ColumnCast | null {
  const type = column.dataType;
  switch (kind) {
    case 'string':
      if (TEXT_TYPES.has(type) || TEMPORAL_TYPES.has(type) || type === 'time' || type === 'json' || type === 'decimal') return (v) => String(v);
      if (INTEGER_TYPES.has(type) || FLOAT_TYPES.has(type)) return (v) => String(v);
      return null;
    case 'number':
      if (INTEGER_TYPES.has(type) || FLOAT_TYPES.has(type) || type === 'decimal') return toNumber;
      return null;
    case 'integer':
      if (INTEGER_TYPES.has(type) || (type === 'decimal' && decimalScale(column) === 0)) return toInteger;
      return null;
    case 'boolean':
      if (INTEGER_TYPES.has(type)) return (v) => toNumber(v) !== 0;
      if (type === 'bit') return (v) => (v as Buffer).some((b) => b !== 0);
      return null;
    case 'date':
      if (TEMPORAL_TYPES.has(type)) return parseTemporal;
      return null;
    default:
      return null;
  }
}

/**
 * How `field` takes the values of `column` without a user cast, or null when it cannot (binary
 * columns into strings, text into numbers, ...): the mapping then asks for a cast. A t.geo() field
 * takes a POINT as { lon, lat }; a JSON field parses a JSON column and takes other values as they
 * are; an array field takes a SET's members or a JSON array.
 */
export function defaultCast(field: CompiledField, column: SourceColumn): ColumnCast | null {
  const type = column.dataType;
  if (field.kind === 'json') {
    if (GEOMETRY_TYPES.has(type)) {
      return field.plugin === undefined ? (v) => v : (v) => {
        const point = v as { x?: unknown; y?: unknown } | null;
        return typeof point?.x === 'number' && typeof point.y === 'number' ? { lon: point.x, lat: point.y } : refuse('is not a point');
      };
    }
    if (type === 'json') return (v) => JSON.parse(String(v)) as unknown;
    const scalar = scalarCast('string', column);
    if (scalar === null) return null;
    return INTEGER_TYPES.has(type) || FLOAT_TYPES.has(type) ? (v) => v : scalar;
  }
  if (field.kind === 'array') {
    if (type === 'set' && field.scalar === 'string') return (v) => (v === '' ? [] : String(v).split(','));
    if (type === 'json') {
      return (v) => {
        const list: unknown = JSON.parse(String(v));
        return Array.isArray(list) ? (list as unknown[]) : refuse('holds JSON that is not an array');
      };
    }
    return null;
  }
  return scalarCast(field.kind, column);
}
