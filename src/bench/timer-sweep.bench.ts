/**
 * Timer sweep on SQLite at scale: 1,000,000 obligations with 3 pending timers each (3,000,000
 * timers), 1% of the obligations (10,000) with exactly one timer due. Times
 *   (a) the bare indexed SELECT of the due timers on a raw better-sqlite3 connection, with
 *       variants that add one feature of the engine's query at a time;
 *   (b) the engine's lookup: TimerRepository.findDue through the app's Database in the sweep's
 *       batches of 500 until all due timers are read (not fired);
 *   (c) SweepService.sweep(now) finding, claiming and firing all of them;
 * prints EXPLAIN QUERY PLAN of the bare and the engine's query, then checks that every due timer
 * fired exactly once with exactly one new event; finally (d) measures the proposed index and
 * lookup on the same data. A benchmark, not a test: it fails (exit 1) only when the integrity
 * checks fail, never because of speed.
 *
 * Run by `npm run bench` after the command benchmark; adds `timerSweep` to bench-results.json.
 * Optional overrides for quick runs: BENCH_TIMER_AGENCIES (10000), BENCH_TIMER_YEARS (100),
 * BENCH_TIMER_REPS (5); BENCH_TIMER_WHATIF=0 skips (d), the proposed index measured on the same
 * database after the checks; BENCH_KEEP_TMP=1 keeps the temp folder with the database.
 */
import 'reflect-metadata';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import BetterSqlite3 from 'better-sqlite3';
import { AppModule } from '../app.module.js';
import { loadConfig } from '../config/app-config.js';
import { Database } from '../database/database.js';
import { dataSourceOptions } from '../database/data-source.js';
import { SqliteDatabase } from '../database/sqlite-database.js';
import { SweepService } from '../timers/sweep.service.js';
import { TimerRepository } from '../timers/timer.repository.js';
import {
  BARE_SQL,
  PROPOSED_INDEX,
  PROPOSED_SQL,
  SWEEP_BATCH,
  engineLookup,
  engineOnce,
  explain,
  findDueLookup,
  findDueQuery,
  indexMiB,
  proposedLookup,
  rawLookup,
  rawVariants,
  repeat,
  timeRaw,
  type RawTiming,
} from './timer-queries.js';
import { FIRST_YEAR, TIMER_PLAN_ID, seedTimers, type Seed } from './timer-seed.js';
import { envInt } from './bench-env.js';

const AGENCIES = envInt('BENCH_TIMER_AGENCIES', 10_000);
const YEARS = envInt('BENCH_TIMER_YEARS', 100);
const REPS = Math.max(1, envInt('BENCH_TIMER_REPS', 5));
const KEEP = process.env.BENCH_KEEP_TMP === '1';
const WHAT_IF = process.env.BENCH_TIMER_WHATIF !== '0';
/** The lookup's target: at most this many times the bare query. */
const TARGET_RATIO = 2;

const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
const mib = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
const peakRssMiB = () => Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10;
const ms = (seconds: number) => Math.round(seconds * 1e6) / 1e3;
const round2 = (x: number) => Math.round(x * 100) / 100;
const round3 = (x: number) => Math.round(x * 1000) / 1000;
const oneLine = (text: string) => text.replace(/\s+/g, ' ');
const log = (msg: string) => console.log(`[timer-bench] ${msg}`);

async function openApp(dataDir: string, workflowsDir: string) {
  const config = {
    ...loadConfig({}),
    dataDir,
    databaseUrl: null,
    workflowsDir,
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
  const db = app.get(Database);
  if (!(db instanceof SqliteDatabase)) {
    await app.close();
    throw new Error('the benchmark needs the SQLite database');
  }
  return { app, db, sweeps: app.get(SweepService) };
}

interface SweepRun {
  fired: number;
  seconds: number;
  /** Time inside findDue during the sweep, and how many times it ran. */
  lookupSeconds: number;
  lookupCalls: number;
}

/** The whole sweep, with findDue wrapped (for the record) to see its share. */
async function timedSweep(sweeps: SweepService, now: number): Promise<SweepRun> {
  const original = TimerRepository.findDue;
  let lookupSeconds = 0;
  let lookupCalls = 0;
  TimerRepository.findDue = async (sql, at, limit, aheadLimit) => {
    const start = performance.now();
    try {
      return await original(sql, at, limit, aheadLimit);
    } finally {
      lookupSeconds += (performance.now() - start) / 1000;
      lookupCalls += 1;
    }
  };
  try {
    const start = performance.now();
    const fired = await sweeps.sweep(now);
    const seconds = (performance.now() - start) / 1000;
    return { fired: fired.length, seconds, lookupSeconds, lookupCalls };
  } finally {
    TimerRepository.findDue = original;
  }
}

/** Problems found after the sweep (empty when every due timer fired exactly once). */
function verify(raw: BetterSqlite3.Database, seed: Seed, eventsBefore: number): string[] {
  const n = (text: string, ...params: unknown[]) =>
    (raw.prepare(text).get(...params) as { n: number }).n;
  const due = seed.dueTimerIds.size;
  const problems: string[] = [];
  const firedIds = raw
    .prepare('SELECT id FROM timers WHERE fired_at IS NOT NULL')
    .pluck()
    .all() as number[];
  if (firedIds.length !== due) problems.push(`${firedIds.length} timers fired, expected ${due}`);
  const stray = firedIds.filter((id) => !seed.dueTimerIds.has(id));
  if (stray.length) problems.push(`${stray.length} timers fired that were not due`);
  const newEvents = n('SELECT COUNT(*) AS n FROM obligation_events WHERE id > ?', eventsBefore);
  if (newEvents !== due) problems.push(`${newEvents} new events, expected ${due}`);
  const remindObligations = n(
    `SELECT COUNT(DISTINCT obligation_id) AS n FROM obligation_events
     WHERE id > ? AND type = 'REMIND' AND actor = 'system:scheduler'`,
    eventsBefore,
  );
  if (remindObligations !== due)
    problems.push(`${remindObligations} obligations got a REMIND event, expected ${due}`);
  const twice = n(
    `SELECT COUNT(*) AS n FROM (SELECT obligation_id FROM obligation_events WHERE type = 'REMIND'
     GROUP BY obligation_id HAVING COUNT(*) > 1)`,
  );
  if (twice) problems.push(`${twice} obligations got REMIND more than once`);
  const bumped = n(
    `SELECT COUNT(*) AS n FROM obligations WHERE version = 2
     AND json_extract(snapshot, '$.context.remindersSent') = 1`,
  );
  if (bumped !== due) problems.push(`${bumped} obligations at version 2 with 1 reminder`);
  const otherVersions = n('SELECT COUNT(*) AS n FROM obligations WHERE version NOT IN (1, 2)');
  if (otherVersions) problems.push(`${otherVersions} obligations at another version`);
  const cancelled = n('SELECT COUNT(*) AS n FROM timers WHERE cancelled_at IS NOT NULL');
  if (cancelled) problems.push(`${cancelled} timers cancelled`);
  const stuck = n(
    'SELECT COUNT(*) AS n FROM timers WHERE fired_at IS NULL AND claimed_by IS NOT NULL',
  );
  if (stuck) problems.push(`${stuck} timers claimed but not fired`);
  const pending = n(`SELECT COUNT(*) AS n FROM timers WHERE fired_at IS NULL`);
  if (pending !== seed.timers - due)
    problems.push(`${pending} timers pending, expected ${seed.timers - due}`);
  return problems;
}

/**
 * (d) The proposed fix, measured on this database after the sweep's checks: the fired timers are
 * made pending again, ix_timers_pending_due is replaced by PROPOSED_INDEX, and the ids-only
 * lookup runs through the app's Database in the sweep's batches, against the bare query.
 */
async function proposedFix(raw: BetterSqlite3.Database, db: Database, now: number, due: number) {
  raw.exec(`UPDATE timers SET fired_at = NULL, claimed_by = NULL, claimed_until = NULL,
    recipients = NULL WHERE fired_at IS NOT NULL`);
  const before = indexMiB(raw, 'ix_timers_pending_due');
  raw.exec(`DROP INDEX ix_timers_pending_due; ${PROPOSED_INDEX}`);
  const after = indexMiB(raw, 'ix_timers_pending_due');
  const plan = explain(raw, PROPOSED_SQL, [now, now, SWEEP_BATCH]);
  console.log(
    `\nWHAT IF: ${PROPOSED_INDEX}\n  ${oneLine(PROPOSED_SQL)}\n${plan.join('\n')}` +
      `\n  index size ${before} → ${after} MiB`,
  );
  const bare = timeRaw(raw, [{ name: 'bare', text: BARE_SQL, params: [now] }], REPS)[0]!;
  const rawRun = await repeat(REPS, () =>
    rawLookup(raw, PROPOSED_SQL, [now, now, SWEEP_BATCH], SWEEP_BATCH),
  );
  const lookup = await repeat(REPS, () => engineLookup(db, proposedLookup, now, SWEEP_BATCH));
  const findDue = await repeat(REPS, () => engineLookup(db, findDueLookup, now, SWEEP_BATCH));
  printTable(
    [
      { ...bare, name: 'bare: SELECT id (raw)' },
      { name: `proposed lookup × ${rawRun.calls} batches (raw)`, ...rawRun },
      { name: `proposed lookup × ${lookup.calls} batches (Database)`, ...lookup },
      { name: `findDue as is × ${findDue.calls} batches (Database)`, ...findDue },
    ],
    bare.seconds,
  );
  if (bare.rows !== due) throw new Error(`bare query found ${bare.rows} rows after the index swap`);
  return {
    plan,
    indexMiB: { before, after },
    bareSeconds: bare.seconds,
    rawSeconds: rawRun.seconds,
    lookupSeconds: lookup.seconds,
    findDueSeconds: findDue.seconds,
    calls: lookup.calls,
    rows: lookup.rows,
    ratio: lookup.seconds / bare.seconds,
  };
}

function printTable(rows: Array<{ name: string; rows: number; seconds: number }>, bare: number) {
  const header = ['query', 'rows', 'median ms', '× bare'];
  const cells = rows.map((r) => [
    r.name,
    String(r.rows),
    ms(r.seconds).toFixed(2),
    (r.seconds / bare).toFixed(2),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) =>
    c.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ');
  console.log(['', line(header), widths.map((w) => '-'.repeat(w)).join('  ')].join('\n'));
  for (const c of cells) console.log(line(c));
}

/** Adds the results under `timerSweep`, keeping what the command benchmark wrote. */
function writeResults(results: unknown): void {
  const file = path.resolve('bench-results.json');
  let all: Record<string, unknown> = {};
  if (existsSync(file)) {
    try {
      all = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch {
      all = {};
    }
  }
  all.timerSweep = results;
  writeFileSync(file, JSON.stringify(all, null, 2) + '\n');
}

async function main(): Promise<number> {
  const tmp = mkdtempSync(path.join(tmpdir(), 'dondoc-timer-bench-'));
  const dataDir = path.join(tmp, 'data');
  const workflowsDir = path.join(tmp, 'workflows');
  const problems: string[] = [];
  let app: INestApplicationContext | undefined;
  let raw: BetterSqlite3.Database | undefined;
  let results: Record<string, unknown> = {};
  try {
    log(`${AGENCIES} agencies × ${YEARS} cycles, 3 timers each; cycle ${FIRST_YEAR} is due`);
    const seedStart = performance.now();
    const seed = await seedTimers({ dataDir, workflowsDir, agencies: AGENCIES, years: YEARS });
    const seedSeconds = (performance.now() - seedStart) / 1000;
    const due = seed.dueTimerIds.size;
    const rssAfterSeed = peakRssMiB();
    log(
      `setup: ${seed.obligations} obligations, ${seed.timers} timers (${due} due) inserted, ` +
        `${seed.fileMiB.toFixed(0)} MiB file (${seedSeconds.toFixed(2)} s, peak RSS ${rssAfterSeed} MiB)`,
    );
    gc();

    const opened = performance.now();
    const engine = await openApp(dataDir, workflowsDir);
    app = engine.app;
    log(`app opened (${((performance.now() - opened) / 1000).toFixed(2)} s)`);
    const file = (dataSourceOptions({ dataDir, databaseUrl: null }) as { database: string })
      .database;
    raw = new BetterSqlite3(file);
    raw.pragma('journal_mode = WAL'); // already WAL: a no-op that checks the file

    // Query plans.
    const findDue = await findDueQuery(seed.now, SWEEP_BATCH);
    const planBare = explain(raw, BARE_SQL, [seed.now]);
    const planFindDue = explain(raw, findDue.text, findDue.params);
    console.log(`\nEXPLAIN QUERY PLAN (bare)\n  ${BARE_SQL}\n${planBare.join('\n')}`);
    console.log(
      `\nEXPLAIN QUERY PLAN (TimerRepository.findDue)\n  ${oneLine(findDue.text)}\n` +
        planFindDue.join('\n'),
    );
    for (const [label, plan] of [
      ['bare', planBare],
      ['findDue', planFindDue],
    ] as const) {
      if (!plan.some((l) => l.includes('ix_timers_pending_due')))
        log(`WARNING: the ${label} query does not use ix_timers_pending_due`);
    }

    // (a) The bare query and the steps towards the engine's query, raw better-sqlite3.
    const variants: RawTiming[] = timeRaw(raw, await rawVariants(seed.now, due), REPS);
    const bare = variants[0]!;
    for (const v of variants)
      if (v.rows !== due) problems.push(`raw "${v.name}" found ${v.rows} rows, not ${due}`);
    const rawBatches = await repeat(REPS, () =>
      rawLookup(raw!, findDue.text, findDue.params, SWEEP_BATCH),
    );

    // (b) The engine's lookup, through the app's Database, in the sweep's batches.
    const lookup = await repeat(REPS, () =>
      engineLookup(engine.db, findDueLookup, seed.now, SWEEP_BATCH),
    );
    if (lookup.rows !== due) problems.push(`findDue batches read ${lookup.rows}, not ${due}`);
    const once = await repeat(REPS, () =>
      engineOnce(engine.db, (sql) => TimerRepository.findDue(sql, seed.now, due)),
    );
    const bareViaDb = await repeat(REPS, () =>
      engineOnce(engine.db, (sql) => sql.query(BARE_SQL, [seed.now])),
    );
    const ratio = lookup.seconds / bare.seconds;
    printTable(
      [
        ...variants,
        { name: `findDue's SQL × ${rawBatches.calls} batches (raw)`, ...rawBatches },
        { name: `(b) engine: findDue × ${lookup.calls} batches of ${SWEEP_BATCH}`, ...lookup },
        { name: 'engine: findDue, one call', ...once },
        { name: 'engine: bare SELECT via Database', ...bareViaDb },
      ],
      bare.seconds,
    );

    // (c) The whole sweep: find, claim and fire every due timer.
    const count = (text: string) => (raw!.prepare(text).get() as { n: number }).n;
    const eventsBefore = count('SELECT MAX(id) AS n FROM obligation_events');
    const outboxBefore = count('SELECT COUNT(*) AS n FROM notification_outbox');
    gc();
    const sweep = await timedSweep(engine.sweeps, seed.now);
    if (sweep.fired !== due) problems.push(`sweep reported ${sweep.fired} fired, expected ${due}`);
    problems.push(...verify(raw, seed, eventsBefore));
    const again = await engine.sweeps.sweep(seed.now);
    if (again.length) problems.push(`a second sweep at the same instant fired ${again.length}`);
    const outboxRows = count('SELECT COUNT(*) AS n FROM notification_outbox') - outboxBefore;
    const timersPerSecond = sweep.fired / sweep.seconds;

    // (d) What if: the proposed index and ids-only lookup, on this database (after the checks).
    const whatIf = WHAT_IF ? await proposedFix(raw, engine.db, seed.now, due) : null;
    if (whatIf && whatIf.rows !== due)
      problems.push(`proposed lookup read ${whatIf.rows} timers, not ${due}`);

    console.log(
      `\nbare SELECT (a):   ${ms(bare.seconds).toFixed(2)} ms for ${bare.rows} rows (median of ${REPS})`,
    );
    console.log(
      `engine lookup (b): ${ms(lookup.seconds).toFixed(2)} ms in ${lookup.calls} findDue calls ` +
        `= ${ratio.toFixed(2)}× bare (target ≤ ${TARGET_RATIO}×: ${ratio <= TARGET_RATIO ? 'met' : 'NOT met'})`,
    );
    console.log(
      `sweep (c):         ${sweep.fired} timers fired in ${sweep.seconds.toFixed(3)} s = ` +
        `${timersPerSecond.toFixed(0)} timers/s (findDue inside: ${ms(sweep.lookupSeconds).toFixed(1)} ms ` +
        `in ${sweep.lookupCalls} calls); outbox rows ${outboxRows}`,
    );
    if (whatIf)
      console.log(
        `proposed fix (d):  ${ms(whatIf.lookupSeconds).toFixed(2)} ms in ${whatIf.calls} calls = ` +
          `${whatIf.ratio.toFixed(2)}× bare (${ms(whatIf.bareSeconds).toFixed(2)} ms) through the ` +
          `Database; index ${whatIf.indexMiB.before} → ${whatIf.indexMiB.after} MiB`,
      );
    console.log(`peak RSS:          ${peakRssMiB()} MiB (after setup ${rssAfterSeed} MiB)`);

    results = {
      generatedAt: new Date().toISOString(),
      node: process.version,
      planId: TIMER_PLAN_ID,
      obligations: seed.obligations,
      timers: seed.timers,
      dueTimers: due,
      repetitions: REPS,
      setupSeconds: round3(seedSeconds),
      databaseFileMiB: Math.round(seed.fileMiB),
      explainQueryPlan: {
        bare: { sql: BARE_SQL, plan: planBare.map((l) => l.trim()) },
        findDue: { sql: oneLine(findDue.text), plan: planFindDue.map((l) => l.trim()) },
      },
      rawQueries: [...variants, { name: 'findDue SQL in batches (raw)', ...rawBatches }].map(
        (v) => ({
          name: v.name,
          rows: v.rows,
          medianMs: ms(v.seconds),
          ratioToBare: round2(v.seconds / bare.seconds),
        }),
      ),
      bareSelect: { rows: bare.rows, medianMs: ms(bare.seconds), samplesMs: bare.samples.map(ms) },
      engineLookup: {
        batch: SWEEP_BATCH,
        calls: lookup.calls,
        rows: lookup.rows,
        medianMs: ms(lookup.seconds),
        samplesMs: lookup.samples.map(ms),
        ratioToBare: round2(ratio),
        targetRatio: TARGET_RATIO,
        targetMet: ratio <= TARGET_RATIO,
        oneCallMedianMs: ms(once.seconds),
        bareViaDatabaseMs: ms(bareViaDb.seconds),
      },
      sweep: {
        fired: sweep.fired,
        seconds: round3(sweep.seconds),
        timersPerSecond: Math.round(timersPerSecond),
        findDueMs: ms(sweep.lookupSeconds),
        findDueCalls: sweep.lookupCalls,
        outboxRows,
      },
      proposedFix: whatIf && {
        index: PROPOSED_INDEX,
        lookup: oneLine(PROPOSED_SQL),
        plan: whatIf.plan.map((l) => l.trim()),
        indexMiB: whatIf.indexMiB,
        bareMedianMs: ms(whatIf.bareSeconds),
        lookupMedianMs: ms(whatIf.lookupSeconds),
        rawLookupMedianMs: ms(whatIf.rawSeconds),
        findDueWithIndexMs: ms(whatIf.findDueSeconds),
        ratioToBare: round2(whatIf.ratio),
      },
      peakRssMiB: peakRssMiB(),
      rssMiBAfterSetup: rssAfterSeed,
      heapUsedMiB: mib(process.memoryUsage().heapUsed),
    };
  } catch (error) {
    problems.push(`benchmark aborted: ${(error as Error)?.stack ?? String(error)}`);
  } finally {
    raw?.close();
    await app?.close().catch(() => undefined);
    if (KEEP) log(`kept ${tmp}`);
    else rmSync(tmp, { recursive: true, force: true });
  }

  writeResults({ ...results, integrity: { ok: problems.length === 0, problems } });
  console.log('results added to bench-results.json (timerSweep)');
  if (problems.length) {
    console.error('\nINTEGRITY CHECKS FAILED:');
    for (const p of problems) console.error(`  - ${p}`);
    return 1;
  }
  console.log('integrity checks passed');
  return 0;
}

process.exitCode = await main();
