/**
 * Domain errors: every failure the core or a service can report, as a class with a string code.
 * Pure: one exception filter maps the codes to HTTP statuses; the CLI maps them to messages.
 */
export const ErrorCode = {
  VALIDATION_FAILED: 'VALIDATION_FAILED',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  VERSION_CONFLICT: 'VERSION_CONFLICT',
  IDEMPOTENCY_KEY_REUSED: 'IDEMPOTENCY_KEY_REUSED',
  EVENT_NOT_ALLOWED: 'EVENT_NOT_ALLOWED',
  /** A TRANSFER to an agency that is unknown, or not valid at the transfer's effective time. */
  AGENCY_NOT_VALID: 'AGENCY_NOT_VALID',
  /** A cycle already reported to UBND with another consolidated report. */
  ALREADY_REPORTED: 'ALREADY_REPORTED',
  /** Reporting a cycle to UBND while none of its obligations is aggregated. */
  NOTHING_TO_REPORT: 'NOTHING_TO_REPORT',
  RATE_LIMITED: 'RATE_LIMITED',
  INVALID_DEFINITION: 'INVALID_DEFINITION',
  INVALID_CONFIGURATION: 'INVALID_CONFIGURATION',
  /** The database cannot be reached (connection refused, lost or timed out) or its storage failed. */
  DATABASE_UNAVAILABLE: 'DATABASE_UNAVAILABLE',
  /** The database is read-only (file or storage not writable); reads still work. */
  DATABASE_READ_ONLY: 'DATABASE_READ_ONLY',
  /** The database's storage is full; reads still work. */
  DATABASE_FULL: 'DATABASE_FULL',
  /** The SQLite file is locked by another process for longer than the busy timeout. */
  DATABASE_LOCKED: 'DATABASE_LOCKED',
  /** The server is shutting down and takes no new work; retry on another replica. */
  SHUTTING_DOWN: 'SHUTTING_DOWN',
  /** A readiness check failed (database unreachable, migrations missing, draining). */
  NOT_READY: 'NOT_READY',
  INTERNAL: 'INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** One problem in an input: where (a dotted path) and what was expected. */
export interface FieldProblem {
  path: string;
  message: string;
}

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export class ValidationError extends DomainError {
  constructor(
    message: string,
    readonly fields: FieldProblem[],
  ) {
    super(ErrorCode.VALIDATION_FAILED, message, { fields });
    this.name = 'ValidationError';
  }
}

/** A definition file (plan, calendar, registry) that failed validation; lists every problem. */
export class DefinitionError extends DomainError {
  constructor(
    readonly file: string,
    readonly problems: FieldProblem[],
  ) {
    super(
      ErrorCode.INVALID_DEFINITION,
      `${file}: ${problems.length} problem(s)\n` +
        problems.map((p) => `  - ${file} at ${p.path || '(root)'}: ${p.message}`).join('\n'),
      { file, problems },
    );
    this.name = 'DefinitionError';
  }
}

/** Several definition files failed validation (e.g. loading a directory); lists every file's problems. */
export class AggregateDefinitionError extends DomainError {
  constructor(readonly errors: DefinitionError[]) {
    super(
      ErrorCode.INVALID_DEFINITION,
      `${errors.length} invalid definition file(s)\n` + errors.map((e) => e.message).join('\n'),
      { files: errors.map((e) => ({ file: e.file, problems: e.problems })) },
    );
    this.name = 'AggregateDefinitionError';
  }
}
