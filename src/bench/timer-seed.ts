/**
 * The timer benchmark's data (not timed as part of the benchmark): a fresh SQLite database
 * migrated by the app's own migrations (openDataSource), then `agencies × years` obligations
 * bulk-inserted with better-sqlite3 prepared statements on the DataSource's own connection, in
 * large transactions: each obligation at plan_drafted with a real snapshot (startObligation),
 * its OBLIGATION_OPENED event and 3 pending timers (REMIND 1, DEADLINE_PASSED 1, ESCALATE 2).
 *
 * Obligation i belongs to agency ⌊i / years⌋ and to cycle year FIRST_YEAR + (i mod years), so
 * the cycle FIRST_YEAR is 1/years of the rows, spread evenly through the tables (every
 * `years`-th obligation, every 3·years-th timer). The sweep instant is that cycle's REMIND 1
 * instant: each of its obligations has exactly its REMIND 1 due (within the hour before), and
 * every other timer of every obligation lies in the future. Obligation ids are UUID-shaped and
 * increasing (insertion order), which keeps the bulk load fast; the sweep reads them by key.
 *
 * The plan is the command benchmark's synthetic plan (directed departments), re-identified as
 * TIMER_PLAN_ID, so the plan registry knows every agency code of the rows.
 */
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { parse, stringify } from 'yaml';
import { startObligation } from '../core/machine/obligation-engine.js';
import { openDataSource } from '../database/data-source.js';
import { agencyCode, writeSyntheticPlan } from './synthetic-plan.js';

export const TIMER_PLAN_ID = 'bench-timers';
export const FIRST_YEAR = 2025;
const MACHINE_VERSION = 'annual-report@1';
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** Obligations per bulk-insert transaction. */
const CHUNK = 50_000;

export interface SeedOptions {
  dataDir: string;
  workflowsDir: string;
  /** Agencies in the plan (at most 99,999). */
  agencies: number;
  /** Cycles per agency, FIRST_YEAR onwards; the first one is the due one. */
  years: number;
}

export interface Seed {
  /** The sweep instant (epoch ms): REMIND 1 of cycle FIRST_YEAR. */
  now: number;
  obligations: number;
  timers: number;
  /** Ids of the timers due at `now` (one per obligation of cycle FIRST_YEAR). */
  dueTimerIds: Set<number>;
  /** Obligation ids of cycle FIRST_YEAR. */
  dueObligations: number;
  /** Size of the database file after the load, MiB. */
  fileMiB: number;
}

/** The plan's deadline of cycle `year`: 15/11 00:00 Asia/Ho_Chi_Minh (fixed-exclusive). */
function deadlineOf(year: number): number {
  return Date.UTC(year, 10, 14, 17, 0, 0);
}

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32), so runs compare. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A UUID-shaped (version 4 layout) id that increases with i. */
function obligationId(i: number): string {
  return `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
}

/** Writes the synthetic plan under TIMER_PLAN_ID into `workflowsDir`. */
export function writeTimerPlan(workflowsDir: string, agencies: number): void {
  const written = writeSyntheticPlan(workflowsDir, agencies);
  const plan = parse(readFileSync(written, 'utf8')) as { id: string };
  plan.id = TIMER_PLAN_ID;
  const dir = path.join(workflowsDir, TIMER_PLAN_ID);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'plan.yaml'), stringify(plan, { lineWidth: 0 }), 'utf8');
  rmSync(path.dirname(written), { recursive: true, force: true });
}

export async function seedTimers(options: SeedOptions): Promise<Seed> {
  const { dataDir, workflowsDir, agencies, years } = options;
  writeTimerPlan(workflowsDir, agencies);
  const now = deadlineOf(FIRST_YEAR) - 30 * DAY_MS; // the ladder's first reminder: 30 days before
  const openedAt = now - 60 * DAY_MS;
  const cycles = Array.from({ length: years }, (_, k) => {
    const year = FIRST_YEAR + k;
    const due = deadlineOf(year);
    const dueIso = new Date(due).toISOString();
    return {
      year,
      due,
      dueIso,
      snapshot: JSON.stringify(startObligation(MACHINE_VERSION, { dueAt: dueIso }).snapshot),
      remind: due - 30 * DAY_MS,
      deadline: due,
      escalate: due + 7 * DAY_MS, // ≈ 5 working days late
    };
  });

  const ds = await openDataSource({ dataDir, databaseUrl: null });
  const db = (ds.driver as unknown as { databaseConnection: BetterSqlite3.Database })
    .databaseConnection;
  const file = db.name;
  const dueTimerIds = new Set<number>();
  const total = agencies * years;
  try {
    // Bulk-load settings for this connection only; the app reopens the file with its own.
    db.pragma('synchronous = OFF');
    db.pragma('cache_size = -262144'); // 256 MiB
    const insertCycle = db.prepare(
      `INSERT INTO cycles (plan_id, year, due_at, opened_at, opened_by) VALUES (?, ?, ?, ?, 'bench')`,
    );
    const insertObligation = db.prepare(
      `INSERT INTO obligations (id, plan_id, year, agency_code, origin_agency_code, kind, stage,
         snapshot, version, machine_version, due_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, 'directed', 'plan_drafted', ?, 1, ?, ?, ?, ?)`,
    );
    const insertEvent = db.prepare(
      `INSERT INTO obligation_events (obligation_id, seq, type, payload, actor, reason,
         effective_at, recorded_at, stage_after, machine_version)
       VALUES (?, 1, 'OBLIGATION_OPENED', ?, 'bench', NULL, ?, ?, 'plan_drafted', ?)`,
    );
    const insertTimer = db.prepare<[string, string, number, number]>(
      `INSERT INTO timers (obligation_id, kind, level, due_at) VALUES (?, ?, ?, ?)`,
    );
    const random = prng(20251115);
    db.transaction(() => {
      for (const c of cycles) insertCycle.run(TIMER_PLAN_ID, c.year, c.due, openedAt);
    })();
    const load = db.transaction((from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const c = cycles[i % years]!;
        const code = agencyCode(1 + Math.floor(i / years));
        const id = obligationId(i);
        insertObligation.run(
          id,
          TIMER_PLAN_ID,
          c.year,
          code,
          code,
          c.snapshot,
          MACHINE_VERSION,
          c.due,
          openedAt,
          openedAt,
        );
        const payload = `{"planId":"${TIMER_PLAN_ID}","year":${c.year},"agencyCode":"${code}","kind":"directed","dueAt":"${c.dueIso}"}`;
        insertEvent.run(id, payload, openedAt, openedAt, MACHINE_VERSION);
        if (c.year === FIRST_YEAR) {
          // Due: somewhere in the hour before the sweep instant (a sweeper catching up).
          const dueAt = now - Math.floor(random() * HOUR_MS);
          dueTimerIds.add(Number(insertTimer.run(id, 'REMIND', 1, dueAt).lastInsertRowid));
        } else {
          insertTimer.run(id, 'REMIND', 1, c.remind);
        }
        insertTimer.run(id, 'DEADLINE_PASSED', 1, c.deadline);
        insertTimer.run(id, 'ESCALATE', 2, c.escalate);
      }
    });
    for (let from = 0; from < total; from += CHUNK) load(from, Math.min(total, from + CHUNK));
    db.pragma('wal_checkpoint(TRUNCATE)');
    const pages = db.pragma('page_count', { simple: true }) as number;
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    return {
      now,
      obligations: total,
      timers: total * 3,
      dueTimerIds,
      dueObligations: dueTimerIds.size,
      fileMiB: (pages * pageSize) / 1024 / 1024,
    };
  } finally {
    await ds.destroy();
    // The load ran with synchronous = OFF: write it out now, so that the kernel's writeback of
    // ~1 GiB does not run during the timed part.
    const fd = openSync(file, 'r+');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}
