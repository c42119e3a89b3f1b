import type { TextFieldInfo } from '../search/text-plan.js';
import { withGlobalStats } from '../search/text-stats.js';
import type { ModelInternals } from './model-internals.js';
import type { CompiledQuery, SortOrder } from './query-compile.js';
import type { ModelSchema } from './schema.js';

/** The order of full-text results: BM25 score, highest first, ties by id. */
export const RELEVANCE: SortOrder = Object.freeze({ field: '$relevance', direction: 'desc', kind: 'score' });

/** The text fields of a model, with their analyzers and weights. */
export function textFieldsOf(schema: ModelSchema): Map<string, TextFieldInfo> {
  const out = new Map<string, TextFieldInfo>();
  for (const field of schema.fields.values()) if (field.text !== undefined) out.set(field.name, field.text);
  return out;
}

/** The query with text statistics summed over every partition, or the same query when it needs none. */
export async function withTextStats(internals: ModelInternals, query: CompiledQuery): Promise<CompiledQuery> {
  if (query.x === undefined) return query;
  const x = await withGlobalStats(internals.context, internals.partitions.map((keys) => keys.ids), query.x);
  return x === query.x ? query : { ...query, x };
}
