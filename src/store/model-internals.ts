import type { KickassContext } from '../core/context.js';
import { partitionKeys } from './keys.js';
import type { PartitionKeys } from './keys.js';
import type { ModelSchema } from './schema.js';

/** What the query, verify and reindex modules need from a model, without importing the Model class. */
export interface ModelInternals {
  readonly context: KickassContext;
  readonly schema: ModelSchema;
  /** Keys of every partition, index = partition number. */
  readonly partitions: readonly PartitionKeys[];
}

/** Builds the internals of a model. */
export function modelInternals(context: KickassContext, schema: ModelSchema): ModelInternals {
  const partitions = Array.from({ length: schema.partitions }, (_, p) => partitionKeys(context.keys, schema.keyName, p));
  return Object.freeze({ context, schema, partitions });
}
