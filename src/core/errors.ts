/** Extra facts attached to an error (field names, key names, limits). Never contains secrets. */
export type ErrorContext = Readonly<Record<string, unknown>>;

/** Options shared by every kickass-redis error constructor. */
export interface KickassErrorOptions {
  /** The underlying error, when this one wraps another. */
  cause?: unknown;
  /** Structured facts about the failure. */
  context?: ErrorContext;
}

/** Base class of every error kickass-redis throws; `code` is stable and machine-readable. */
export class KickassError extends Error {
  /** Stable error code such as `'E_INVALID_ARGUMENT'`. */
  readonly code: string;
  /** Structured facts about the failure. */
  readonly context: ErrorContext;

  constructor(code: string, message: string, options: KickassErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.context = options.context ?? {};
  }
}

/** A caller passed a value that is not acceptable; nothing was written. */
export class InvalidArgumentError extends KickassError {
  /** The argument or field that was rejected (dotted path for nested options). */
  readonly field: string;
  /** Why it was rejected, in a few words. */
  readonly reason: string;

  constructor(field: string, reason: string, options: KickassErrorOptions = {}) {
    super('E_INVALID_ARGUMENT', `Invalid ${field}: ${reason}`, {
      ...options,
      context: { ...options.context, field, reason },
    });
    this.field = field;
    this.reason = reason;
  }
}

/** A value could not be encoded for Redis or decoded from what Redis returned. */
export class CodecError extends KickassError {
  /** The field (or codec) that failed. */
  readonly field: string;

  constructor(field: string, reason: string, options: KickassErrorOptions = {}) {
    super('E_CODEC', `Cannot encode or decode ${field}: ${reason}`, {
      ...options,
      context: { ...options.context, field, reason },
    });
    this.field = field;
  }
}

/** A Lua script failed in a way that is not one of its documented error codes. */
export class ScriptError extends KickassError {
  /** The versioned command name of the script that failed. */
  readonly script: string;

  constructor(script: string, message: string, options: KickassErrorOptions = {}) {
    super('E_SCRIPT', `Script ${script} failed: ${message}`, {
      ...options,
      context: { ...options.context, script },
    });
    this.script = script;
  }
}

/** The Redis connection failed or a command could not be delivered. */
export class ConnectionError extends KickassError {
  constructor(message: string, options: KickassErrorOptions = {}) {
    super('E_CONNECTION', message, options);
  }
}

/** The library was used in a way its state does not allow (e.g. after close()). */
export class StateError extends KickassError {
  constructor(message: string, options: KickassErrorOptions = {}) {
    super('E_STATE', message, options);
  }
}

/** A value as an error message can show it, whatever it is (strings quoted and cut at 100 characters; never throws). */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'bigint') return `${value.toString()}n`;
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}
