export { ClockMovedBackwardsError, IdExhaustedError, NoWorkerIdAvailableError, WorkerLeaseLostError } from './errors.js';
export { DEFAULT_ID_EPOCH, decodeId, makeLayout } from './id-layout.js';
export type { DecodedId, IdLayout } from './id-layout.js';
export { IncrementalIdGenerator, MAX_INCREMENTAL_ID } from './incremental-id-generator.js';
export type { IncrementalIdOptions } from './incremental-id-generator.js';
export { TimeOrderedIdGenerator } from './time-ordered-id-generator.js';
export type { TimeOrderedIdOptions } from './time-ordered-id-generator.js';
