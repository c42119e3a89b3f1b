import { InvalidArgumentError, KickassError } from '../core/errors.js';
import type { KickassErrorOptions } from '../core/errors.js';
import type { ScriptErrorMap } from '../core/script-runner.js';

/** A value broke a field's rule (type, required, custom validator); nothing was written. */
export class ValidationError extends InvalidArgumentError {}

/** A write would give two objects the same value of a unique constraint; nothing was written. */
export class UniqueViolationError extends KickassError {
  /** The unique constraint (a field name, or the name given in `unique`). */
  readonly constraint: string;
  /** The id of the object that holds the value. */
  readonly existingId: string;

  constructor(constraint: string, existingId: string, options: KickassErrorOptions = {}) {
    super('E_UNIQUE_VIOLATION', `Unique constraint "${constraint}" is violated: object ${existingId} has that value`, options);
    this.constraint = constraint;
    this.existingId = existingId;
  }
}

/** An update, increment or expire named an object that does not exist (or has expired). */
export class NotFoundError extends KickassError {
  constructor(id: string, options: KickassErrorOptions = {}) {
    super('E_NOT_FOUND', `Object ${id} does not exist`, options);
  }
}

/** A create named an id that already exists. */
export class ObjectExistsError extends KickassError {
  constructor(id: string, options: KickassErrorOptions = {}) {
    super('E_EXISTS', `Object ${id} already exists`, options);
  }
}

/** The object's version was not the expected one (optimistic concurrency); nothing was written. */
export class VersionConflictError extends KickassError {
  /** The version the object has now. */
  readonly currentVersion: number;

  constructor(currentVersion: number, options: KickassErrorOptions = {}) {
    super('E_VERSION_CONFLICT', `The object changed: its version is ${String(currentVersion)}`, options);
    this.currentVersion = currentVersion;
  }
}

/** A write whose unique-value claim lapsed before it reached Redis; nothing was written (it is retried). */
export class ClaimExpiredError extends KickassError {
  constructor(id: string, options: KickassErrorOptions = {}) {
    super('E_CLAIM_EXPIRED', `The unique-value claim of object ${id} lapsed before the write; nothing was written`, options);
  }
}

/** Lua error codes of the store scripts mapped to typed errors. */
export const storeScriptErrors: ScriptErrorMap = {
  E_EXISTS: (detail, context) => new ObjectExistsError(detail, { context }),
  E_NOT_FOUND: (detail, context) => new NotFoundError(detail, { context }),
  E_VERSION_CONFLICT: (detail, context) => new VersionConflictError(Number(detail), { context }),
  E_UNIQUE_VIOLATION: (detail, context) => {
    const space = detail.indexOf(' ');
    return new UniqueViolationError(detail.slice(0, space), detail.slice(space + 1), { context });
  },
  E_NOT_NUMBER: (detail, context) => new ValidationError(detail, 'the stored value is not a number', { context }),
  E_CLAIM_EXPIRED: (detail, context) => new ClaimExpiredError(detail, { context }),
  E_RANGE: (detail, context) => new ValidationError(detail, 'the increment leaves the range of the field type', { context }),
  E_QUERY_TOO_BROAD: (detail, context) => {
    const limit = /^\S+ (\d+)/.exec(detail)?.[1] ?? '';
    return new ValidationError('query', `a prefix or fuzzy word stands for more than ${limit} terms; make it longer`, { context });
  },
};
