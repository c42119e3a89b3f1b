import { checkStampable } from '../store/stamped-writes.js';
import type { StampedModel } from '../store/stamped-writes.js';
import type { CompiledField } from '../store/schema.js';
import { defaultCast } from './column-casts.js';
import type { ColumnCast } from './column-casts.js';
import { SyncConfigError, SyncMappingError } from './errors.js';
import type { SourceRow } from './source-values.js';
import type { TableShape } from './source-tables.js';

/** How one source column feeds the model: a field name, `false` to leave it out, or a field and a cast of the value. */
export type ColumnMapping =
  | string
  | false
  | {
      /** The field fed (default: the column's name). */
      readonly field?: string;
      /** Converts the column's value (with the whole row at hand) into the field's. */
      readonly cast?: (value: unknown, row: SourceRow) => unknown;
    };

/** How a source table becomes objects of a model. */
export interface TableMapping {
  /** The model the rows are written to (`kr.model(...)`). Unique constraints need the model's one partition. */
  readonly model: StampedModel;
  /**
   * The object id: a column or columns (default: the primary key; several are joined by ':' with
   * ':' and '%' in each percent-encoded), or a function of the row.
   */
  readonly key?: string | readonly string[] | ((row: SourceRow) => string);
  /** Column mappings; a column not named here feeds the field of the same name when the model has one. */
  readonly columns?: Readonly<Record<string, ColumnMapping>>;
  /** Fields computed from the whole row. */
  readonly computed?: Readonly<Record<string, (row: SourceRow) => unknown>>;
  /** Rows for which this returns false are not in the model (a row that stops passing is removed). */
  readonly filter?: (row: SourceRow) => boolean;
}

/** A row's object: its id, and its fields (null when the filter leaves the row out). */
export interface MappedRow {
  readonly id: string;
  readonly input: Record<string, unknown> | null;
}

interface FieldFeed {
  readonly field: string;
  readonly column: string | null;
  readonly convert: (row: SourceRow) => unknown;
}

/** A table mapping checked against the source table's columns and the model's fields. */
export interface CompiledMapping {
  /** `schema.table`. */
  readonly name: string;
  readonly shape: TableShape;
  readonly model: StampedModel;
  /** The object of a row. Throws SyncMappingError when a value does not fit. */
  map(row: SourceRow): MappedRow;
  /** The id of a row (deletes need nothing else). */
  idOf(row: SourceRow): string;
  /** Which columns feed which fields, with the columns' types: when a DDL statement changes it, the objects need a new copy. */
  readonly signature: string;
}

function encodeKeyPart(value: unknown): string {
  const text = Buffer.isBuffer(value) ? value.toString('hex') : String(value);
  return text.replaceAll('%', '%25').replaceAll(':', '%3A');
}

function keyFunction(name: string, mapping: TableMapping, shape: TableShape, at: string): (row: SourceRow) => string {
  const key = mapping.key;
  if (typeof key === 'function') {
    return (row) => {
      const id = key(row);
      if (typeof id !== 'string' || id === '') throw new SyncMappingError(name, '', 'key', 'must give a non-empty string');
      return id;
    };
  }
  const columns = key === undefined ? shape.primaryKey : typeof key === 'string' ? [key] : key;
  if (columns.length === 0) throw new SyncConfigError(`${at}.key`, `is needed: ${name} has no primary key`);
  for (const column of columns) {
    if (!shape.columns.some((c) => c.name === column)) throw new SyncConfigError(`${at}.key`, `names ${column}, which is not a column of ${name}`);
  }
  const single = columns.length === 1 ? (columns[0] as string) : null;
  return (row) => {
    const parts = columns.map((column) => row[column]);
    if (parts.some((part) => part === null || part === undefined)) throw new SyncMappingError(name, '', 'key', `column is NULL (${columns.join(', ')})`);
    if (single !== null) return Buffer.isBuffer(parts[0]) ? parts[0].toString('hex') : String(parts[0]);
    return parts.map(encodeKeyPart).join(':');
  };
}

function columnFeed(name: string, field: CompiledField, column: TableShape['columns'][number], cast: ((value: unknown, row: SourceRow) => unknown) | undefined, at: string): FieldFeed {
  if (cast !== undefined) {
    if (typeof cast !== 'function') throw new SyncConfigError(`${at}.cast`, 'must be a function');
    return { field: field.name, column: column.name, convert: (row) => cast(row[column.name] ?? null, row) };
  }
  const convert: ColumnCast | null = defaultCast(field, column);
  if (convert === null) {
    const kind = field.kind === 'array' ? `array of ${String(field.scalar)}` : field.plugin === undefined ? field.kind : 'geo';
    throw new SyncConfigError(at, `column ${column.name} (${column.columnType}) cannot feed the ${kind} field ${field.name} as it is: give a cast`);
  }
  return {
    field: field.name,
    column: column.name,
    convert: (row) => {
      const value = row[column.name];
      return value === null || value === undefined ? undefined : convert(value);
    },
  };
}

/**
 * Checks a table's mapping against the source table's columns and the model: the table and every
 * named column exist, every field fed exists and can take the column's type (else a cast is
 * needed), and every required field without a default is fed. Throws SyncConfigError naming the
 * option (`tables['shop.users'].columns.email`).
 */
export function compileMapping(name: string, mapping: TableMapping, shape: TableShape | null): CompiledMapping {
  const at = `tables['${name}']`;
  if (shape === null) throw new SyncConfigError(at, `names a table the source does not have (${name})`);
  const model = mapping.model;
  try {
    checkStampable(model);
  } catch (error) {
    throw new SyncConfigError(`${at}.model`, (error as SyncConfigError).reason);
  }
  const fields = model.schema.fields;
  const idOf = keyFunction(name, mapping, shape, at);
  const feeds: FieldFeed[] = [];
  const fed = new Map<string, string>();
  const feed = (entry: FieldFeed, where: string): void => {
    const earlier = fed.get(entry.field);
    if (earlier !== undefined) throw new SyncConfigError(where, `feeds field ${entry.field}, which ${earlier} feeds already`);
    fed.set(entry.field, where);
    feeds.push(entry);
  };
  const explicit = mapping.columns ?? {};
  for (const [columnName, target] of Object.entries(explicit)) {
    const where = `${at}.columns.${columnName}`;
    const column = shape.columns.find((c) => c.name === columnName);
    if (column === undefined) throw new SyncConfigError(where, `is not a column of ${name} (it has ${shape.columns.map((c) => c.name).join(', ')})`);
    if (target === false) continue;
    const fieldName = typeof target === 'string' ? target : (target.field ?? columnName);
    const field = fields.get(fieldName);
    if (field === undefined) throw new SyncConfigError(where, `names field ${fieldName}, which model ${model.name} does not have`);
    feed(columnFeed(name, field, column, typeof target === 'string' ? undefined : target.cast, where), where);
  }
  for (const column of shape.columns) {
    const field = fields.get(column.name);
    if (column.name in explicit || field === undefined || fed.has(field.name)) continue;
    feed(columnFeed(name, field, column, undefined, `${at}.columns.${column.name}`), `column ${column.name}`);
  }
  for (const [fieldName, compute] of Object.entries(mapping.computed ?? {})) {
    const where = `${at}.computed.${fieldName}`;
    if (!fields.has(fieldName)) throw new SyncConfigError(where, `is not a field of model ${model.name}`);
    if (typeof compute !== 'function') throw new SyncConfigError(where, 'must be a function of the row');
    feed({ field: fieldName, column: null, convert: compute }, where);
  }
  for (const field of fields.values()) {
    if (field.definition.required && field.definition.defaultValue === undefined && !fed.has(field.name)) {
      throw new SyncConfigError(at, `leaves the required field ${field.name} of model ${model.name} without a column or computed value`);
    }
  }
  const filter = mapping.filter;
  if (filter !== undefined && typeof filter !== 'function') throw new SyncConfigError(`${at}.filter`, 'must be a function of the row');
  const types = new Map(shape.columns.map((c) => [c.name, c.columnType]));
  const keyColumns = typeof mapping.key === 'function' ? [] : mapping.key === undefined ? shape.primaryKey : typeof mapping.key === 'string' ? [mapping.key] : mapping.key;
  // functions of the whole row (computed fields, filter, key) may read any column
  const readsWholeRow = mapping.computed !== undefined || filter !== undefined || typeof mapping.key === 'function';
  const signature = JSON.stringify([
    ...feeds.map((f) => [f.field, f.column, f.column === null ? null : types.get(f.column)]),
    ...keyColumns.map((c) => ['key', c, types.get(c)]),
    ...(readsWholeRow ? shape.columns.map((c) => ['row', c.name, c.columnType]) : []),
  ]);
  return {
    name,
    shape,
    model: model,
    idOf,
    signature,
    map(row) {
      const id = idOf(row);
      if (filter !== undefined && !filter(row)) return { id, input: null };
      const input: Record<string, unknown> = {};
      for (const entry of feeds) {
        let value: unknown;
        try {
          value = entry.convert(row);
        } catch (error) {
          throw new SyncMappingError(name, id, entry.column === null ? entry.field : `column ${entry.column}`, error instanceof Error ? error.message : String(error), { cause: error });
        }
        if (value !== undefined && value !== null) input[entry.field] = value;
      }
      return { id, input };
    },
  };
}
