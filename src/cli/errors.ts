/**
 * How the CLI reports failures: one line per problem on stderr and an exit code. Expected errors
 * (DomainErrors, bad arguments) never print a stack trace.
 */
import { CommanderError } from 'commander';
import { DomainError, ErrorCode, type FieldProblem } from '../core/errors.js';

/** Exit codes: 0 success, 1 a failure, 2 a usage or validation error (nothing was changed). */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** A bad argument found by the CLI itself, before anything runs. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface Report {
  exitCode: number;
  lines: string[];
}

/** Input paths as the CLI user knows them (the event type is the <event> argument). */
const CLI_NAMES: Record<string, string> = {
  type: '<event>',
  effectiveAt: '--effective-at',
  reason: '--reason',
  // dondoc user add
  username: '<username>',
  role: '--role',
  agencyCode: '--agency',
  // dondoc agencies apply-succession
  date: '--date',
  plan: '--plan',
  // dondoc report
  at: '--at',
};

function fieldLines(fields: unknown): string[] {
  if (!Array.isArray(fields)) return [];
  return (fields as FieldProblem[]).map((f) => {
    const name =
      CLI_NAMES[f.path] ??
      (f.path === 'payload' || f.path.startsWith('payload.')
        ? `--payload ${f.path.slice('payload.'.length)}`.trimEnd()
        : f.path);
    return `invalid ${name || 'input'}: ${f.message}`;
  });
}

function definitionLines(error: DomainError): string[] {
  const files = (error.details.files as Array<{ file: string; problems: FieldProblem[] }>) ?? [
    { file: error.details.file as string, problems: error.details.problems as FieldProblem[] },
  ];
  return files.flatMap(({ file, problems }) =>
    problems.map((p) => `${file}: at ${p.path || '(root)'}: ${p.message}`),
  );
}

function domainReport(error: DomainError): Report {
  const d = error.details;
  switch (error.code) {
    case ErrorCode.VALIDATION_FAILED: {
      const lines = fieldLines(d.fields);
      return { exitCode: EXIT_USAGE, lines: lines.length ? lines : [error.message] };
    }
    case ErrorCode.INVALID_CONFIGURATION: {
      const problems = (d.problems as FieldProblem[]) ?? [];
      return {
        exitCode: EXIT_USAGE,
        lines: problems.length
          ? problems.map((p) => `invalid configuration: ${p.path}: ${p.message}`)
          : [error.message],
      };
    }
    case ErrorCode.INVALID_DEFINITION:
      return { exitCode: EXIT_FAILURE, lines: definitionLines(error) };
    case ErrorCode.NOT_FOUND:
      return { exitCode: EXIT_FAILURE, lines: [`not found: ${error.message}`] };
    case ErrorCode.EVENT_NOT_ALLOWED: {
      const allowed = (d.allowedEvents as string[] | undefined) ?? [];
      return {
        exitCode: EXIT_FAILURE,
        lines: [
          `event not allowed: ${error.message}; allowed events in stage ${String(d.stage)}: ` +
            (allowed.length ? allowed.join(', ') : 'none'),
        ],
      };
    }
    case ErrorCode.VERSION_CONFLICT:
      return {
        exitCode: EXIT_FAILURE,
        lines: [`version conflict: ${error.message}; read the obligation again and retry`],
      };
    case ErrorCode.UNAUTHENTICATED:
      return { exitCode: EXIT_FAILURE, lines: [error.message] };
    case ErrorCode.FORBIDDEN:
      // Services word it "Forbidden: <reason>"; say "forbidden" once.
      return {
        exitCode: EXIT_FAILURE,
        lines: [`forbidden: ${error.message.replace(/^forbidden:\s*/i, '')}`],
      };
    case ErrorCode.IDEMPOTENCY_KEY_REUSED:
      return { exitCode: EXIT_FAILURE, lines: [`idempotency key reused: ${error.message}`] };
    case ErrorCode.DATABASE_UNAVAILABLE:
      return { exitCode: EXIT_FAILURE, lines: [`database unavailable: ${error.message}`] };
    default:
      return { exitCode: EXIT_FAILURE, lines: [error.message] };
  }
}

/** The exit code and the stderr lines (without the "error: " prefix) for any thrown value. */
export function report(error: unknown): Report {
  if (error instanceof CommanderError) {
    // Commander has already printed its own message (or the help text).
    return { exitCode: error.exitCode === 0 ? EXIT_OK : EXIT_USAGE, lines: [] };
  }
  if (error instanceof UsageError) return { exitCode: EXIT_USAGE, lines: [error.message] };
  if (error instanceof DomainError) return domainReport(error);
  const e = error as Error;
  const message = e?.message ?? String(error);
  return {
    exitCode: EXIT_FAILURE,
    lines: [
      process.env.DONDOC_DEBUG && e?.stack
        ? `unexpected failure: ${e.stack}`
        : `unexpected failure: ${message} (set DONDOC_DEBUG=1 for the stack trace)`,
    ],
  };
}
