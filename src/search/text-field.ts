import { InvalidArgumentError } from '../core/errors.js';
import { createAnalyzer } from './analyzer.js';
import type { Analyzer, AnalyzerOptions } from './analyzer.js';

/** How a text field is analyzed and weighted. */
export interface TextIndexing {
  readonly analyzer: Analyzer;
  /** Multiplies the field's BM25 score. */
  readonly weight: number;
}

/** Options of `t.text()`: an analyzer (or the options of the built-in one) and the field's weight. */
export interface TextFieldOptions extends AnalyzerOptions {
  /** A custom analyzer (then the analyzer options are ignored). */
  readonly analyzer?: Analyzer;
  /** The field's weight in relevance scores (0 excludes it from ranking, not from matching). @defaultValue 1 */
  readonly weight?: number;
}

/** Validates text field options and builds the field's analyzer. */
export function textIndexing(options: TextFieldOptions): TextIndexing {
  const weight = options.weight ?? 1;
  if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0 || weight > 1000) throw new InvalidArgumentError('weight', 'must be a number from 0 to 1000');
  const analyzer = options.analyzer ?? createAnalyzer(options);
  if (typeof analyzer.analyze !== 'function' || typeof analyzer.term !== 'function' || typeof analyzer.prefix !== 'function') {
    throw new InvalidArgumentError('analyzer', 'must have analyze(), term() and prefix() (see createAnalyzer)');
  }
  return Object.freeze({ analyzer, weight });
}
