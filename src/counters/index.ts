export { SLOT_UNITS, SlotCalendar } from './calendar.js';
export type { SlotUnit, Weekday } from './calendar.js';
export { IdOutOfRangeError, UnsupportedCounterOperationError } from './errors.js';
export { SlotSet, and, not, or, xor } from './expression.js';
export type { EvaluateOptions } from './expression.js';
export { IdMap, IdMapFullError, MAX_ID_BYTES, MAX_MAPPED } from './id-map.js';
export type { IdMapOptions } from './id-map.js';
export { UniqueCounter } from './unique-counter.js';
export type { SlotCount, UniqueCounterOptions, UniqueEvent } from './unique-counter.js';
