/**
 * The soak driver: consecutive cycle years of every loaded plan on one virtual clock and one
 * database, as a deployment would live them. Each day at 00:00 (Asia/Ho_Chi_Minh) the sweep runs;
 * on 1 January every plan's cycle opens; on a succession date of an agency registry the
 * administrator runs apply-succession; at 09:00 the day's actions go through the command path
 * (officers of the obligation's current agency, the aggregator of the day), each after a sweep at
 * the same instant. Each obligation's behaviour is drawn from a seeded PRNG when its cycle opens:
 * on time, late, started but never reported, or silent; a few reports are returned and sent again.
 * After the ladder of the last year, the caller checks the result (soak-checks.ts).
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import type { INestApplicationContext } from '@nestjs/common';
import { aggregatorOf } from '../../src/agencies/plan-agencies.js';
import { SuccessionService } from '../../src/agencies/succession.service.js';
import type { VirtualClock } from '../../src/clock/clocks.js';
import type { Caller } from '../../src/core/access/caller.js';
import { CycleService } from '../../src/cycles/cycle.service.js';
import { ReportToUbndService } from '../../src/cycles/report-to-ubnd.service.js';
import { Database, intValue } from '../../src/database/database.js';
import { CommandService } from '../../src/obligations/command.service.js';
import { PlanRegistry, type LoadedPlan } from '../../src/plans/plan-registry.service.js';
import { mulberry32, type Random } from '../../src/simulation/prng.js';
import { SweepService } from '../../src/timers/sweep.service.js';
import { civil, dayStart, drawBehaviour, reportDay, type Behaviour } from './soak-behaviour.js';

const ACTION_HOUR = 9;

const ADMIN: Caller = { name: 'soak.admin', role: 'admin', agencyCode: null, system: false };
const officer = (agencyCode: string): Caller => ({
  name: `soak.${agencyCode.toLowerCase()}`,
  role: 'officer',
  agencyCode,
  system: false,
});
const aggregatorCaller = (agencyCode: string | null): Caller => ({
  name: `soak.tonghop.${(agencyCode ?? 'none').toLowerCase()}`,
  role: 'aggregator',
  agencyCode,
  system: false,
});

export interface SoakYear {
  year: number;
  /** Obligations opened on 1 January of the year, by plan. */
  opened: Record<string, number>;
  /** Events written during the calendar year (its sweeps, actions, successions). */
  events: number;
  /** Timers fired during the calendar year, by kind. */
  fired: { REMIND: number; DEADLINE_PASSED: number; ESCALATE: number };
  /** heapUsed after a forced garbage collection at the end of the year, bytes. */
  heapUsed: number;
  rss: number;
  /** Wall time the year took, milliseconds. */
  ms: number;
}

export interface SoakSuccession {
  date: string;
  transfers: number;
  undecided: number;
}

export interface SoakRun {
  years: SoakYear[];
  successions: SoakSuccession[];
  behaviours: Record<Behaviour, number>;
  returned: number;
  /** Actions skipped because the obligation's agency had ended with nobody taking over. */
  skippedAgencyEnded: number;
  reportedToUbnd: number;
  /** The last sweep's instant (epoch ms). */
  endedAt: number;
  /** Per obligation: the instant of its final report, or absent while it is still owed. */
  reportedAt: Map<string, number>;
  /** Per obligation: when its report was returned (its timers are reactivated then). */
  returnedAt: Map<string, number[]>;
  ms: number;
}

export interface SoakOptions {
  firstYear: number;
  years: number;
  seed: number;
  /** Called with each year's figures as it ends. */
  onYear?: (year: SoakYear) => void;
}

interface YearInProgress {
  /** performance.now() when the year began. */
  started: number;
  figures: SoakYear;
}

type Action =
  | { kind: 'START' | 'SUBMIT' | 'RETURN'; obligationId: string; planId: string; seq: number }
  | { kind: 'REPORT_TO_UBND'; planId: string; year: number; seq: number };

/** The garbage collector, exposed at run time when node was started without --expose-gc. */
export function exposeGc(): () => void {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (typeof existing === 'function') return existing;
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

export async function runSoak(
  app: INestApplicationContext,
  clock: VirtualClock,
  options: SoakOptions,
): Promise<SoakRun> {
  return new SoakDriver(app, clock, options).run();
}

class SoakDriver {
  private readonly plans: LoadedPlan[];
  private readonly db: Database;
  private readonly commands: CommandService;
  private readonly sweeper: SweepService;
  private readonly random: Random;
  private readonly gc = exposeGc();
  /** Actions by civil date, in the order they were scheduled. */
  private readonly agenda = new Map<string, Action[]>();
  private readonly successionDates: Set<string>;
  private seq = 0;
  private readonly result: SoakRun = {
    years: [],
    successions: [],
    behaviours: { 'on-time': 0, late: 0, 'started-only': 0, silent: 0 },
    returned: 0,
    skippedAgencyEnded: 0,
    reportedToUbnd: 0,
    endedAt: 0,
    reportedAt: new Map(),
    returnedAt: new Map(),
    ms: 0,
  };

  constructor(
    private readonly app: INestApplicationContext,
    private readonly clock: VirtualClock,
    private readonly options: SoakOptions,
  ) {
    this.plans = app.get(PlanRegistry).list();
    this.db = app.get(Database);
    this.commands = app.get(CommandService);
    this.sweeper = app.get(SweepService);
    this.random = mulberry32(options.seed);
    this.successionDates = new Set(this.plans.flatMap((p) => p.registry?.successionDates() ?? []));
  }

  async run(): Promise<SoakRun> {
    const started = performance.now();
    const { firstYear, years } = this.options;
    const lastYear = firstYear + years - 1;
    let day = dayStart(`${firstYear}-01-01`);
    let year = this.startYear(firstYear);
    for (;;) {
      const date = day.toISODate()!;
      if (day.year > lastYear) {
        // The last year runs on until its ladder and its late reports are over.
        if (!(await this.workLeft(date))) break;
      } else if (day.year !== year.figures.year) {
        await this.endYear(year);
        year = this.startYear(day.year);
      }
      this.clock.set(day.toJSDate());
      if (day.month === 1 && day.day === 1 && day.year <= lastYear) {
        year.figures.opened = await this.openCycles(day.year);
      }
      if (this.successionDates.has(date)) await this.applySuccession(date);
      this.count(year, await this.sweeper.sweep(day.toMillis()));
      const todays = this.agenda.get(date);
      if (todays) {
        const at = day.set({ hour: ACTION_HOUR });
        this.clock.set(at.toJSDate());
        this.count(year, await this.sweeper.sweep(at.toMillis()));
        for (const action of todays) await this.act(action, at.toMillis(), date);
        this.agenda.delete(date);
      }
      this.result.endedAt = this.clock.now().getTime();
      day = day.plus({ days: 1 });
    }
    await this.endYear(year);
    this.result.ms = performance.now() - started;
    return this.result;
  }

  private startYear(year: number): YearInProgress {
    return {
      started: performance.now(),
      figures: {
        year,
        opened: {},
        events: 0,
        fired: { REMIND: 0, DEADLINE_PASSED: 0, ESCALATE: 0 },
        heapUsed: 0,
        rss: 0,
        ms: 0,
      } as SoakYear,
    };
  }

  private async endYear(y: YearInProgress): Promise<void> {
    const events = await this.countEvents();
    const before = this.result.years.reduce((n, f) => n + f.events, 0);
    y.figures.events = events - before;
    y.figures.ms = performance.now() - y.started;
    this.gc();
    this.gc();
    const mem = process.memoryUsage();
    y.figures.heapUsed = mem.heapUsed;
    y.figures.rss = mem.rss;
    this.result.years.push(y.figures);
    this.options.onYear?.(y.figures);
  }

  private async countEvents(): Promise<number> {
    return this.db.read(async (sql) => {
      const rows = await sql.query<{ n: unknown }>('SELECT COUNT(*) AS n FROM obligation_events');
      return intValue(rows[0]!.n);
    });
  }

  /** Whether an action or a pending step of the ladder is still ahead, from `date` on. */
  private async workLeft(date: string): Promise<boolean> {
    if ([...this.agenda.keys()].some((d) => d >= date)) return true;
    const rows = await this.db.read((sql) =>
      sql.query<{ last: unknown }>(
        'SELECT MAX(due_at) AS last FROM timers WHERE fired_at IS NULL AND cancelled_at IS NULL',
      ),
    );
    const last = rows[0]?.last;
    return last != null && civil(intValue(last)) >= date;
  }

  private count(y: YearInProgress, fired: Array<{ type: string }>): void {
    for (const f of fired) y.figures.fired[f.type as keyof SoakYear['fired']] += 1;
  }

  private schedule(date: string, action: Action): void {
    const list = this.agenda.get(date) ?? [];
    list.push(action);
    this.agenda.set(date, list);
  }

  private async openCycles(year: number): Promise<Record<string, number>> {
    const opened: Record<string, number> = {};
    for (const plan of this.plans) {
      const { firstYear, lastYear } = plan.definition.cycle;
      if (year < firstYear || (lastYear !== null && year > lastYear)) continue;
      const cycle = await this.app.get(CycleService).open(plan.definition.id, year, ADMIN);
      opened[plan.definition.id] = cycle.obligations.length;
      let lastOnTime = '';
      for (const o of cycle.obligations) {
        lastOnTime = civil(Date.parse(o.dueAt) - 1);
        this.decide(plan.definition.id, o.id, year, lastOnTime);
      }
      if (lastOnTime) {
        this.schedule(reportDay(lastOnTime), {
          kind: 'REPORT_TO_UBND',
          planId: plan.definition.id,
          year,
          seq: this.seq++,
        });
      }
    }
    return opened;
  }

  /** One obligation's behaviour for the year, as steps on the agenda. */
  private decide(planId: string, obligationId: string, year: number, lastOnTime: string): void {
    const { behaviour, steps } = drawBehaviour(this.random, year, lastOnTime);
    this.result.behaviours[behaviour] += 1;
    for (const step of steps) {
      this.schedule(step.date, { kind: step.kind, obligationId, planId, seq: this.seq++ });
    }
  }

  private async applySuccession(date: string): Promise<void> {
    const report = await this.app.get(SuccessionService).apply({ date }, ADMIN);
    this.result.successions.push({
      date,
      transfers: report.transfers.length,
      undecided: report.undecided.length,
    });
  }

  private async act(action: Action, now: number, date: string): Promise<void> {
    const plan = this.plans.find((p) => p.definition.id === action.planId)!;
    if (action.kind === 'REPORT_TO_UBND') {
      await this.reportToUbnd(plan, action.year, date);
      return;
    }
    const rows = await this.db.read((sql) =>
      sql.query<{ agency_code: string; stage: string }>(
        'SELECT agency_code, stage FROM obligations WHERE id = ?',
        [action.obligationId],
      ),
    );
    const { agency_code: agency, stage } = rows[0]!;
    if (action.kind === 'RETURN') {
      // Already aggregated (the report came in before the return was due): nothing to return.
      if (stage !== 'report_submitted') return;
      await this.commands.execute({
        obligationId: action.obligationId,
        type: 'RETURN_REPORT',
        payload: { reason: 'Báo cáo thiếu số liệu, đề nghị bổ sung (thử tải)' },
        caller: aggregatorCaller(aggregatorOf(plan, date)?.code ?? null),
      });
      this.result.reportedAt.delete(action.obligationId);
      this.result.returnedAt.set(action.obligationId, [
        ...(this.result.returnedAt.get(action.obligationId) ?? []),
        now,
      ]);
      this.result.returned += 1;
      return;
    }
    if (plan.registry && !plan.registry.isValidOn(agency, date)) {
      this.result.skippedAgencyEnded += 1;
      return;
    }
    if (action.kind === 'START') {
      if (stage !== 'plan_drafted') return;
      await this.commands.execute({
        obligationId: action.obligationId,
        type: 'START_IMPLEMENTATION',
        payload: { planRef: `KH-THỬ-TẢI/${agency}/${action.seq}` },
        caller: officer(agency),
      });
      return;
    }
    if (stage === 'plan_drafted') {
      await this.commands.execute({
        obligationId: action.obligationId,
        type: 'START_IMPLEMENTATION',
        payload: { planRef: `KH-THỬ-TẢI/${agency}/${action.seq}` },
        caller: officer(agency),
      });
    }
    await this.commands.execute({
      obligationId: action.obligationId,
      type: 'SUBMIT_REPORT',
      payload: { reportRef: `BC-THỬ-TẢI/${agency}/${action.seq}` },
      caller: officer(agency),
    });
    this.result.reportedAt.set(action.obligationId, now);
  }

  /** The aggregator aggregates every report in and reports the cycle to UBND tỉnh. */
  private async reportToUbnd(plan: LoadedPlan, year: number, date: string): Promise<void> {
    const caller = aggregatorCaller(aggregatorOf(plan, date)?.code ?? null);
    const ids = await this.db.read((sql) =>
      sql.query<{ id: string }>(
        `SELECT id FROM obligations WHERE plan_id = ? AND year = ? AND stage = 'report_submitted'
         ORDER BY id`,
        [plan.definition.id, year],
      ),
    );
    for (const { id } of ids) {
      await this.commands.execute({ obligationId: id, type: 'AGGREGATE', payload: {}, caller });
    }
    if (ids.length === 0) return;
    const result = await this.app
      .get(ReportToUbndService)
      .report(plan.definition.id, year, `${year}/BC-THỬ-TẢI`, caller);
    this.result.reportedToUbnd += result.reported.length;
  }
}
