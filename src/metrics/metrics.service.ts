/**
 * Prometheus metrics of one server process, in a registry of its own.
 *
 * Counted as things happen (synchronous, no I/O, so the command path does not wait on them):
 * commands by type and result, command latency, SQLite batch sizes, timers fired.
 * Read at scrape time, in one read of indexed queries: timers due and lagging, outbox rows
 * pending and failed, overdue obligations by plan and year, the write queue's depth (SQLite) or
 * the callers waiting for a pooled connection (PostgreSQL).
 */
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { CLOCK } from '../clock/clocks.js';
import type { Clock } from '../core/clock.js';
import { isDone } from '../core/deadline/obligation-status.js';
import { DomainError } from '../core/errors.js';
import { isEventType, STAGES } from '../core/machine/obligation-events.js';
import { Database, intValue, type Sql } from '../database/database.js';
import { LifecycleService } from '../health/lifecycle.service.js';
import { PostgresDatabase } from '../database/postgres-database.js';
import { SqliteDatabase } from '../database/sqlite-database.js';
import { CommandObserver } from '../obligations/command.service.js';
import { SweepObserver } from '../timers/sweep.service.js';
import type { TimerKind } from '../core/deadline/timer-plan.js';
import { CommandTally } from './command-tally.js';

/** A due timer still unfired this long after its due time is lagging (the sweep runs each minute). */
export const TIMER_LAG_MS = 2 * 60 * 1000;

/** Stages in which an obligation past its due time counts as overdue (open, report not in). */
export const OPEN_STAGES = STAGES.filter((s) => s !== 'withdrawn' && !isDone(s));

/** The scrape-time queries, exported so a test can check each one reads an index. */
export const SCRAPE_QUERIES = {
  overdue: `SELECT plan_id, year, COUNT(*) AS n FROM obligations
    WHERE stage IN (${OPEN_STAGES.map(() => '?').join(', ')}) AND due_at <= ?
    GROUP BY plan_id, year`,
  timers: `SELECT COUNT(*) AS due, SUM(CASE WHEN due_at <= ? THEN 1 ELSE 0 END) AS lagging,
    MIN(due_at) AS oldest FROM timers
    WHERE fired_at IS NULL AND cancelled_at IS NULL AND due_at <= ?`,
  // Literal statuses: SQLite uses a partial index only when the query repeats its condition.
  outboxPending: `SELECT COUNT(*) AS n FROM notification_outbox WHERE status = 'pending'`,
  outboxFailed: `SELECT COUNT(*) AS n FROM notification_outbox WHERE status = 'failed'`,
} as const;

const LATENCY_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 500];

/** The result label: "ok", the domain error's code, or "ERROR" for anything else. */
function resultOf(error: unknown): string {
  if (error === null) return 'ok';
  return error instanceof DomainError ? error.code : 'ERROR';
}

@Injectable()
export class MetricsService implements CommandObserver, SweepObserver, OnModuleInit {
  readonly registry = new Registry();
  private defaultsOn = false;

  /** Commands by type and result, and their latency: plain numbers on the hot path. */
  private readonly commands = new CommandTally(
    {
      counter: 'dondoc_commands_total',
      counterHelp: 'Commands executed, by event type and result (ok or the error code)',
      histogram: 'dondoc_command_duration_seconds',
      histogramHelp:
        'Time from a command being sent to its transaction committing (queue wait included)',
    },
    LATENCY_BUCKETS,
  );
  private readonly batchSize = new Histogram({
    name: 'dondoc_write_batch_size',
    help: 'Units of work committed together in one SQLite transaction (group commit)',
    buckets: BATCH_BUCKETS,
    registers: [this.registry],
  });
  private readonly queueDepth = new Gauge({
    name: 'dondoc_write_queue_depth',
    help: 'Units of work waiting in the SQLite queue (SQLite) or for a pooled connection (PostgreSQL)',
    registers: [this.registry],
  });
  private readonly inFlight: Gauge = new Gauge({
    name: 'dondoc_http_requests_in_flight',
    help: 'HTTP requests accepted and not yet answered (this scrape included)',
    registers: [this.registry],
    collect: () => this.inFlight.set(this.lifecycle.requestsInFlight),
  });
  private readonly draining: Gauge = new Gauge({
    name: 'dondoc_draining',
    help: '1 while the server shuts down gracefully, else 0',
    registers: [this.registry],
    collect: () => this.draining.set(this.lifecycle.draining ? 1 : 0),
  });
  private readonly timersFired = new Counter({
    name: 'dondoc_timers_fired_total',
    help: 'Timers (reminders, deadline passes, escalations) fired by this process',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  private readonly timersDue = new Gauge({
    name: 'dondoc_timers_due',
    help: 'Timers due now and not yet fired nor cancelled',
    registers: [this.registry],
  });
  private readonly timersLagging = new Gauge({
    name: 'dondoc_timers_lagging',
    help: `Timers due more than ${TIMER_LAG_MS / 1000} s ago and still not fired`,
    registers: [this.registry],
  });
  private readonly timerLagSeconds = new Gauge({
    name: 'dondoc_timer_lag_seconds',
    help: 'How long the oldest due, unfired timer has been due (0 when none)',
    registers: [this.registry],
  });
  private readonly outbox = new Gauge({
    name: 'dondoc_outbox_notifications',
    help: 'Outbox rows waiting for delivery (pending) or given up on (failed)',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });
  private readonly overdue = new Gauge({
    name: 'dondoc_obligations_overdue',
    help: 'Obligations past their due time whose report is not in, by plan and year',
    labelNames: ['plan', 'year'] as const,
    registers: [this.registry],
  });

  constructor(
    private readonly db: Database,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LifecycleService) private readonly lifecycle: LifecycleService,
  ) {}

  onModuleInit(): void {
    if (this.db instanceof SqliteDatabase) {
      this.db.onBatchCommitted = (size) => this.batchSize.observe(size);
    }
  }

  commandFinished(type: string, error: unknown, startedAt: number): void {
    // The type label is bounded: a made-up type (refused anyway) is counted as "invalid".
    this.record(isEventType(type) ? type : 'invalid', resultOf(error), startedAt);
  }

  timerFired(kind: TimerKind, startedAt: number): void {
    this.timersFired.inc({ kind });
    this.record(kind, 'ok', startedAt);
  }

  private record(type: string, result: string, startedAt: number): void {
    this.commands.record(type, result, (performance.now() - startedAt) / 1000);
  }

  /** The exposition text, with the scrape-time gauges read now. */
  async scrape(): Promise<string> {
    if (!this.defaultsOn) {
      // Process figures (RSS, heap, event-loop lag, handles); started by the first scrape so
      // that the CLI and tests, which never scrape, do not run the event-loop monitor.
      collectDefaultMetrics({ register: this.registry });
      this.defaultsOn = true;
    }
    await this.readGauges(this.clock.now().getTime());
    return this.commands.exposition() + '\n' + (await this.registry.metrics());
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private async readGauges(now: number): Promise<void> {
    if (this.db instanceof SqliteDatabase) this.queueDepth.set(this.db.queueDepth);
    else if (this.db instanceof PostgresDatabase) this.queueDepth.set(this.db.poolWaiting);
    const figures = await this.db.read((sql) => readFigures(sql, now));
    this.timersDue.set(figures.timersDue);
    this.timersLagging.set(figures.timersLagging);
    this.timerLagSeconds.set(figures.oldestDue === null ? 0 : (now - figures.oldestDue) / 1000);
    this.outbox.set({ status: 'pending' }, figures.outboxPending);
    this.outbox.set({ status: 'failed' }, figures.outboxFailed);
    this.overdue.reset();
    for (const o of figures.overdue) this.overdue.set({ plan: o.planId, year: o.year }, o.count);
  }
}

interface Figures {
  timersDue: number;
  timersLagging: number;
  oldestDue: number | null;
  outboxPending: number;
  outboxFailed: number;
  overdue: Array<{ planId: string; year: number; count: number }>;
}

async function readFigures(sql: Sql, now: number): Promise<Figures> {
  const [timers] = await sql.query<{ due: unknown; lagging: unknown; oldest: unknown }>(
    SCRAPE_QUERIES.timers,
    [now - TIMER_LAG_MS, now],
  );
  const [pending] = await sql.query<{ n: unknown }>(SCRAPE_QUERIES.outboxPending);
  const [failed] = await sql.query<{ n: unknown }>(SCRAPE_QUERIES.outboxFailed);
  const overdue = await sql.query<{ plan_id: string; year: unknown; n: unknown }>(
    SCRAPE_QUERIES.overdue,
    [...OPEN_STAGES, now],
  );
  return {
    timersDue: intValue(timers?.due ?? 0),
    timersLagging: intValue(timers?.lagging ?? 0),
    oldestDue: timers?.oldest == null ? null : intValue(timers.oldest),
    outboxPending: intValue(pending?.n ?? 0),
    outboxFailed: intValue(failed?.n ?? 0),
    overdue: overdue.map((r) => ({
      planId: String(r.plan_id),
      year: intValue(r.year),
      count: intValue(r.n),
    })),
  };
}
