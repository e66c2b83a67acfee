/**
 * Command throughput on SQLite: commands per second through CommandService.execute for
 * 10,000 obligations × 4 transitions at high concurrency (group commit), against raw
 * better-sqlite3 doing the same writes one transaction per transition, and the engine at
 * concurrency 1 (no batching) on a smaller sample. A benchmark, not a test: it fails (exit 1)
 * only when the integrity checks fail, never because of speed.
 *
 * The engine checkpoints the WAL on a worker thread (SqliteCheckpointer); a row with SQLite's
 * inline checkpoints, as raw runs them, is printed beside it.
 *
 * Raw and the engine run in interleaved rounds (raw, engine, engine with inline checkpoints; ×
 * BENCH_ROUNDS), each on a fresh database, and each ratio is the median over the rounds of the
 * engine's rate over raw's in the same round: on a shared machine the speed drifts by a fifth
 * within a minute, and adjacent runs see nearly the same drift.
 *
 * Each round also runs raw and the engine with `synchronous = FULL` (DONDOC_SQLITE_SYNCHRONOUS=full:
 * every commit synced to disk before it is acknowledged) on BENCH_FULL_OBLIGATIONS obligations;
 * that engine row's ratio is to raw with FULL in the same round.
 *
 * Run with `npm run bench`. Figures are printed and written to ./bench-results.json.
 * Optional overrides for quick runs: BENCH_OBLIGATIONS, BENCH_CONCURRENCY, BENCH_C1_OBLIGATIONS,
 * BENCH_ROUNDS (3), BENCH_FULL_OBLIGATIONS (1,000; 0 leaves the FULL rows out).
 */
import 'reflect-metadata';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AppConfig } from '../config/app-config.js';
import { drive, openEngine, verifyEngine, type DriveResult, type Engine } from './engine-run.js';
import { openRaw, runRaw, verifyRaw } from './raw-baseline.js';
import { STEPS, type Timed } from './steps.js';
import { writeSyntheticPlan } from './synthetic-plan.js';
import { envInt } from './bench-env.js';
import { median } from './http-load.js';

const OBLIGATIONS = envInt('BENCH_OBLIGATIONS', 10_000);
const CONCURRENCY = envInt('BENCH_CONCURRENCY', 256);
const C1_OBLIGATIONS = envInt('BENCH_C1_OBLIGATIONS', 2_000);
const WARMUP_OBLIGATIONS = 500;
const ROUNDS = envInt('BENCH_ROUNDS', 3);
const FULL_OBLIGATIONS = envInt('BENCH_FULL_OBLIGATIONS', 1_000);

interface Row extends Timed {
  name: string;
  /** Over all rounds: all commands over all seconds. */
  commandsPerSecond: number;
  /** The median of roundRatios. */
  ratioToRaw: number;
  /** Per round: this row's rate over raw's in the same round (one entry for concurrency 1). */
  roundRatios: number[];
  avgBatchSize: number | null;
}

const rate = (t: Timed) => t.commands / t.seconds;

const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
const peakRssMiB = () => process.resourceUsage().maxRSS / 1024;
const log = (msg: string) => console.log(`[bench] ${msg}`);

async function timedSetup<T>(label: string, work: () => Promise<T>): Promise<T> {
  const start = performance.now();
  const value = await work();
  log(`${label} (${((performance.now() - start) / 1000).toFixed(2)} s)`);
  return value;
}

function errorProblems(label: string, result: DriveResult): string[] {
  if (result.errors.length === 0) return [];
  const first = result.errors
    .slice(0, 3)
    .map((e) => (e instanceof Error ? `${e.name}: ${e.message}` : String(e)));
  return [`${label}: ${result.errors.length} command(s) failed, e.g. ${first.join(' | ')}`];
}

function closeQuietly(engine: Engine | undefined): Promise<void> {
  return engine ? engine.app.close() : Promise.resolve();
}

function printTable(rows: Row[]): void {
  const header = [
    'name',
    'commands',
    'seconds',
    'commands/s',
    'ratio to raw, same synchronous (median of rounds)',
    'avg batch',
  ];
  const cells = rows.map((r) => [
    r.name,
    String(r.commands),
    r.seconds.toFixed(3),
    r.commandsPerSecond.toFixed(0),
    `${r.ratioToRaw.toFixed(3)} (${r.roundRatios.map((x) => x.toFixed(2)).join(', ')})`,
    r.avgBatchSize === null ? '-' : r.avgBatchSize.toFixed(1),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) =>
    c.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ');
  console.log(['', line(header), widths.map((w) => '-'.repeat(w)).join('  ')].join('\n'));
  for (const c of cells) console.log(line(c));
}

async function main(): Promise<number> {
  const tmp = mkdtempSync(path.join(tmpdir(), 'dondoc-bench-'));
  const problems: string[] = [];
  /** Per row name: its timed run in each round. */
  const runs = new Map<string, Array<Timed & { units?: number; batches?: number }>>();
  const record = (name: string, t: Timed & { units?: number; batches?: number }) => {
    runs.set(name, [...(runs.get(name) ?? []), t]);
  };
  const RAW = 'raw better-sqlite3, 1 tx/transition';
  const HOT = `engine, concurrency ${CONCURRENCY}`;
  const INLINE = `engine, concurrency ${CONCURRENCY}, inline checkpoints`;
  const C1 = `engine, concurrency 1 (${C1_OBLIGATIONS} obl.)`;
  const RAW_FULL = `raw, synchronous=FULL (${FULL_OBLIGATIONS} obl.)`;
  const HOT_FULL = `engine, concurrency ${CONCURRENCY}, synchronous=FULL (${FULL_OBLIGATIONS} obl.)`;
  /** Each row's ratio is to raw in the same round, with the same synchronous setting. */
  const baselineOf = (name: string) => (name === HOT_FULL || name === RAW_FULL ? RAW_FULL : RAW);
  let aux: Engine | undefined;
  let engine: Engine | undefined;
  try {
    log(
      `${OBLIGATIONS} obligations × ${STEPS.length} transitions, workers ${CONCURRENCY}, ${ROUNDS} rounds`,
    );

    // Warm-ups: raw on its own file; the engine (both paths) on the concurrency-1 app.
    const warm = await openRaw(path.join(tmp, 'raw-warmup.sqlite'), WARMUP_OBLIGATIONS);
    runRaw(warm);
    problems.push(...verifyRaw(warm).map((p) => `warm-up ${p}`));
    warm.db.close();
    const auxWorkflows = path.join(tmp, 'workflows-aux');
    writeSyntheticPlan(auxWorkflows, C1_OBLIGATIONS + WARMUP_OBLIGATIONS);
    aux = await timedSetup(`engine (aux): ${C1_OBLIGATIONS + WARMUP_OBLIGATIONS} opened`, () =>
      openEngine(path.join(tmp, 'engine-aux'), auxWorkflows),
    );
    const warmIds = aux.ids.slice(C1_OBLIGATIONS);
    const warmResult = await drive(aux, warmIds.slice(0, -50), CONCURRENCY);
    const warmC1 = await drive(aux, warmIds.slice(-50), 1);
    problems.push(...errorProblems('engine warm-up', warmResult));
    problems.push(...errorProblems('engine warm-up c1', warmC1));
    gc();
    // Concurrency 1 (no batching), once, for information.
    const c1 = await drive(aux, aux.ids.slice(0, C1_OBLIGATIONS), 1);
    problems.push(...errorProblems('engine c1', c1));
    problems.push(...(await verifyEngine(aux, 'engine c1 (incl. warm-up)')));
    await aux.app.close();
    aux = undefined;

    // The engine at high concurrency on a fresh database holding exactly the benchmark's
    // cycle, with the default (worker thread) or SQLite's inline checkpoints, as raw has them.
    const hotRun = async (
      label: string,
      name: string,
      overrides: Partial<AppConfig> = {},
      count = OBLIGATIONS,
    ) => {
      const workflows = path.join(tmp, `workflows-${name}`);
      writeSyntheticPlan(workflows, count);
      engine = await timedSetup(`${label}: plan loaded, cycle opened (${count})`, () =>
        openEngine(path.join(tmp, name), workflows, overrides),
      );
      if (engine.ids.length !== count)
        problems.push(`${label}: cycle opened ${engine.ids.length} obligations, not ${count}`);
      gc();
      const result = await drive(engine, engine.ids, CONCURRENCY);
      problems.push(...errorProblems(label, result));
      problems.push(...(await verifyEngine(engine, label)));
      await engine.app.close();
      engine = undefined;
      return result;
    };
    for (let r = 0; r < ROUNDS; r++) {
      const raw = await timedSetup(`round ${r + 1}, raw: ${OBLIGATIONS} obligations inserted`, () =>
        openRaw(path.join(tmp, `raw-${r}.sqlite`), OBLIGATIONS),
      );
      gc();
      const rawResult = runRaw(raw);
      problems.push(...verifyRaw(raw));
      raw.db.close();
      record(RAW, rawResult);
      record(HOT, await hotRun(`round ${r + 1}, engine`, `engine-${r}`));
      record(
        INLINE,
        await hotRun(`round ${r + 1}, engine, inline checkpoints`, `engine-inline-${r}`, {
          sqliteCheckpoints: 'inline',
        }),
      );
      const ratio = (name: string) => (rate(runs.get(name)![r]!) / rate(rawResult)).toFixed(2);
      log(
        `round ${r + 1}: raw ${rate(rawResult).toFixed(0)}/s, engine ${ratio(HOT)}×, inline checkpoints ${ratio(INLINE)}×`,
      );
      if (FULL_OBLIGATIONS > 0) {
        const rawFull = await openRaw(
          path.join(tmp, `raw-full-${r}.sqlite`),
          FULL_OBLIGATIONS,
          'full',
        );
        const rawFullResult = runRaw(rawFull);
        problems.push(...verifyRaw(rawFull).map((p) => `synchronous=FULL ${p}`));
        rawFull.db.close();
        record(RAW_FULL, rawFullResult);
        const full = await hotRun(
          `round ${r + 1}, engine, synchronous=FULL`,
          `engine-full-${r}`,
          { sqliteSynchronous: 'full' },
          FULL_OBLIGATIONS,
        );
        record(HOT_FULL, full);
        log(
          `round ${r + 1}: raw with synchronous=FULL ${rate(rawFullResult).toFixed(0)}/s, engine ${(rate(full) / rate(rawFullResult)).toFixed(2)}×`,
        );
      }
    }
    record(C1, c1);
  } catch (error) {
    problems.push(`benchmark aborted: ${(error as Error)?.stack ?? String(error)}`);
  } finally {
    await closeQuietly(aux).catch(() => undefined);
    await closeQuietly(engine).catch(() => undefined);
    rmSync(tmp, { recursive: true, force: true });
  }

  const rows: Row[] = [...runs].map(([name, list]) => {
    const commands = list.reduce((n, t) => n + t.commands, 0);
    const seconds = list.reduce((n, t) => n + t.seconds, 0);
    const units = list.reduce((n, t) => n + (t.units ?? 0), 0);
    const batches = list.reduce((n, t) => n + (t.batches ?? 0), 0);
    const baseRuns = runs.get(baselineOf(name)) ?? [];
    // Concurrency 1 ran once: against raw's median rate.
    const roundRatios =
      name === C1
        ? [rate(list[0]!) / median(baseRuns.map(rate))]
        : list.map((t, i) => rate(t) / rate(baseRuns[i]!));
    return {
      name,
      commands,
      seconds,
      commandsPerSecond: commands / seconds,
      ratioToRaw: median(roundRatios),
      roundRatios,
      avgBatchSize: batches > 0 ? units / batches : null,
    };
  });
  printTable(rows);
  const engineRow = rows.find((r) => r.name === HOT);
  const results = {
    generatedAt: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    obligations: OBLIGATIONS,
    transitionsPerObligation: STEPS.length,
    concurrency: CONCURRENCY,
    rounds: ROUNDS,
    rows,
    engineAvgBatchSize: engineRow?.avgBatchSize ?? null,
    peakRssMiB: Math.round(peakRssMiB() * 10) / 10,
    integrity: { ok: problems.length === 0, problems },
  };
  console.log(`\nengine average batch size: ${results.engineAvgBatchSize?.toFixed(1) ?? '-'}`);
  console.log(`peak RSS: ${results.peakRssMiB.toFixed(1)} MiB`);
  writeFileSync(path.resolve('bench-results.json'), JSON.stringify(results, null, 2) + '\n');
  console.log('results written to bench-results.json');
  if (problems.length) {
    console.error('\nINTEGRITY CHECKS FAILED:');
    for (const p of problems) console.error(`  - ${p}`);
    return 1;
  }
  console.log('integrity checks passed');
  return 0;
}

process.exitCode = await main();
