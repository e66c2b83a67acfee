/**
 * The dondoc side of `npm run bench:peer`, run in its own process: the Nest application on a
 * fresh SQLite file with the synthetic plan of `obligations` agencies; timed: opening the cycle
 * (every obligation with its first event and timers) and then `concurrency` workers sending each
 * obligation's four events through CommandService, each durably committed before it returns.
 *
 * Arguments: <folder> <obligations> <concurrency>.
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import path from 'node:path';
import { AppModule } from '../../app.module.js';
import { loadConfig } from '../../config/app-config.js';
import { CycleService } from '../../cycles/cycle.service.js';
import { Database } from '../../database/database.js';
import { SqliteDatabase } from '../../database/sqlite-database.js';
import { CommandService } from '../../obligations/command.service.js';
import { BENCH_CALLER, drive, verifyEngine, type Engine } from '../engine-run.js';
import { BENCH_PLAN_ID, BENCH_YEAR, writeSyntheticPlan } from '../synthetic-plan.js';
import { printResult } from './run-result.js';

async function main(): Promise<void> {
  const [dir, n, c] = process.argv.slice(2);
  const obligations = Number(n);
  const concurrency = Number(c);
  const workflowsDir = path.join(dir!, 'workflows');
  writeSyntheticPlan(workflowsDir, obligations);
  const config = {
    ...loadConfig({}),
    dataDir: path.join(dir!, 'dondoc'),
    databaseUrl: null,
    workflowsDir,
    openCurrentCycleAtStart: false,
    adminPassword: 'bench-admin-password',
  };
  const app = await NestFactory.createApplicationContext(
    AppModule.register(config, { scheduler: false }),
    { logger: ['error', 'warn'] },
  );
  await app.init();
  const db = app.get(Database);
  if (!(db instanceof SqliteDatabase)) throw new Error('the peer benchmark runs on SQLite');

  const started = performance.now();
  const opened = await app.get(CycleService).open(BENCH_PLAN_ID, BENCH_YEAR, BENCH_CALLER);
  const engine: Engine = {
    app,
    commands: app.get(CommandService),
    db,
    sqlite: db,
    ids: opened.obligations.map((o) => o.id),
    agencyOf: new Map(opened.obligations.map((o) => [o.id, o.agencyCode])),
  };
  const run = await drive(engine, engine.ids, concurrency);
  const seconds = (performance.now() - started) / 1000;

  const problems = await verifyEngine(engine, 'dondoc');
  if (run.errors.length) problems.push(`${run.errors.length} command(s) failed`);
  await app.close();
  printResult({
    side: 'dondoc',
    obligations,
    concurrency,
    steps: run.commands,
    seconds,
    stepSeconds: run.seconds,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    problems,
  });
}

await main();
