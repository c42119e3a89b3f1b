export { createAnalyzer } from './analyzer.js';
export type { Analyzer, AnalyzerOptions, Language, Token } from './analyzer.js';
export { MAX_FUZZY, MAX_QUERY_DEPTH, MAX_QUERY_LENGTH, QuerySyntaxError, parseTextQuery } from './query-parser.js';
export type { TextQuery } from './query-parser.js';
