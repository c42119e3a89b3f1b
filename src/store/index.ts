export { defineModel } from './define-model.js';
export { ClaimExpiredError, NotFoundError, ObjectExistsError, UniqueViolationError, ValidationError, VersionConflictError } from './errors.js';
export { Field, t } from './fields.js';
export type { AnyField, FieldDefinition, FieldIndexing, FieldKind, ScalarKind, Validator } from './fields.js';
export { MAX_ID_LENGTH } from './input.js';
export { Model } from './model.js';
export type { IdSource, WriteOptions } from './model.js';
export type { CompoundIndexOptions, ModelOptions, ModelSchema } from './schema.js';
export type { CreateInputOf, FieldMap, FieldValue, NumericFieldOf, RowOf, UpdateInputOf } from './types.js';
