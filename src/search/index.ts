export { createAnalyzer } from './analyzer.js';
export type { Analyzer, AnalyzerOptions, Language, Token } from './analyzer.js';
