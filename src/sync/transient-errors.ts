import { KickassError } from '../core/errors.js';

/** Errors worth another attempt: lost or refused connections and server shutdowns (not a configuration, mapping or source-setting error). */
export function isTransient(error: unknown): boolean {
  if (error instanceof KickassError) return error.code === 'E_CONNECTION' || error.code === 'E_TIMEOUT';
  const { code, fatal, message } = error as { code?: unknown; fatal?: unknown; message?: unknown };
  if (fatal === true) return true;
  if (typeof code === 'string' && TRANSIENT_CODES.has(code)) return true;
  return typeof message === 'string' && /connection (is )?(closed|lost|reset|refused)|ECONNRE|EPIPE|ETIMEDOUT|socket hang up|server shutdown|max retries per request/i.test(message);
}

const TRANSIENT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'PROTOCOL_CONNECTION_LOST', 'ER_SERVER_SHUTDOWN', 'ER_CON_COUNT_ERROR', 'ER_CONNECTION_KILLED', 'ER_NORMAL_SHUTDOWN', 'ER_SHUTDOWN_COMPLETE']);

