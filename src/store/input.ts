import { InvalidArgumentError } from '../core/errors.js';
import { ValidationError } from './errors.js';
import { decodeFieldValue, encodeFieldValue, foldedTerm, pluginEntries, textStream } from './schema.js';
import type { CompiledField, ModelSchema } from './schema.js';

/** One field operation of the write script: set, unset, set folded term, set plug-in entries, set token stream, integer / number increment. */
export type WriteOp = readonly ['s' | 'u' | 't' | 'e' | 'w' | 'I' | 'N', string, string];

/** The largest object id, in characters. */
export const MAX_ID_LENGTH = 512;

/** Throws unless `id` is a usable object id: a non-empty well-formed string of at most 512 characters. */
/** The hidden object field a folded-term ('t'), plug-in-entries ('e') or token-stream ('w') op writes. */
export function hiddenName(op: 't' | 'e' | 'w', field: string): string {
  return `$${op === 'e' ? 'x' : op}:${field}`;
}

/** The stored field name an op writes. */
export function storedName(op: WriteOp[0], field: string): string {
  return op === 't' || op === 'e' || op === 'w' ? hiddenName(op, field) : field;
}

/** Runs `validate` for entry `i` of a batch, naming the entry in any ValidationError (`inputs[3].score`). */
export function atEntry<T>(list: string, i: number, validate: () => T): T {
  try {
    return validate();
  } catch (error) {
    if (error instanceof ValidationError) throw new ValidationError(`${list}[${String(i)}].${error.field}`, error.reason, { cause: error });
    throw error;
  }
}

export function checkId(id: unknown, field = 'id'): string {
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH || !id.isWellFormed()) {
    throw new ValidationError(field, `must be a non-empty string of at most ${String(MAX_ID_LENGTH)} characters`);
  }
  return id;
}

function checkObject(input: unknown, what: string): Record<string, unknown> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new ValidationError(what, 'must be an object');
  return input as Record<string, unknown>;
}

function checkUnknown(schema: ModelSchema, input: Record<string, unknown>): void {
  if (schema.unknownFields === 'strip') return;
  for (const key of Object.keys(input)) {
    if (key !== 'id' && !schema.fields.has(key)) throw new ValidationError(key, `is not a field of model ${schema.name}`);
  }
}

function encodeChecked(field: CompiledField, value: unknown): string {
  let text: string;
  try {
    text = encodeFieldValue(field, value);
  } catch (error) {
    if (error instanceof InvalidArgumentError) throw new ValidationError(error.field, error.reason, { cause: error });
    throw error;
  }
  for (const { check, message } of field.definition.validators) {
    const verdict = (check as (v: unknown) => boolean | string)(value);
    if (verdict !== true) {
      throw new ValidationError(field.name, typeof verdict === 'string' ? verdict : (message ?? 'fails its validation rule'));
    }
  }
  return text;
}

function setOps(field: CompiledField, value: unknown, ops: WriteOp[]): void {
  ops.push(['s', field.name, encodeChecked(field, value)]);
  if (field.folded) ops.push(['t', field.name, foldedTerm(field, value)]);
  if (field.plugin) ops.push(['e', field.name, indexed(() => pluginEntries(field, value))]);
  if (field.text) ops.push(['w', field.name, indexed(() => textStream(field, value))]);
}

/** What an index computes from a value; its InvalidArgumentError becomes a ValidationError naming the field. */
function indexed(compute: () => string): string {
  try {
    return compute();
  } catch (error) {
    if (error instanceof InvalidArgumentError) throw new ValidationError(error.field, error.reason, { cause: error });
    throw error;
  }
}

/** Validates a full object (create / replace): defaults applied, required fields present. */
export function fullObjectOps(schema: ModelSchema, input: unknown): { ops: WriteOp[]; row: Record<string, unknown> } {
  const record = checkObject(input, 'input');
  checkUnknown(schema, record);
  const ops: WriteOp[] = [];
  const row: Record<string, unknown> = {};
  for (const field of schema.fields.values()) {
    let value = record[field.name];
    if (value === undefined && field.definition.defaultValue !== undefined) {
      const fallback = field.definition.defaultValue;
      value = typeof fallback === 'function' ? (fallback as () => unknown)() : fallback;
    }
    if (value === undefined || value === null) {
      if (field.definition.required) throw new ValidationError(field.name, 'is required');
      continue;
    }
    setOps(field, value, ops);
    row[field.name] = decodeFieldValue(field, (ops.find((op) => op[0] === 's' && op[1] === field.name) as WriteOp)[2]);
  }
  return { ops, row };
}

/** Validates a partial update: given fields are set, `null` unsets optional ones. */
export function patchOps(schema: ModelSchema, patch: unknown): WriteOp[] {
  const record = checkObject(patch, 'patch');
  checkUnknown(schema, record);
  if ('id' in record) throw new ValidationError('id', 'cannot be changed by an update');
  const ops: WriteOp[] = [];
  for (const [name, value] of Object.entries(record)) {
    const field = schema.fields.get(name);
    if (field === undefined || value === undefined) continue;
    if (value === null) {
      if (field.definition.required) throw new ValidationError(name, 'is required and cannot be unset');
      ops.push(['u', name, '']);
    } else {
      setOps(field, value, ops);
    }
  }
  return ops;
}

/** Validates an increment: a number or integer field and a finite (integer) amount. */
export function incrementOp(schema: ModelSchema, name: string, by: unknown): WriteOp {
  const field = schema.fields.get(name);
  if (field === undefined || (field.kind !== 'number' && field.kind !== 'integer')) {
    throw new ValidationError(name, 'increment needs a number or integer field');
  }
  if (typeof by !== 'number' || !Number.isFinite(by) || (field.kind === 'integer' && !Number.isSafeInteger(by))) {
    throw new ValidationError('by', `must be a finite ${field.kind === 'integer' ? 'safe integer' : 'number'}`);
  }
  if (field.definition.validators.length > 0) {
    throw new ValidationError(name, 'has validation rules, which an atomic increment cannot check; use update()');
  }
  return [field.kind === 'integer' ? 'I' : 'N', name, String(by)];
}

/** Decodes a flat field/value list from a script into a row, fields in schema order. */
export function decodeRow(schema: ModelSchema, id: string, flat: readonly string[]): Record<string, unknown> {
  const stored = new Map<string, string>();
  for (let i = 0; i < flat.length; i += 2) stored.set(flat[i] as string, flat[i + 1] as string);
  const row: Record<string, unknown> = { id };
  for (const field of schema.fields.values()) {
    const raw = stored.get(field.name);
    if (raw !== undefined) row[field.name] = decodeFieldValue(field, raw);
  }
  return row;
}
