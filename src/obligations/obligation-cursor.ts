/**
 * Keyset pagination of obligation lists. The list order is the sort key
 * (plan_id, year, agency_code, origin_agency_code), unique per row (origin_agency_code is unique
 * within a cycle). A cursor is the base64url of the JSON array of the last row's sort key; the
 * next page seeks past it through an index instead of skipping OFFSET rows. Pure: no I/O.
 */
import { ValidationError } from '../core/errors.js';

/** The sort key of one obligation row. */
export type SortKey = readonly [planId: string, year: number, agencyCode: string, origin: string];

/** The sort key's columns, in order. */
export const SORT_COLUMNS = ['plan_id', 'year', 'agency_code', 'origin_agency_code'] as const;

/** Longest cursor accepted (a sort key is at most 100 + 4 + 64 + 64 characters). */
const MAX_CURSOR = 1000;

export function encodeCursor(key: SortKey): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/** Decodes `after`; a malformed cursor is VALIDATION_FAILED naming the parameter. */
export function decodeCursor(cursor: string, param = 'after'): SortKey {
  const bad = (why: string): never => {
    throw new ValidationError(`Invalid ${param} cursor`, [
      { path: param, message: `${why}: pass the nextCursor of a previous page` },
    ]);
  };
  if (cursor.length === 0 || cursor.length > MAX_CURSOR || !/^[A-Za-z0-9_-]+$/.test(cursor)) {
    return bad('not a base64url cursor');
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return bad('not a cursor');
  }
  const text = (v: unknown, max: number) => typeof v === 'string' && v.length <= max;
  if (
    !Array.isArray(value) ||
    value.length !== 4 ||
    !text(value[0], 100) ||
    !Number.isInteger(value[1]) ||
    !text(value[2], 64) ||
    !text(value[3], 64)
  ) {
    return bad('not a cursor');
  }
  return value as unknown as SortKey;
}

/** Sort-key columns fixed by an equality filter, with their values. */
export type PinnedColumns = Partial<Record<(typeof SORT_COLUMNS)[number], string | number>>;

/**
 * The SQL condition "the row's sort key is after `key`", simplified by the columns an equality
 * filter already fixes, so that what is left is a row-value range on the columns that follow the
 * equalities in an index ((agency_code, origin_agency_code) > (?, ?) within a cycle): SQLite
 * seeks a row-value range only when it starts right after the index's equality columns.
 * A pinned value that differs from the cursor's (a cursor from another filter) falls back to
 * the whole key, compared in the database's collation like the ORDER BY.
 */
export function seekCondition(
  key: SortKey,
  pinned: PinnedColumns,
): { sql: string; params: unknown[] } {
  const columns: string[] = [];
  const params: unknown[] = [];
  for (let i = 0; i < SORT_COLUMNS.length; i++) {
    const column = SORT_COLUMNS[i]!;
    const fixed = pinned[column];
    if (fixed === undefined) {
      columns.push(column);
      params.push(key[i]);
    } else if (fixed !== key[i]) {
      // A cursor from another filter: compare the whole key, in the database's collation.
      return rowAfter([...SORT_COLUMNS], [...key]);
    }
  }
  return rowAfter(columns, params);
}

function rowAfter(columns: string[], params: unknown[]): { sql: string; params: unknown[] } {
  const sql =
    columns.length === 1
      ? `${columns[0]} > ?`
      : `(${columns.join(', ')}) > (${columns.map(() => '?').join(', ')})`;
  return { sql, params };
}
