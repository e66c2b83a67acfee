/**
 * The engine side: the Nest application context on a fresh SQLite file with the synthetic plan,
 * the cycle opened through CycleService, and workers driving CommandService.execute.
 */
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from '../app.module.js';
import { loadConfig, type AppConfig } from '../config/app-config.js';
import { CycleService } from '../cycles/cycle.service.js';
import { Database } from '../database/database.js';
import { SqliteDatabase } from '../database/sqlite-database.js';
import { CommandService } from '../obligations/command.service.js';
import type { Caller } from '../obligations/obligation-view.js';
import { STEPS, type Timed } from './steps.js';
import { BENCH_PLAN_ID, BENCH_YEAR } from './synthetic-plan.js';

export const BENCH_CALLER: Caller = {
  name: 'bench.admin',
  role: 'admin',
  agencyCode: null,
  system: false,
};
const AGGREGATOR: Caller = {
  name: 'bench.aggregator',
  role: 'aggregator',
  agencyCode: null,
  system: false,
};

/** Who sends each step: the agency's officer reports, the aggregator aggregates. */
function callerFor(step: (typeof STEPS)[number], agencyCode: string): Caller {
  return step.type === 'START_IMPLEMENTATION' || step.type === 'SUBMIT_REPORT'
    ? { name: `bench.${agencyCode}`, role: 'officer', agencyCode, system: false }
    : AGGREGATOR;
}

export interface Engine {
  app: INestApplicationContext;
  commands: CommandService;
  db: Database;
  sqlite: SqliteDatabase;
  /** Obligation ids of the opened cycle, in agency-code order. */
  ids: string[];
  /** The agency of each obligation (its officer sends the first two steps). */
  agencyOf: Map<string, string>;
}

export async function openEngine(
  dataDir: string,
  workflowsDir: string,
  overrides: Partial<AppConfig> = {},
): Promise<Engine> {
  const config = {
    ...loadConfig({}),
    dataDir,
    databaseUrl: null,
    workflowsDir,
    openCurrentCycleAtStart: false,
    adminPassword: 'bench-admin-password',
    ...overrides,
  };
  const app = await NestFactory.createApplicationContext(
    AppModule.register(config, { scheduler: false }),
    { logger: ['error', 'warn'] },
  );
  await app.init();
  const db = app.get(Database);
  if (!(db instanceof SqliteDatabase)) {
    await app.close();
    throw new Error('the benchmark needs the SQLite database (DATABASE_URL must be unset)');
  }
  const opened = await app.get(CycleService).open(BENCH_PLAN_ID, BENCH_YEAR, BENCH_CALLER);
  return {
    app,
    commands: app.get(CommandService),
    db,
    sqlite: db,
    ids: opened.obligations.map((o) => o.id),
    agencyOf: new Map(opened.obligations.map((o) => [o.id, o.agencyCode])),
  };
}

export interface DriveResult extends Timed {
  /** Group-commit figures during the run. */
  batches: number;
  units: number;
  errors: unknown[];
}

/**
 * `concurrency` workers; each takes the next obligation and sends its 4 events in order, awaiting
 * each. A failing command stops that obligation (and is reported), not the run.
 */
export async function drive(
  engine: Engine,
  ids: string[],
  concurrency: number,
): Promise<DriveResult> {
  const before = { ...engine.sqlite.stats };
  const errors: unknown[] = [];
  let next = 0;
  let commands = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < ids.length; i = next++) {
      const obligationId = ids[i]!;
      for (const step of STEPS) {
        try {
          await engine.commands.execute({
            obligationId,
            type: step.type,
            payload: step.payload(i),
            caller: callerFor(step, engine.agencyOf.get(obligationId)!),
          });
          commands += 1;
        } catch (error) {
          errors.push(error);
          break;
        }
      }
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, ids.length) }, worker));
  const seconds = (performance.now() - start) / 1000;
  return {
    commands,
    seconds,
    batches: engine.sqlite.stats.batches - before.batches,
    units: engine.sqlite.stats.units - before.units,
    errors,
  };
}

/** Problems found: every obligation must be reported to UBND with exactly 1 + 4 events. */
export async function verifyEngine(engine: Engine, label: string): Promise<string[]> {
  const expected = engine.ids.length;
  const { stages, events } = await engine.db.read(async (sql) => ({
    stages: await sql.query<{ stage: string; n: number }>(
      'SELECT stage, COUNT(*) AS n FROM obligations GROUP BY stage',
    ),
    events: await sql.query<{ n: number }>('SELECT COUNT(*) AS n FROM obligation_events'),
  }));
  const problems: string[] = [];
  const reported = Number(stages.find((s) => s.stage === 'reported_to_ubnd')?.n ?? 0);
  const total = stages.reduce((sum, s) => sum + Number(s.n), 0);
  if (reported !== expected || total !== expected) {
    const detail = stages.map((s) => `${s.stage}=${s.n}`).join(', ');
    problems.push(
      `${label}: ${reported} of ${expected} obligations reached reported_to_ubnd (${detail})`,
    );
  }
  const eventRows = Number(events[0]?.n ?? 0);
  if (eventRows !== expected * (1 + STEPS.length))
    problems.push(`${label}: ${eventRows} event rows, expected ${expected * (1 + STEPS.length)}`);
  return problems;
}
