/**
 * The lookups the timer benchmark times: the bare indexed SELECT on a raw better-sqlite3
 * connection; variants of it that add one feature of the engine's query at a time (to show where
 * the time goes); and the engine's own TimerRepository.findDue through the app's Database, in
 * the sweep's batches.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { Database, Sql } from '../database/database.js';
import { TimerRepository } from '../timers/timer.repository.js';

const PENDING = 'fired_at IS NULL AND cancelled_at IS NULL';
export const BARE_SQL = `SELECT id FROM timers WHERE ${PENDING} AND due_at <= ?`;
/** The sweep's batch size (SweepService's BATCH). */
export { SWEEP_BATCH } from '../timers/sweep.service.js';
/** `fired_at` of rows the lookup benchmark hides from the pending set; restored afterwards. */
const HIDDEN = -1;

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** The SQL findDue runs, captured from TimerRepository itself so that it cannot drift. */
export async function findDueQuery(
  now: number,
  limit: number,
): Promise<{ text: string; params: unknown[] }> {
  let captured: { text: string; params: unknown[] } | undefined;
  const recorder: Sql = {
    dialect: 'sqlite',
    async query<T>(text: string, params: unknown[] = []): Promise<T[]> {
      captured = { text, params };
      return [];
    },
    async queryArrays(text: string, params: unknown[] = []): Promise<unknown[][]> {
      captured = { text, params };
      return [];
    },
    async execute(): Promise<number> {
      throw new Error('findDue is expected to only query');
    },
    async insertReturningId(): Promise<number> {
      throw new Error('findDue is expected to only query');
    },
  };
  await TimerRepository.findDue(recorder, now, limit);
  if (!captured) throw new Error('findDue ran no query');
  return captured;
}

/** EXPLAIN QUERY PLAN as indented lines. */
export function explain(db: BetterSqlite3.Database, text: string, params: unknown[]): string[] {
  const rows = db.prepare(`EXPLAIN QUERY PLAN ${text}`).all(...params) as Array<{
    id: number;
    parent: number;
    detail: string;
  }>;
  const depth = new Map<number, number>([[0, 0]]);
  return rows.map((r) => {
    const d = (depth.get(r.parent) ?? 0) + 1;
    depth.set(r.id, d);
    return `${'  '.repeat(d)}${r.detail}`;
  });
}

export interface RawVariant {
  name: string;
  text: string;
  params: unknown[];
}

/** The bare query and the steps from it to the engine's query, all returning every due row. */
export async function rawVariants(now: number, due: number): Promise<RawVariant[]> {
  const claim = '(claimed_until IS NULL OR claimed_until < ?)';
  const engine = await findDueQuery(now, due);
  return [
    { name: 'bare: SELECT id (index only)', text: BARE_SQL, params: [now] },
    {
      name: 'SELECT * (adds table lookups)',
      text: `SELECT * FROM timers WHERE ${PENDING} AND due_at <= ?`,
      params: [now],
    },
    {
      name: 'SELECT * + claimed_until',
      text: `SELECT * FROM timers WHERE ${PENDING} AND due_at <= ? AND ${claim}`,
      params: [now, now],
    },
    {
      name: 'SELECT id + claimed_until',
      text: `SELECT id FROM timers WHERE ${PENDING} AND due_at <= ? AND ${claim}`,
      params: [now, now],
    },
    {
      name: 'SELECT id + ORDER BY due_at, id',
      text: `SELECT id FROM timers WHERE ${PENDING} AND due_at <= ? ORDER BY due_at, id`,
      params: [now],
    },
    { name: `findDue's SQL, one call (LIMIT ${due})`, text: engine.text, params: engine.params },
  ];
}

export interface RawTiming {
  name: string;
  rows: number;
  /** Median seconds. */
  seconds: number;
  samples: number[];
}

/**
 * Two warm-up rounds, then `reps` rounds in which every variant runs once (`.all()`), so that a
 * disturbance hits all variants alike; the median per variant.
 */
export function timeRaw(
  db: BetterSqlite3.Database,
  variants: RawVariant[],
  reps: number,
): RawTiming[] {
  const stmts = variants.map((v) => db.prepare(v.text));
  const rows = variants.map(() => 0);
  const samples = variants.map((): number[] => []);
  for (let r = -2; r < reps; r++) {
    variants.forEach((v, i) => {
      const start = performance.now();
      rows[i] = stmts[i]!.all(...v.params).length;
      if (r >= 0) samples[i]!.push((performance.now() - start) / 1000);
    });
  }
  return variants.map((v, i) => ({
    name: v.name,
    rows: rows[i]!,
    seconds: median(samples[i]!),
    samples: samples[i]!,
  }));
}

export interface LookupRun {
  /** Seconds spent inside the lookups (the only timed part). */
  seconds: number;
  rows: number;
  calls: number;
}

/** A lookup of due timers, as the sweep would call it: at most `limit` rows, oldest first. */
export type Lookup = (sql: Sql, now: number, limit: number) => Promise<Array<{ id: number }>>;

/** The engine's lookup as shipped. */
export const findDueLookup: Lookup = (sql, now, limit) => TimerRepository.findDue(sql, now, limit);

/**
 * The proposed fix (not in the engine): an index that orders by (due_at, id) and also holds
 * claimed_until, so the lookup never reads the table, and a lookup that returns ids only (the
 * claim's UPDATE, which touches each row anyway, can return the other columns).
 */
export const PROPOSED_INDEX = `CREATE INDEX ix_timers_pending_due ON timers (due_at, id, claimed_until) WHERE ${PENDING}`;
export const PROPOSED_SQL = `SELECT id FROM timers WHERE ${PENDING} AND due_at <= ?
  AND (claimed_until IS NULL OR claimed_until < ?) ORDER BY due_at, id LIMIT ?`;
export const proposedLookup: Lookup = async (sql, now, limit) =>
  (await sql.query<{ id: number }>(PROPOSED_SQL, [now, now, limit])).map((r) => ({
    id: Number(r.id),
  }));

const HIDE = `UPDATE timers SET fired_at = ? WHERE id IN (SELECT value FROM json_each(?))`;
const RESTORE = 'UPDATE timers SET fired_at = NULL WHERE fired_at = ?';

/**
 * A lookup as the sweep runs it: `db.read(lookup(now, batch))` until a short batch. Between
 * reads (untimed) the batch's rows leave the pending set, as firing them would, by setting
 * fired_at to a marker; the marker is cleared at the end, so the database is as before.
 */
export async function engineLookup(
  db: Database,
  lookup: Lookup,
  now: number,
  batch: number,
): Promise<LookupRun> {
  let seconds = 0;
  let rows = 0;
  let calls = 0;
  try {
    for (;;) {
      const start = performance.now();
      const due = await db.read((sql) => lookup(sql, now, batch));
      seconds += (performance.now() - start) / 1000;
      calls += 1;
      rows += due.length;
      if (due.length === 0) break;
      const ids = JSON.stringify(due.map((t) => t.id));
      await db.write((tx) => tx.execute(HIDE, [HIDDEN, ids]));
      if (due.length < batch) break;
    }
  } finally {
    await db.write((tx) => tx.execute(RESTORE, [HIDDEN]));
  }
  return { seconds, rows, calls };
}

/** The same loop on a raw better-sqlite3 connection: the SQL `text` with `params` (whose limit is `batch`). */
export function rawLookup(
  db: BetterSqlite3.Database,
  text: string,
  params: unknown[],
  batch: number,
): LookupRun {
  const stmt = db.prepare<unknown[], { id: number }>(text);
  const hide = db.prepare(HIDE);
  let seconds = 0;
  let rows = 0;
  let calls = 0;
  try {
    for (;;) {
      const start = performance.now();
      const due = stmt.all(...params);
      seconds += (performance.now() - start) / 1000;
      calls += 1;
      rows += due.length;
      if (due.length === 0) break;
      db.transaction(() => hide.run(HIDDEN, JSON.stringify(due.map((t) => t.id))))();
      if (due.length < batch) break;
    }
  } finally {
    db.prepare(RESTORE).run(HIDDEN);
  }
  return { seconds, rows, calls };
}

/** One warm-up run, then `reps` timed ones; the median seconds and the rows/calls of the last. */
export async function repeat(
  reps: number,
  run: () => LookupRun | Promise<LookupRun>,
): Promise<LookupRun & { samples: number[] }> {
  let last = await run();
  const samples: number[] = [];
  for (let r = 0; r < reps; r++) {
    last = await run();
    samples.push(last.seconds);
  }
  return { ...last, seconds: median(samples), samples };
}

/** One query through the app's Database, all rows in one call. */
export async function engineOnce(
  db: Database,
  query: (sql: Sql) => Promise<unknown[]>,
): Promise<LookupRun> {
  const start = performance.now();
  const rows = await db.read(query);
  return { seconds: (performance.now() - start) / 1000, rows: rows.length, calls: 1 };
}

/** Size of an index in MiB (the dbstat virtual table). */
export function indexMiB(db: BetterSqlite3.Database, name: string): number | null {
  try {
    const row = db.prepare('SELECT SUM(pgsize) AS b FROM dbstat WHERE name = ?').get(name) as {
      b: number | null;
    };
    return row.b === null ? null : Math.round((row.b / 1048576) * 10) / 10;
  } catch {
    return null;
  }
}
