import type { KickassContext } from '../core/context.js';
import { storeScriptErrors } from '../store/errors.js';
import { textStatsScript } from '../store/scripts/index.generated.js';
import { mergeTextStats } from './text-plan.js';
import type { CompiledText, TextStats } from './text-plan.js';

/**
 * The text query with ranking statistics summed over every partition (one read-only call per
 * partition, `keys` naming one key of each), so that a document scores the same whichever
 * partition holds it. A single partition ranks with its own statistics in the query call itself.
 */
export async function withGlobalStats(context: KickassContext, keys: readonly string[], text: CompiledText): Promise<CompiledText> {
  if (keys.length === 1 || text.g !== undefined) return text;
  const json = JSON.stringify(text);
  const plans = keys.map((key) => context.scripts.plan(textStatsScript, { ids: key }, { text: json }));
  const results = await context.scripts.execMany(plans, storeScriptErrors);
  const parts = results.map((result) => {
    if (!result.ok) throw result.error;
    return JSON.parse(String(result.value)) as TextStats;
  });
  return { ...text, g: mergeTextStats(parts) };
}
