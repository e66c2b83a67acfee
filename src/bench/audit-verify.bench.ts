/**
 * Audit verification at scale, on SQLite: 250,000 obligations × 4 events = 1,000,000 events with
 * valid hash chains, ledger and snapshots (seeded by audit-seed.ts in a child process, so this
 * process's peak RSS is the measurement's own). Times, in the same run and on the same rows:
 *   (a) the bare read: a raw better-sqlite3 SELECT of every event row, JSON-parsing each payload
 *       (median of BENCH_AUDIT_REPS runs after a warm-up); the same in obligation order for
 *       reference;
 *   (b) VerifyService.verify() over everything: both chains recomputed, every obligation replayed
 *       and compared with its snapshot, the whole ledger walked;
 *   (c) for the breakdown and for memory: verify of one cycle year (a quarter of the obligations,
 *       still the whole ledger) and of no obligation (the ledger pass alone);
 * and prints events/s, the ratio (b)/(a) (target ≥ 0.25), the peak RSS, and the heap before,
 * during and after each verify: flat memory means the peak heap does not grow with the events
 * verified. A benchmark, not a test: it fails (exit 1) only when the verify does not find the
 * seeded trail intact, never because of speed.
 *
 * Run by `npm run bench` after the command and timer benchmarks; adds `auditVerify` to
 * bench-results.json. Overrides for quick runs: BENCH_AUDIT_OBLIGATIONS (250000),
 * BENCH_AUDIT_REPS (3); BENCH_KEEP_TMP=1 keeps the temp folder with the database.
 */
import 'reflect-metadata';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import BetterSqlite3 from 'better-sqlite3';
import { AppModule } from '../app.module.js';
import {
  VerifyService,
  type VerifyFilter,
  type VerifyOptions,
  type VerifyReport,
} from '../audit/verify.service.js';
import { loadConfig } from '../config/app-config.js';
import { measureBreakdown, type Breakdown } from './audit-breakdown.js';
import { AUDIT_PLAN_ID, FIRST_YEAR, type AuditSeed } from './audit-seed.js';
import { envInt } from './bench-env.js';

const OBLIGATIONS = envInt('BENCH_AUDIT_OBLIGATIONS', 250_000);
const REPS = Math.max(1, envInt('BENCH_AUDIT_REPS', 3));
const KEEP = process.env.BENCH_KEEP_TMP === '1';
const TARGET_RATIO = 0.25;
/** Obligations of the in-memory sample that breaks the cost per event down. */
const BREAKDOWN_SAMPLE = 10_000;

const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
const mib = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
const peakRssMiB = () => Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10;
const round3 = (x: number) => Math.round(x * 1000) / 1000;
const log = (msg: string) => console.log(`[audit-bench] ${msg}`);

const EVENT_COLUMNS = `obligation_id, seq, type, payload, actor, reason, effective_at, recorded_at,
  machine_version, prev_hash, hash`;

interface Timed {
  events: number;
  seconds: number;
}

/** The bare read: every event row through a raw statement, each payload JSON-parsed. */
function bareRead(raw: BetterSqlite3.Database, ordered: boolean): Timed {
  const stmt = raw.prepare(
    `SELECT ${EVENT_COLUMNS} FROM obligation_events${ordered ? ' ORDER BY obligation_id, seq' : ''}`,
  );
  const start = performance.now();
  let events = 0;
  let keys = 0;
  for (const row of stmt.iterate() as Iterable<{ payload: string }>) {
    keys += Object.keys(JSON.parse(row.payload) as object).length;
    events += 1;
  }
  const seconds = (performance.now() - start) / 1000;
  if (keys === 0) throw new Error('no payload was read');
  return { events, seconds };
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

interface MemoryRun {
  report: VerifyReport;
  seconds: number;
  /** Heap in use after a full GC before and after, and the highest sampled while it ran. */
  heapBeforeMiB: number;
  heapPeakMiB: number;
  heapAfterMiB: number;
  rssPeakMiB: number;
}

/** One verify, with the heap sampled every 50 ms while it runs. */
async function timedVerify(
  verifier: VerifyService,
  filter: VerifyFilter,
  options: VerifyOptions = {},
): Promise<MemoryRun> {
  gc();
  const before = process.memoryUsage();
  let heapPeak = before.heapUsed;
  let rssPeak = before.rss;
  const sample = () => {
    const m = process.memoryUsage();
    heapPeak = Math.max(heapPeak, m.heapUsed);
    rssPeak = Math.max(rssPeak, m.rss);
  };
  const timer = setInterval(sample, 50);
  const start = performance.now();
  let report: VerifyReport;
  try {
    report = await verifier.verify(filter, options);
  } finally {
    clearInterval(timer);
  }
  const seconds = (performance.now() - start) / 1000;
  sample();
  gc();
  return {
    report,
    seconds,
    heapBeforeMiB: mib(before.heapUsed),
    heapPeakMiB: mib(heapPeak),
    heapAfterMiB: mib(process.memoryUsage().heapUsed),
    rssPeakMiB: mib(rssPeak),
  };
}

function seed(dataDir: string): AuditSeed {
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'audit-seed.js');
  const child = spawnSync(process.execPath, [script, dataDir, String(OBLIGATIONS)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1024 * 1024,
  });
  if (child.status !== 0) throw new Error(`seeding failed (exit ${child.status})`);
  return JSON.parse(child.stdout.trim().split('\n').pop()!) as AuditSeed;
}

async function openApp(dataDir: string): Promise<INestApplicationContext> {
  const config = {
    ...loadConfig({}),
    dataDir,
    databaseUrl: null,
    openCurrentCycleAtStart: false,
    adminPassword: 'bench-admin-password',
    webhookUrls: [],
    smtpUrl: null,
  };
  const app = await NestFactory.createApplicationContext(
    AppModule.register(config, { scheduler: false }),
    { logger: ['error', 'warn'] },
  );
  await app.init();
  return app;
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (c: string[]) =>
    c.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ');
  console.log(['', line(header), widths.map((w) => '-'.repeat(w)).join('  ')].join('\n'));
  for (const r of rows) console.log(line(r));
}

async function main(): Promise<number> {
  const tmp = mkdtempSync(path.join(tmpdir(), 'dondoc-audit-bench-'));
  const problems: string[] = [];
  let app: INestApplicationContext | undefined;
  try {
    log(`seeding ${OBLIGATIONS} obligations × 4 events in a child process…`);
    const seeded = seed(tmp);
    log(
      `seeded ${seeded.events} events in ${seeded.seconds.toFixed(1)} s; ` +
        `database ${seeded.fileMiB} MiB`,
    );

    const raw = new BetterSqlite3(path.join(tmp, 'dondoc.sqlite'), { readonly: true });
    let bare: Timed;
    let bareOrdered: Timed;
    let breakdown: Breakdown;
    try {
      bareRead(raw, false); // warm-up: the file into the page cache, the statement compiled
      const runs = Array.from({ length: REPS }, () => bareRead(raw, false));
      bare = { events: runs[0]!.events, seconds: median(runs.map((r) => r.seconds)) };
      bareOrdered = bareRead(raw, true);
      breakdown = measureBreakdown(raw, Math.min(OBLIGATIONS, BREAKDOWN_SAMPLE));
    } finally {
      raw.close();
    }
    log(`bare read: ${bare.events} rows, median ${bare.seconds.toFixed(3)} s of ${REPS}`);

    app = await openApp(tmp);
    const verifier = app.get(VerifyService);
    // The first verify starts the worker threads, whose code then runs unoptimised; like the
    // bare read, the figure is the median of REPS runs after that warm-up (reported too).
    const cold = await timedVerify(verifier, {});
    log(
      `verify (everything, first run): ${cold.seconds.toFixed(2)} s on ${cold.report.workers} worker thread(s)`,
    );
    const runs: MemoryRun[] = [];
    for (let i = 0; i < REPS; i++) runs.push(await timedVerify(verifier, {}));
    const full = [...runs].sort((a, b) => a.seconds - b.seconds)[Math.floor(runs.length / 2)]!;
    log(`verify (everything): median ${full.seconds.toFixed(2)} s of ${REPS}`);
    const single = await timedVerify(verifier, {}, { workers: 0 });
    log(`verify (everything, in one thread): ${single.seconds.toFixed(2)} s`);
    const quarter = await timedVerify(verifier, { planId: AUDIT_PLAN_ID, year: FIRST_YEAR });
    log(`verify (one year): ${quarter.seconds.toFixed(2)} s`);
    const ledgerOnly = await timedVerify(verifier, { year: 1999 });
    log(`verify (no obligation, ledger only): ${ledgerOnly.seconds.toFixed(2)} s`);

    for (const r of [cold, single]) {
      if (!r.report.ok || r.report.events !== full.report.events) {
        problems.push(`a verify (workers: ${r.report.workers}) did not agree with the others`);
      }
    }
    if (!full.report.ok) {
      problems.push(
        `verify found ${full.report.problemCount} problem(s) in the seeded trail, e.g. ` +
          JSON.stringify(full.report.problems.slice(0, 3)),
      );
    }
    if (full.report.events !== seeded.events || full.report.ledgerEntries !== seeded.events) {
      problems.push(
        `verify saw ${full.report.events} events and ${full.report.ledgerEntries} ledger entries, ` +
          `expected ${seeded.events}`,
      );
    }
    if (quarter.report.events !== seeded.events / 4 || !quarter.report.ok) {
      problems.push(`the one-year verify saw ${quarter.report.events} events`);
    }

    const rate = (t: Timed) => t.events / t.seconds;
    const verifyRate = full.report.events / full.seconds;
    const ratio = verifyRate / rate(bare);
    const obligationPassSeconds = full.seconds - ledgerOnly.seconds;
    printTable(
      ['pass', 'events', 'seconds', 'events/s', 'ratio to bare'],
      [
        ['bare read + JSON.parse (table order)', bare, 1],
        ['bare read + JSON.parse (obligation order)', bareOrdered, 1],
      ]
        .map(([name, t]) => {
          const timed = t as Timed;
          return [
            name as string,
            String(timed.events),
            timed.seconds.toFixed(3),
            rate(timed).toFixed(0),
            (rate(timed) / rate(bare)).toFixed(3),
          ];
        })
        .concat([
          [
            `VerifyService.verify() (everything, ${full.report.workers} worker threads)`,
            String(full.report.events),
            full.seconds.toFixed(3),
            verifyRate.toFixed(0),
            ratio.toFixed(3),
          ],
          [
            `  first run (${cold.report.workers} worker threads starting)`,
            String(cold.report.events),
            cold.seconds.toFixed(3),
            (cold.report.events / cold.seconds).toFixed(0),
            (cold.report.events / cold.seconds / rate(bare)).toFixed(3),
          ],
          [
            '  in one thread (DONDOC_VERIFY_WORKERS=0)',
            String(single.report.events),
            single.seconds.toFixed(3),
            (single.report.events / single.seconds).toFixed(0),
            (single.report.events / single.seconds / rate(bare)).toFixed(3),
          ],
          [
            '  of which the ledger pass',
            String(ledgerOnly.report.ledgerEntries),
            ledgerOnly.seconds.toFixed(3),
            (ledgerOnly.report.ledgerEntries / ledgerOnly.seconds).toFixed(0),
            '-',
          ],
          [
            '  of which the obligation pass (difference)',
            String(full.report.events),
            obligationPassSeconds.toFixed(3),
            (full.report.events / obligationPassSeconds).toFixed(0),
            '-',
          ],
        ]),
    );
    printTable(
      ['verify', 'events', 'heap before MiB', 'heap peak MiB', 'heap after MiB', 'RSS peak MiB'],
      [
        ['everything', full],
        ['everything, first run', cold],
        ['everything, one thread', single],
        ['one year', quarter],
        ['ledger only', ledgerOnly],
      ].map(([name, r]) => {
        const m = r as MemoryRun;
        return [
          name as string,
          String(m.report.events),
          String(m.heapBeforeMiB),
          String(m.heapPeakMiB),
          String(m.heapAfterMiB),
          String(m.rssPeakMiB),
        ];
      }),
    );
    const perEvent = (micros: number) => `${micros.toFixed(2)} µs`;
    const verifyMicros = (full.seconds * 1e6) / full.report.events;
    const bareMicros = (bare.seconds * 1e6) / bare.events;
    const singleMicros = (single.seconds * 1e6) / single.report.events;
    printTable(
      ['per event (sample of ' + breakdown.obligations + ' obligations in memory)', 'cost'],
      [
        ['bare read + JSON.parse', perEvent(bareMicros)],
        ['verify, all included (wall time, worker threads)', perEvent(verifyMicros)],
        ['verify, all included (one thread)', perEvent(singleMicros)],
        ['  replay() (engine: XState transition per event)', perEvent(breakdown.replayMicros)],
        ['  event hash (canonicalJson + SHA-256)', perEvent(breakdown.eventHashMicros)],
        ['  ledger hash (canonicalJson + SHA-256)', perEvent(breakdown.ledgerHashMicros)],
      ],
    );
    const peak = peakRssMiB();
    console.log(
      `\nverify ${verifyRate.toFixed(0)} events/s vs bare read ${rate(bare).toFixed(0)} rows/s: ` +
        `ratio ${ratio.toFixed(3)} (target ≥ ${TARGET_RATIO}: ${ratio >= TARGET_RATIO ? 'met' : 'NOT met'}); ` +
        `peak RSS ${peak} MiB`,
    );

    const resultsFile = path.resolve('bench-results.json');
    const results = existsSync(resultsFile)
      ? (JSON.parse(readFileSync(resultsFile, 'utf8')) as Record<string, unknown>)
      : {};
    const memory = (m: MemoryRun) => ({
      events: m.report.events,
      seconds: round3(m.seconds),
      heapBeforeMiB: m.heapBeforeMiB,
      heapPeakMiB: m.heapPeakMiB,
      heapAfterMiB: m.heapAfterMiB,
      rssPeakMiB: m.rssPeakMiB,
    });
    results.auditVerify = {
      generatedAt: new Date().toISOString(),
      node: process.version,
      obligations: seeded.obligations,
      events: seeded.events,
      databaseFileMiB: seeded.fileMiB,
      setupSeconds: round3(seeded.seconds),
      bareRead: {
        events: bare.events,
        medianSeconds: round3(bare.seconds),
        eventsPerSecond: Math.round(rate(bare)),
        repetitions: REPS,
      },
      bareReadObligationOrder: {
        seconds: round3(bareOrdered.seconds),
        eventsPerSecond: Math.round(rate(bareOrdered)),
      },
      verify: {
        ...memory(full),
        eventsPerSecond: Math.round(verifyRate),
        workers: full.report.workers,
        repetitions: REPS,
      },
      verifyFirstRun: memory(cold),
      verifyOneThread: {
        ...memory(single),
        eventsPerSecond: Math.round(single.report.events / single.seconds),
        ratioToBare: round3(single.report.events / single.seconds / rate(bare)),
      },
      verifyOneYear: memory(quarter),
      verifyLedgerOnly: memory(ledgerOnly),
      ratioToBare: round3(ratio),
      breakdownMicrosPerEvent: {
        sampleObligations: breakdown.obligations,
        bareRead: round3(bareMicros),
        verify: round3(verifyMicros),
        verifyOneThread: round3(singleMicros),
        replay: round3(breakdown.replayMicros),
        eventHash: round3(breakdown.eventHashMicros),
        ledgerHash: round3(breakdown.ledgerHashMicros),
      },
      targetRatio: TARGET_RATIO,
      peakRssMiB: peak,
      integrity: { ok: problems.length === 0, problems },
    };
    writeFileSync(resultsFile, JSON.stringify(results, null, 2) + '\n');
    log(`results written to ${resultsFile}`);
  } finally {
    await app?.close();
    if (KEEP) log(`kept ${tmp}`);
    else rmSync(tmp, { recursive: true, force: true });
  }
  for (const p of problems) console.error(`[audit-bench] INTEGRITY: ${p}`);
  return problems.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
