/**
 * Database faults: driver errors that say the database cannot do its job right now (unreachable,
 * read-only, full, locked), turned into DomainErrors with a stable code so the HTTP layer answers
 * 503/507 with a clear message instead of 500 with internals. Everything else (a constraint, a
 * bug in a query) is left as it is. Pure: it only looks at the error.
 */
import { DomainError, ErrorCode } from '../core/errors.js';

/** A fault of the database, with the driver's error kept for the logs (never for responses). */
export class DatabaseFaultError extends DomainError {
  constructor(
    code: DatabaseFaultCode,
    message: string,
    readonly driverCode: string,
    readonly original: unknown,
  ) {
    super(code, message);
    this.name = 'DatabaseFaultError';
  }
}

export type DatabaseFaultCode =
  | typeof ErrorCode.DATABASE_UNAVAILABLE
  | typeof ErrorCode.DATABASE_READ_ONLY
  | typeof ErrorCode.DATABASE_FULL
  | typeof ErrorCode.DATABASE_LOCKED;

const UNAVAILABLE =
  'The database is unavailable (connection refused, lost or timed out). Retry in a few ' +
  'seconds; a command sent again with the same Idempotency-Key is applied at most once.';
const SQLITE_IO =
  'The database could not read or write its file (storage I/O error). Nothing was saved; ' +
  'retry later, and tell the operator if it persists.';
const READ_ONLY =
  'The database is read-only (file or storage not writable): nothing was saved. Reads still ' +
  'work; the operator must make the database writable again.';
const FULL =
  'The database storage is full: nothing was saved. Reads still work; the operator must free ' +
  'disk space, then retry.';
const LOCKED =
  'The database file is locked by another process: nothing was saved. Retry in a few seconds.';

/** Node socket errors of a connection that failed or broke. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * PostgreSQL SQLSTATEs of an unusable connection: class 08 (connection exception), the server
 * shutting down or terminating the backend (57P01–57P03, e.g. `pg_terminate_backend`), and too
 * many connections (53300).
 */
function isPostgresUnavailable(sqlState: string): boolean {
  return sqlState.startsWith('08') || /^57P0[1-3]$/.test(sqlState) || sqlState === '53300';
}

/** Messages of node-postgres (pg, pg-pool) errors that carry no code. */
const PG_CONNECTION_MESSAGES = [
  /Connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /not queryable/i,
  /Client has already been connected/i,
  /Connection ended unexpectedly/i,
];

/** The driver error inside a TypeORM wrapper (QueryFailedError.driverError), or the error. */
function driverErrorOf(error: unknown): { code?: unknown; message?: unknown } | null {
  if (error === null || typeof error !== 'object') return null;
  const e = error as { driverError?: unknown };
  return (e.driverError && typeof e.driverError === 'object' ? e.driverError : error) as {
    code?: unknown;
    message?: unknown;
  };
}

/** The fault `error` reports, or null when it is not a database fault. */
export function databaseFault(error: unknown): DatabaseFaultError | null {
  if (error instanceof DatabaseFaultError) return error;
  if (error instanceof DomainError) return null;
  const driver = driverErrorOf(error);
  if (!driver) return null;
  const code = typeof driver.code === 'string' ? driver.code : '';
  const message = typeof driver.message === 'string' ? driver.message : '';
  const fault = (c: DatabaseFaultCode, text: string) =>
    new DatabaseFaultError(c, text, code || message, error);
  if (code.startsWith('SQLITE_')) {
    if (code.startsWith('SQLITE_READONLY')) return fault(ErrorCode.DATABASE_READ_ONLY, READ_ONLY);
    if (code === 'SQLITE_FULL') return fault(ErrorCode.DATABASE_FULL, FULL);
    if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))
      return fault(ErrorCode.DATABASE_LOCKED, LOCKED);
    if (code.startsWith('SQLITE_IOERR') || code.startsWith('SQLITE_CANTOPEN'))
      return fault(ErrorCode.DATABASE_UNAVAILABLE, SQLITE_IO);
    return null;
  }
  if (NETWORK_CODES.has(code) || (/^[0-9A-Z]{5}$/.test(code) && isPostgresUnavailable(code)))
    return fault(ErrorCode.DATABASE_UNAVAILABLE, UNAVAILABLE);
  if (!code && PG_CONNECTION_MESSAGES.some((m) => m.test(message)))
    return fault(ErrorCode.DATABASE_UNAVAILABLE, UNAVAILABLE);
  return null;
}

/** `error` as a DatabaseFaultError when it is a database fault, else unchanged (for rethrowing). */
export function asDatabaseFault(error: unknown): unknown {
  return databaseFault(error) ?? error;
}

/** DATABASE_UNAVAILABLE for a unit whose connection broke while it ran (`cause`: what it saw). */
export function connectionLost(cause: unknown): DatabaseFaultError {
  return new DatabaseFaultError(
    ErrorCode.DATABASE_UNAVAILABLE,
    UNAVAILABLE,
    'connection lost',
    cause,
  );
}
