/**
 * The one way services touch the database: `write` runs a unit of work as one transaction,
 * `read` runs queries outside any write. SQL is written with `?` placeholders and numbered for
 * PostgreSQL here. Parameters are always bound, never spliced into the text.
 */
import type { QueryRunner } from 'typeorm';
import type { Dialect } from './data-source.js';

/** A connection inside a transaction (for writes) or outside one (for reads). */
export interface Sql {
  readonly dialect: Dialect;
  /** Rows of a SELECT (or of a statement with RETURNING). */
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  /** Rows of a SELECT as arrays, columns in the order selected: no object per row to build. */
  queryArrays(text: string, params?: unknown[]): Promise<unknown[][]>;
  /** Runs a statement and returns how many rows it changed. */
  execute(text: string, params?: unknown[]): Promise<number>;
  /**
   * Values known for the rest of this write transaction, where no other writer can change them
   * (SQLite's single writer: one batch). A unit of work that rolls back clears it. Absent on
   * reads and on PostgreSQL, where other replicas write at the same time.
   */
  readonly memo?: Map<string, unknown>;
}

export abstract class Database {
  abstract readonly dialect: Dialect;
  /** Runs `work` as one transaction; it commits before the returned promise resolves. */
  abstract write<T>(work: (tx: Sql) => Promise<T>): Promise<T>;
  abstract read<T>(work: (sql: Sql) => Promise<T>): Promise<T>;
  abstract close(): Promise<void>;
}

const placeholderCache = new Map<string, string>();

/** `?` → `$1, $2, …` for PostgreSQL (our SQL never has a literal `?`). */
export function numberPlaceholders(text: string): string {
  let out = placeholderCache.get(text);
  if (out === undefined) {
    let n = 0;
    out = text.replace(/\?/g, () => `$${++n}`);
    placeholderCache.set(text, out);
  }
  return out;
}

/** Wraps a TypeORM QueryRunner as `Sql`. */
export function sqlOn(runner: QueryRunner, dialect: Dialect): Sql {
  const prepare = dialect === 'postgres' ? numberPlaceholders : (t: string) => t;
  return {
    dialect,
    async query<T>(text: string, params: unknown[] = []): Promise<T[]> {
      const result = await runner.query(prepare(text), params, true);
      return (result.records ?? []) as T[];
    },
    async queryArrays(text: string, params: unknown[] = []): Promise<unknown[][]> {
      const result = await runner.query(prepare(text), params, true);
      return ((result.records ?? []) as Array<Record<string, unknown>>).map((r) =>
        Object.values(r),
      );
    },
    async execute(text: string, params: unknown[] = []): Promise<number> {
      const result = await runner.query(prepare(text), params, true);
      return result.affected ?? 0;
    },
  };
}

/** JSON columns come back as text on SQLite and parsed on PostgreSQL. */
export function jsonValue<T>(value: unknown): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}

/** bigint columns come back as strings on PostgreSQL. */
export function intValue(value: unknown): number {
  return typeof value === 'number' ? value : Number(value);
}

/** Whether an error is a unique-constraint violation on either database. */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; driverError?: { code?: string }; message?: string };
  const code = e.driverError?.code ?? e.code;
  return (
    code === '23505' ||
    code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  );
}
