/**
 * The raw baseline: better-sqlite3 with prepared statements on the engine's own schema (the
 * migration's SQLite branch, run through a minimal QueryRunner), one transaction per transition:
 * BEGIN; SELECT the obligation; compare-and-set UPDATE; INSERT the event; COMMIT.
 */
import BetterSqlite3 from 'better-sqlite3';
import type { QueryRunner } from 'typeorm';
import { startObligation } from '../core/machine/obligation-engine.js';
import { newObligationId } from '../obligations/obligation-id.js';
import { InitialSchema1732800000000 } from '../database/migrations/1732800000000-initial-schema.js';
import { BENCH_PLAN_ID, BENCH_YEAR, agencyCode } from './synthetic-plan.js';
import { STEPS, type Timed } from './steps.js';

const MACHINE_VERSION = 'annual-report@1';
const DUE_AT = '2025-11-14T17:00:00.000Z';
const INSERT_EVENT = `INSERT INTO obligation_events (obligation_id, seq, type, payload, actor, reason, effective_at,
   recorded_at, stage_after, machine_version) VALUES (?, ?, ?, ?, ?, NULL, ?, ?, ?, ?)`;

/** The same context an obligation starts with (so the snapshot JSON has the engine's size). */
function initialContext(): Record<string, unknown> {
  return { ...startObligation(MACHINE_VERSION, { dueAt: DUE_AT }).context };
}

async function createSchema(db: BetterSqlite3.Database): Promise<void> {
  const runner = {
    connection: { driver: { options: { type: 'better-sqlite3' } } },
    query: async (text: string) => void db.exec(text),
  };
  await new InitialSchema1732800000000().up(runner as unknown as QueryRunner);
}

export interface RawDb {
  db: BetterSqlite3.Database;
  ids: string[];
}

/**
 * A fresh database file with `count` obligations at plan_drafted and their opening events;
 * `synchronous` as the engine's DONDOC_SQLITE_SYNCHRONOUS.
 */
export async function openRaw(
  file: string,
  count: number,
  synchronous: 'normal' | 'full' = 'normal',
): Promise<RawDb> {
  const db = new BetterSqlite3(file);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
  db.pragma('foreign_keys = ON'); // as the engine's connection
  db.pragma('temp_store = MEMORY'); // as well (it uses no temporary files or savepoints)
  await createSchema(db);
  const insertObligation = db.prepare(
    `INSERT INTO obligations (id, plan_id, year, agency_code, kind, stage, snapshot, version,
       machine_version, due_at, created_at, updated_at)
     VALUES (?, ?, ?, ?, 'directed', 'plan_drafted', ?, 1, ?, ?, ?, ?)`,
  );
  const insertEvent = db.prepare(INSERT_EVENT);
  const ids: string[] = [];
  const now = Date.now();
  const snapshot = JSON.stringify({ value: 'plan_drafted', context: initialContext() });
  db.transaction(() => {
    for (let i = 1; i <= count; i++) {
      const id = newObligationId(); // as the engine's cycle opening
      const code = agencyCode(i);
      ids.push(id);
      insertObligation.run(
        id,
        BENCH_PLAN_ID,
        BENCH_YEAR,
        code,
        snapshot,
        MACHINE_VERSION,
        Date.parse(DUE_AT),
        now,
        now,
      );
      const payload = {
        planId: BENCH_PLAN_ID,
        year: BENCH_YEAR,
        agencyCode: code,
        kind: 'directed',
        dueAt: DUE_AT,
      };
      insertEvent.run(
        id,
        1,
        'OBLIGATION_OPENED',
        JSON.stringify(payload),
        'bench',
        now,
        now,
        'plan_drafted',
        MACHINE_VERSION,
      );
    }
  })();
  return { db, ids };
}

/** Runs the 4 transitions of every obligation, one transaction each; returns the timing. */
export function runRaw({ db, ids }: RawDb): Timed {
  const begin = db.prepare('BEGIN');
  const commit = db.prepare('COMMIT');
  const select = db.prepare<[string], { snapshot: string; version: number; stage: string }>(
    'SELECT id, stage, snapshot, version FROM obligations WHERE id = ?',
  );
  const update = db.prepare(
    `UPDATE obligations SET stage = ?, snapshot = ?, version = version + 1, updated_at = ?
     WHERE id = ? AND version = ?`,
  );
  const insertEvent = db.prepare(INSERT_EVENT);
  const start = performance.now();
  let commands = 0;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    for (const step of STEPS) {
      begin.run();
      try {
        const row = select.get(id);
        if (!row) throw new Error(`raw: obligation ${id} not found`);
        const snapshot = JSON.parse(row.snapshot) as { value: string; context: object };
        const now = Date.now();
        const at = new Date(now).toISOString();
        const payload = step.payload(i);
        snapshot.value = step.stageAfter;
        Object.assign(snapshot.context, step.context(payload, at));
        const changed = update.run(
          step.stageAfter,
          JSON.stringify(snapshot),
          now,
          id,
          row.version,
        ).changes;
        if (changed !== 1) throw new Error(`raw: version conflict on ${id}`);
        insertEvent.run(
          id,
          row.version + 1,
          step.type,
          JSON.stringify(payload),
          'bench',
          now,
          now,
          step.stageAfter,
          MACHINE_VERSION,
        );
        commit.run();
        commands += 1;
      } catch (error) {
        if (db.inTransaction) db.exec('ROLLBACK');
        throw error;
      }
    }
  }
  return { commands, seconds: (performance.now() - start) / 1000 };
}

/** Problems found (empty when every obligation is reported and every event is there). */
export function verifyRaw({ db, ids }: RawDb): string[] {
  const reported = db
    .prepare<[], { n: number }>(
      `SELECT COUNT(*) AS n FROM obligations WHERE stage = 'reported_to_ubnd'`,
    )
    .get()!.n;
  const events = db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM obligation_events').get()!
    .n;
  const problems: string[] = [];
  if (reported !== ids.length)
    problems.push(`raw: ${reported} of ${ids.length} obligations reached reported_to_ubnd`);
  if (events !== ids.length * (1 + STEPS.length))
    problems.push(`raw: ${events} event rows, expected ${ids.length * (1 + STEPS.length)}`);
  return problems;
}
