export { createAnalyzer } from './analyzer.js';
export type { Analyzer, AnalyzerOptions, Language, Token } from './analyzer.js';
export { MAX_FUZZY, MAX_QUERY_DEPTH, MAX_QUERY_LENGTH, QuerySyntaxError, parseTextQuery } from './query-parser.js';
export type { TextQuery } from './query-parser.js';
export { EARTH_RADIUS_M, MAX_LATITUDE, checkPoint, distanceM, geohashScore } from './geohash.js';
export type { GeoPoint } from './geohash.js';
export { geoIndex } from './geo-field.js';
