/**
 * The one place that turns errors into HTTP answers: `{ statusCode, code, message, ...details }`.
 * Services throw DomainErrors; nothing internal (stack traces, SQL) ever reaches a response.
 */
import { ArgumentsHost, Catch, HttpException, Logger, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import { DomainError, ErrorCode } from '../core/errors.js';
import { databaseFault, DatabaseFaultError } from '../database/database-fault.js';

const STATUS: Record<ErrorCode, number> = {
  VALIDATION_FAILED: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  VERSION_CONFLICT: 409,
  IDEMPOTENCY_KEY_REUSED: 409,
  EVENT_NOT_ALLOWED: 422,
  AGENCY_NOT_VALID: 422,
  ALREADY_REPORTED: 409,
  NOTHING_TO_REPORT: 422,
  RATE_LIMITED: 429,
  INVALID_DEFINITION: 500,
  INVALID_CONFIGURATION: 500,
  DATABASE_UNAVAILABLE: 503,
  DATABASE_READ_ONLY: 503,
  DATABASE_FULL: 507,
  DATABASE_LOCKED: 503,
  SHUTTING_DOWN: 503,
  NOT_READY: 503,
  INTERNAL: 500,
};

/** Client errors raised by Express or body-parser rather than by dondoc. */
const OTHER_CLIENT_ERRORS: Record<number, string> = {
  405: 'METHOD_NOT_ALLOWED',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
};

const HTTP_CODES: Record<number, ErrorCode> = {
  400: ErrorCode.VALIDATION_FAILED,
  401: ErrorCode.UNAUTHENTICATED,
  403: ErrorCode.FORBIDDEN,
  404: ErrorCode.NOT_FOUND,
  429: ErrorCode.RATE_LIMITED,
};

/**
 * Seconds a client should wait before retrying (the `Retry-After` header), for the errors that
 * pass by themselves. A full database (507) waits for an operator: no header.
 */
const RETRY_AFTER_SECONDS: Partial<Record<ErrorCode, number>> = {
  DATABASE_UNAVAILABLE: 5,
  DATABASE_LOCKED: 2,
  DATABASE_READ_ONLY: 60,
};

export interface ErrorAnswer {
  statusCode: number;
  body: Record<string, unknown>;
  /** Headers to send with the answer (`Retry-After`). */
  headers: Record<string, string>;
}

export function errorBody(raw: unknown): ErrorAnswer {
  // Driver errors that say the database is unreachable, read-only, full or locked.
  const error = databaseFault(raw) ?? raw;
  if (error instanceof DomainError) {
    const statusCode = STATUS[error.code];
    const retryAfter = RETRY_AFTER_SECONDS[error.code];
    return {
      statusCode,
      body: { statusCode, code: error.code, message: error.message, ...error.details },
      headers: retryAfter === undefined ? {} : { 'Retry-After': String(retryAfter) },
    };
  }
  if (error instanceof HttpException) {
    const statusCode = error.getStatus();
    const code =
      HTTP_CODES[statusCode] ??
      OTHER_CLIENT_ERRORS[statusCode] ??
      (statusCode < 500 ? 'BAD_REQUEST' : ErrorCode.INTERNAL);
    const raw = error.getResponse();
    const message =
      typeof raw === 'string'
        ? raw
        : String((raw as { message?: unknown }).message ?? error.message);
    const fields = statusCode === 400 ? [{ path: '(request)', message }] : undefined;
    return {
      statusCode,
      body: { statusCode, code, message, ...(fields ? { fields } : {}) },
      headers: {},
    };
  }
  // body-parser errors (malformed JSON, too large) carry a status and a type.
  const e = error as { status?: number; type?: string; message?: string };
  if (e?.type === 'entity.parse.failed') {
    return {
      statusCode: 400,
      body: {
        statusCode: 400,
        code: ErrorCode.VALIDATION_FAILED,
        message: 'The request body is not valid JSON',
        fields: [{ path: '(body)', message: 'malformed JSON' }],
      },
      headers: {},
    };
  }
  if (e?.type === 'entity.too.large') {
    return {
      statusCode: 413,
      body: {
        statusCode: 413,
        code: 'PAYLOAD_TOO_LARGE',
        message: 'The request body is too large',
      },
      headers: {},
    };
  }
  return {
    statusCode: 500,
    body: { statusCode: 500, code: ErrorCode.INTERNAL, message: 'Internal error' },
    headers: {},
  };
}

@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const res = http.getResponse<Response>();
    const req = http.getRequest<Request & { caller?: { name: string } }>();
    const { statusCode, body, headers } = errorBody(error);
    const fault = databaseFault(error);
    if (fault) {
      // Expected while the database is down: one line with the driver's words, no stack.
      this.logger.warn(
        `${fault.code} on ${req.method} ${req.originalUrl}: ${driverMessage(fault.original)}`,
      );
    } else if (statusCode >= 500) this.logger.error((error as Error)?.stack ?? String(error));
    if (statusCode === 401 || statusCode === 403) {
      // Denied attempts are logged with the user, the route and the reason.
      this.logger.warn(
        `Denied ${req.method} ${req.originalUrl} user=${req.caller?.name ?? 'anonymous'}: ${String(body.message)}`,
      );
    }
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    res.status(statusCode).json(body);
  }
}

function driverMessage(error: unknown): string {
  if (error instanceof DatabaseFaultError) return driverMessage(error.original);
  const e = error as { code?: unknown; message?: unknown };
  return [e?.code, e?.message].filter((x) => typeof x === 'string' && x).join(' ') || String(error);
}
