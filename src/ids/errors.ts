import { KickassError } from '../core/errors.js';
import type { KickassErrorOptions } from '../core/errors.js';
import type { ScriptErrorMap } from '../core/script-runner.js';

/** A generator reached its largest allowed id (2^53 - 1 for incremental ids); nothing was reserved. */
export class IdExhaustedError extends KickassError {
  constructor(message: string, options: KickassErrorOptions = {}) {
    super('E_ID_EXHAUSTED', message, options);
  }
}

/** A time-ordered generator lost its worker-id lease and stopped issuing ids. */
export class WorkerLeaseLostError extends KickassError {
  constructor(message: string, options: KickassErrorOptions = {}) {
    super('E_WORKER_LEASE_LOST', message, options);
  }
}

/** Every worker id is leased by a live generator (or still cooling down); none could be acquired in time. */
export class NoWorkerIdAvailableError extends KickassError {
  constructor(message: string, options: KickassErrorOptions = {}) {
    super('E_NO_WORKER_ID', message, options);
  }
}

/** The system clock went backwards by more than the configured tolerance; no id was issued. */
export class ClockMovedBackwardsError extends KickassError {
  constructor(message: string, options: KickassErrorOptions = {}) {
    super('E_CLOCK_BACKWARDS', message, options);
  }
}

/** Lua error codes of the ids scripts mapped to typed errors. */
export const idsScriptErrors: ScriptErrorMap = {
  E_ID_EXHAUSTED: (detail, context) => new IdExhaustedError(`id generator exhausted (${detail})`, { context }),
};
