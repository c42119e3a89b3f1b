export { checkSource } from './source-check.js';
export type { SourceInfo } from './source-check.js';
export { SyncSourceError } from './errors.js';
