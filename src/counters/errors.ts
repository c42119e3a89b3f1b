import { KickassError } from '../core/errors.js';
import type { KickassErrorOptions } from '../core/errors.js';

/** An id is outside what the counter accepts (above maxId without mapping, or not an id at all); nothing was written. */
export class IdOutOfRangeError extends KickassError {
  constructor(message: string, options: KickassErrorOptions = {}) {
    super('E_ID_OUT_OF_RANGE', message, options);
  }
}

/** An operation the counter cannot do: an exact-only operation on an approximate counter, or algebra across id spaces. */
export class UnsupportedCounterOperationError extends KickassError {
  constructor(message: string, options: KickassErrorOptions = {}) {
    super('E_UNSUPPORTED_COUNTER_OPERATION', message, options);
  }
}
