/**
 * The audit benchmark's data (not timed): a fresh SQLite database migrated by the app's own
 * migrations, then `obligations` obligations × 4 events (OBLIGATION_OPENED, START_IMPLEMENTATION,
 * SUBMIT_REPORT, AGGREGATE) bulk-inserted with better-sqlite3 in large transactions, with valid
 * per-obligation hash chains, the global ledger in commit order and snapshots at `aggregated`.
 *
 * Events are written in rounds, as a cycle runs: every obligation opened, then every one started,
 * and so on, so event ids and ledger positions follow commit order and one obligation's events
 * lie far apart in the table (as in real data). Obligation i is agency ⌊i / 4⌋'s obligation of
 * cycle year 2025 + (i mod 4) of plan `bench-audit` (another SeedLayout may set the plan, the
 * agencies and the number of years); ids are UUID-shaped and increasing.
 *
 * Snapshots are the engine's own (startObligation + applyEvent) for the first obligation of each
 * year, with the per-obligation fields filled in; the benchmark's verify replays every obligation
 * and fails if any of them differs.
 *
 * Run in a child process by the benchmark (so the measuring process's peak RSS is its own):
 * `node dist/bench/audit-seed.js <dataDir> <obligations> [synthetic <years>]` prints the Seed as
 * JSON (`synthetic`: the scale benchmark's layout, see syntheticLayout).
 */
import { closeSync, fsyncSync, openSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type BetterSqlite3 from 'better-sqlite3';
import { eventHash, GENESIS_HASH, ledgerHash } from '../core/audit/event-hash.js';
import { applyEvent, startObligation } from '../core/machine/obligation-engine.js';
import type { MachineEvent } from '../core/machine/obligation-events.js';
import { openDataSource } from '../database/data-source.js';
import { agencyCode, BENCH_PLAN_ID } from './synthetic-plan.js';

export const AUDIT_PLAN_ID = 'bench-audit';
export const FIRST_YEAR = 2025;
export const YEARS = 4;
const MACHINE_VERSION = 'annual-report@1';
const DAY_MS = 86_400_000;
/** Obligations per bulk-insert transaction. */
const CHUNK = 25_000;

export interface AuditSeed {
  obligations: number;
  events: number;
  seconds: number;
  fileMiB: number;
}

/** The id of obligation i (UUID-shaped, increasing with i). */
export function obligationId(i: number): string {
  return `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
}

/**
 * Which plan, cycles and agencies the obligations belong to: obligation i is agency
 * ⌊i / years⌋'s obligation of cycle year FIRST_YEAR + (i mod years), so a cycle has
 * ⌈obligations / years⌉ obligations and its rows are spread over the whole table.
 */
export interface SeedLayout {
  planId: string;
  years: number;
  /** The code of the n-th agency (n from 0). */
  agencyCode: (n: number) => string;
}

/** The audit benchmark's layout: plan `bench-audit`, 4 years, agencies AG_000000 … */
export const AUDIT_LAYOUT: SeedLayout = {
  planId: AUDIT_PLAN_ID,
  years: YEARS,
  agencyCode: (n) => `AG_${String(n).padStart(6, '0')}`,
};

const dueOf = (year: number) => new Date(Date.UTC(year, 10, 14, 17, 0, 0)).toISOString();

interface Step {
  type: string;
  stage: string;
  actor: (i: number) => string;
  payload: (i: number) => Record<string, unknown>;
  /** Effective (= recorded) time of obligation i's event. */
  at: (i: number) => number;
}

/** The four events of obligation i, in order. */
function steps(layout: SeedLayout): Step[] {
  const yearOf = (i: number) => FIRST_YEAR + (i % layout.years);
  const agencyOf = (i: number) => layout.agencyCode(Math.floor(i / layout.years));
  const opened = (i: number) => Date.UTC(yearOf(i), 0, 2, 1, 0, 0) + (i % 86_400) * 1000;
  return [
    {
      type: 'OBLIGATION_OPENED',
      stage: 'plan_drafted',
      actor: () => 'admin',
      payload: (i) => ({
        planId: layout.planId,
        year: yearOf(i),
        agencyCode: agencyOf(i),
        kind: 'directed',
        dueAt: dueOf(yearOf(i)),
      }),
      at: opened,
    },
    {
      type: 'START_IMPLEMENTATION',
      stage: 'implementing',
      actor: (i) => `officer.${agencyOf(i).toLowerCase()}`,
      payload: (i) => ({ planRef: `${i + 1}/KH-${agencyOf(i)}` }),
      at: (i) => opened(i) + 30 * DAY_MS,
    },
    {
      type: 'SUBMIT_REPORT',
      stage: 'report_submitted',
      actor: (i) => `officer.${agencyOf(i).toLowerCase()}`,
      payload: (i) => ({
        reportRef: `${i + 1}/BC-${agencyOf(i)}`,
        summary: 'Báo cáo kết quả thực hiện kế hoạch năm',
      }),
      at: (i) => opened(i) + 200 * DAY_MS,
    },
    {
      type: 'AGGREGATE',
      stage: 'aggregated',
      actor: () => 'tonghop.snn',
      payload: () => ({}),
      at: (i) => opened(i) + 220 * DAY_MS,
    },
  ];
}

/** The engine's snapshot after the four events of obligation i (fields filled into a template). */
function snapshotMaker(all: Step[], years: number): (i: number) => string {
  const yearOf = (i: number) => FIRST_YEAR + (i % years);
  const templates = new Map<number, ReturnType<typeof startObligation>>();
  for (let y = 0; y < years; y++) {
    let state = startObligation(MACHINE_VERSION, { dueAt: dueOf(FIRST_YEAR + y) });
    for (const s of all.slice(1)) {
      state = applyEvent(MACHINE_VERSION, state.snapshot, {
        type: s.type,
        payload: s.payload(y),
        effectiveAt: new Date(s.at(y)).toISOString(),
        actor: s.actor(y),
      } as MachineEvent);
    }
    templates.set(FIRST_YEAR + y, state);
  }
  return (i) => {
    const t = templates.get(yearOf(i))!;
    const submit = all[2]!.payload(i);
    return JSON.stringify({
      value: t.snapshot.value,
      context: {
        ...t.snapshot.context,
        planRef: all[1]!.payload(i).planRef,
        reportRef: submit.reportRef,
        reportSummary: submit.summary,
        submittedAt: new Date(all[2]!.at(i)).toISOString(),
        aggregatedAt: new Date(all[3]!.at(i)).toISOString(),
      },
    });
  };
}

export async function seedAudit(
  dataDir: string,
  obligations: number,
  layout: SeedLayout = AUDIT_LAYOUT,
): Promise<AuditSeed> {
  const start = performance.now();
  const all = steps(layout);
  const snapshotOf = snapshotMaker(all, layout.years);
  const yearOf = (i: number) => FIRST_YEAR + (i % layout.years);
  const agencyOf = (i: number) => layout.agencyCode(Math.floor(i / layout.years));
  const ds = await openDataSource({ dataDir, databaseUrl: null });
  const db = (ds.driver as unknown as { databaseConnection: BetterSqlite3.Database })
    .databaseConnection;
  const file = db.name;
  try {
    db.pragma('synchronous = OFF');
    db.pragma('cache_size = -262144'); // 256 MiB, this connection only
    const insertCycle = db.prepare(
      `INSERT INTO cycles (plan_id, year, due_at, opened_at, opened_by) VALUES (?, ?, ?, ?, 'admin')`,
    );
    const insertObligation = db.prepare(
      `INSERT INTO obligations (id, plan_id, year, agency_code, origin_agency_code, kind, stage,
         snapshot, version, machine_version, due_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, 'directed', 'aggregated', ?, 4, ?, ?, ?, ?)`,
    );
    const insertEvent = db.prepare(
      `INSERT INTO obligation_events (obligation_id, seq, type, payload, actor, reason,
         effective_at, recorded_at, stage_after, machine_version, prev_hash, hash)
       VALUES (?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?)`,
    );
    const insertLedger = db.prepare(
      `INSERT INTO ledger (position, event_id, obligation_id, seq, event_hash, prev_hash, hash,
         recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    db.transaction(() => {
      for (let y = 0; y < layout.years; y++) {
        insertCycle.run(layout.planId, FIRST_YEAR + y, Date.parse(dueOf(FIRST_YEAR + y)), 0);
      }
    })();
    const loadObligations = db.transaction((from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const created = all[0]!.at(i);
        insertObligation.run(
          obligationId(i),
          layout.planId,
          yearOf(i),
          agencyOf(i),
          agencyOf(i),
          snapshotOf(i),
          MACHINE_VERSION,
          Date.parse(dueOf(yearOf(i))),
          created,
          all[3]!.at(i),
        );
      }
    });
    for (let from = 0; from < obligations; from += CHUNK) {
      loadObligations(from, Math.min(obligations, from + CHUNK));
    }
    const lastHash: string[] = new Array<string>(obligations).fill(GENESIS_HASH);
    let position = 0;
    let ledgerHead = GENESIS_HASH;
    const loadRound = db.transaction((seq: number, from: number, to: number) => {
      const step = all[seq - 1]!;
      for (let i = from; i < to; i++) {
        const id = obligationId(i);
        const at = step.at(i);
        const iso = new Date(at).toISOString();
        const payload = step.payload(i);
        const prevHash = lastHash[i]!;
        const hash = eventHash({
          obligationId: id,
          seq,
          type: step.type,
          payload,
          actor: step.actor(i),
          reason: null,
          effectiveAt: iso,
          recordedAt: iso,
          machineVersion: MACHINE_VERSION,
          prevHash,
        });
        lastHash[i] = hash;
        const eventId = insertEvent.run(
          id,
          seq,
          step.type,
          JSON.stringify(payload),
          step.actor(i),
          at,
          at,
          step.stage,
          MACHINE_VERSION,
          prevHash,
          hash,
        ).lastInsertRowid;
        position += 1;
        const link = ledgerHash(position, hash, ledgerHead);
        insertLedger.run(position, eventId, id, seq, hash, ledgerHead, link, at);
        ledgerHead = link;
      }
    });
    for (let seq = 1; seq <= all.length; seq++) {
      for (let from = 0; from < obligations; from += CHUNK) {
        loadRound(seq, from, Math.min(obligations, from + CHUNK));
      }
    }
    db.pragma('wal_checkpoint(TRUNCATE)');
    const pages = db.pragma('page_count', { simple: true }) as number;
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    return {
      obligations,
      events: position,
      seconds: (performance.now() - start) / 1000,
      fileMiB: Math.round(((pages * pageSize) / 1024 / 1024) * 10) / 10,
    };
  } finally {
    await ds.destroy();
    // Written with synchronous = OFF: flush now, so writeback does not run during the timing.
    const fd = openSync(file, 'r+');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}

/** The scale benchmark's layout: the synthetic plan's agencies (BENCH_00001 …) over `years`. */
export function syntheticLayout(years: number): SeedLayout {
  return { planId: BENCH_PLAN_ID, years, agencyCode: (n) => agencyCode(n + 1) };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [dataDir, count, layout, years] = process.argv.slice(2);
  seedAudit(
    dataDir!,
    Number(count),
    layout === 'synthetic' ? syntheticLayout(Number(years)) : AUDIT_LAYOUT,
  ).then(
    (seed) => process.stdout.write(JSON.stringify(seed) + '\n'),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
