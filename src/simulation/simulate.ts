/**
 * Simulates one cycle year of a plan on a virtual clock, in a throwaway database: a fresh SQLite
 * file in the OS temporary folder, deleted at the end. The configured data folder and
 * DATABASE_URL are never opened; the plan and the working-day calendar are the configured ones.
 *
 * Each reporting agency decides (seeded, so repeatable) whether to report, on which day, and
 * on which earlier day to start implementing. The clock then steps day by day from 1 January
 * (00:00 in the plan's zone); each day the agencies' actions go through the real command path
 * (as their officer), then the real sweep fires the reminders, deadline passes and escalations.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConsoleLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DateTime } from 'luxon';
import { cycleRoster } from '../agencies/plan-agencies.js';
import { AppModule } from '../app.module.js';
import { UsageError } from '../cli/errors.js';
import { VirtualClock } from '../clock/clocks.js';
import type { AppConfig } from '../config/app-config.js';
import type { Caller } from '../core/access/caller.js';
import { STATUSES, statusOf, type Status } from '../core/deadline/obligation-status.js';
import type { AgencyDefinition, AgencyGroup, ObligationKind } from '../core/plan/plan.types.js';
import { CycleStatsService } from '../cycles/cycle-stats.service.js';
import { CycleService } from '../cycles/cycle.service.js';
import { Database, intValue } from '../database/database.js';
import { CommandService } from '../obligations/command.service.js';
import { ObligationRepository } from '../obligations/obligation.repository.js';
import { PlanRegistry, type LoadedPlan } from '../plans/plan-registry.service.js';
import { SweepService } from '../timers/sweep.service.js';
import { mulberry32 } from './prng.js';

export type TimelineKind =
  'START_IMPLEMENTATION' | 'SUBMIT_REPORT' | 'REMIND' | 'DEADLINE_PASSED' | 'ESCALATE';

export interface TimelineEvent {
  kind: TimelineKind;
  /** The timer's level (REMIND, DEADLINE_PASSED, ESCALATE); null for an agency's action. */
  level: number | null;
  /** In Vietnamese, e.g. "nhắc hạn lần 1", "quá hạn (cấp 1)", "nộp báo cáo (trễ hạn)". */
  label: string;
  /** Agency codes, in roster order. */
  agencies: string[];
}

export interface TimelineDay {
  /** Civil date YYYY-MM-DD in the plan's zone. */
  date: string;
  events: TimelineEvent[];
}

export interface AgencyOutcome {
  code: string;
  name: string;
  group: AgencyGroup;
  kind: ObligationKind;
  /** Civil dates of the agency's actions, null when it did not act. */
  startedOn: string | null;
  submittedOn: string | null;
  /** Status at the end of the simulation (as CycleStatsService.statistics counts it). */
  status: Status;
  /** Highest escalation level reached (0 = never overdue-noticed). */
  escalationLevel: number;
}

export interface Tally {
  agencies: number;
  byStatus: Record<Status, number>;
  /** Agencies by the highest escalation level they reached, "0" to the ladder's top level. */
  byLevel: Record<string, number>;
}

export interface GroupTally extends Tally {
  group: AgencyGroup;
}

export interface SimulationResult {
  planId: string;
  year: number;
  seed: number;
  submitRate: number;
  timeZone: string;
  /** The report deadline (ISO instant). */
  dueAt: string;
  /** First and last simulated day (civil dates). */
  from: string;
  to: string;
  days: number;
  timeline: TimelineDay[];
  byAgency: AgencyOutcome[];
  byGroup: GroupTally[];
  totals: Tally;
}

export interface SimulationOptions {
  planId: string;
  year: number;
  /** Probability, from 0 to 1, that an agency submits its report. */
  submitRate: number;
  seed: number;
  /** The configuration the workflows and calendar folders come from (database settings unused). */
  config: AppConfig;
  /** Called after each simulated day. */
  onProgress?: (done: number, total: number) => void;
}

/** Reports come in from 1 September to this many days after the deadline. */
const LATE_WINDOW_DAYS = 60;
/** The simulation runs this long past the last escalation step. */
const AFTER_LADDER_DAYS = 7;

export const GROUP_ORDER: readonly AgencyGroup[] = ['department', 'bank', 'district', 'requested'];

const SIM_ADMIN: Caller = { name: 'sim.admin', role: 'admin', agencyCode: null, system: false };

function officer(agencyCode: string): Caller {
  return { name: `sim.${agencyCode}`, role: 'officer', agencyCode, system: false };
}

/** Vietnamese label of a timeline entry. */
export function eventLabel(kind: TimelineKind, level: number | null, onTime = true): string {
  switch (kind) {
    case 'START_IMPLEMENTATION':
      return 'bắt đầu thực hiện';
    case 'SUBMIT_REPORT':
      return onTime ? 'nộp báo cáo (đúng hạn)' : 'nộp báo cáo (trễ hạn)';
    case 'REMIND':
      return `nhắc hạn lần ${level}`;
    case 'DEADLINE_PASSED':
      return `quá hạn (cấp ${level})`;
    case 'ESCALATE':
      return `đôn đốc cấp ${level}`;
  }
}

/** Error-level logging only; Nest's duplicate of an error thrown while building is dropped. */
class SimulationLogger extends ConsoleLogger {
  constructor() {
    super({ logLevels: ['error'] });
  }

  override error(message: unknown, ...rest: unknown[]): void {
    if (rest.at(-1) === 'ExceptionHandler') return;
    super.error(message, ...rest);
  }
}

function emptyTally(levels: number): Tally {
  return {
    agencies: 0,
    byStatus: Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<Status, number>,
    byLevel: Object.fromEntries(Array.from({ length: levels + 1 }, (_, i) => [String(i), 0])),
  };
}

function count(tally: Tally, outcome: AgencyOutcome): void {
  tally.agencies += 1;
  tally.byStatus[outcome.status] += 1;
  const level = String(outcome.escalationLevel);
  tally.byLevel[level] = (tally.byLevel[level] ?? 0) + 1;
}

/** Runs the simulation; the temporary database is removed whatever happens. */
export async function simulate(options: SimulationOptions): Promise<SimulationResult> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dondoc-simulate-'));
  const cleanup = () => fs.rmSync(dataDir, { recursive: true, force: true });
  // Interrupted (Ctrl-C): still leave nothing behind.
  const onSignal = () => {
    cleanup();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const config: AppConfig = {
      ...options.config,
      dataDir,
      databaseUrl: null,
      // Set, so the first start creates `admin` without printing a generated password.
      adminPassword: randomBytes(24).toString('base64url'),
      clock: 'virtual',
      smtpUrl: null,
      webhookUrls: [],
      openCurrentCycleAtStart: false,
    };
    const clock = new VirtualClock(new Date(Date.UTC(options.year, 0, 1)));
    const app = await NestFactory.createApplicationContext(
      AppModule.register(config, { clock, scheduler: false }),
      { logger: new SimulationLogger(), abortOnError: false },
    );
    try {
      await app.init();
      return await new Simulation(
        options,
        clock,
        app.get(PlanRegistry).get(options.planId),
        app.get(CycleService),
        app.get(CycleStatsService),
        app.get(CommandService),
        app.get(SweepService),
        app.get(Database),
      ).run();
    } finally {
      await app.close();
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    cleanup();
  }
}

interface AgencyAction {
  agency: AgencyDefinition;
  obligationId: string;
  type: 'START_IMPLEMENTATION' | 'SUBMIT_REPORT';
}

class Simulation {
  private readonly zone: string;
  private readonly roster: AgencyDefinition[];
  private readonly rank: Map<string, number>;

  constructor(
    private readonly options: SimulationOptions,
    private readonly clock: VirtualClock,
    private readonly plan: LoadedPlan,
    private readonly cycles: CycleService,
    private readonly stats: CycleStatsService,
    private readonly commands: CommandService,
    private readonly sweeper: SweepService,
    private readonly db: Database,
  ) {
    this.zone = plan.definition.cycle.timeZone;
    // The cycle's roster (the plan's agencies as of 1 January, through the agency registry).
    this.roster = cycleRoster(plan, options.year).entries.map((e) => ({
      ...plan.agencies.get(e.code)!,
      kind: e.kind,
    }));
    this.rank = new Map(this.roster.map((a, i) => [a.code, i]));
  }

  private checkYear(): void {
    const { firstYear, lastYear } = this.plan.definition.cycle;
    const { year, planId } = this.options;
    if (year < firstYear || (lastYear !== null && year > lastYear)) {
      const range = lastYear === null ? `${firstYear} on` : `${firstYear} to ${lastYear}`;
      throw new UsageError(
        `invalid --year: ${year} is outside the cycles of plan ${planId} (${range})`,
      );
    }
  }

  async run(): Promise<SimulationResult> {
    this.checkYear();
    const { planId, year, seed, submitRate } = this.options;
    const first = DateTime.fromObject({ year, month: 1, day: 1 }, { zone: this.zone });
    this.clock.set(first.toJSDate());
    const opened = await this.cycles.open(planId, year, SIM_ADMIN);
    const obligationOf = new Map(opened.obligations.map((o) => [o.agencyCode, o.id]));
    const agencyOf = new Map(opened.obligations.map((o) => [o.id, o.agencyCode]));
    const dueAt = Date.parse((await this.stats.statistics(planId, year)).dueAt);

    // The days: 1 January to the later of 31 December, the ladder's last step + a week, and the
    // last day a report may come in.
    const dayIndex = (dt: DateTime) => Math.round(dt.startOf('day').diff(first, 'days').days);
    const dueDay = dayIndex(DateTime.fromMillis(dueAt, { zone: this.zone }));
    const lastTimer = await this.db.read(async (sql) => {
      const rows = await sql.query<{ last: unknown }>('SELECT MAX(due_at) AS last FROM timers');
      return rows[0]?.last == null ? dueAt : intValue(rows[0].last);
    });
    const lastSubmitDay = dueDay + LATE_WINDOW_DAYS;
    const lastDay = Math.max(
      dayIndex(first.endOf('year')),
      dayIndex(DateTime.fromMillis(lastTimer, { zone: this.zone })) + AFTER_LADDER_DAYS,
      lastSubmitDay,
    );
    const total = lastDay + 1;
    const september = dayIndex(first.set({ month: 9, day: 1 }));
    // A deadline before September (another plan): reports then start 75 days before it.
    const firstSubmitDay = september < dueDay ? september : Math.max(1, dueDay - 75);

    // The agencies' decisions, in roster order: three draws each, whatever is decided, so the
    // same seed keeps each agency's days when only the rate changes.
    const random = mulberry32(seed);
    const actions: AgencyAction[][] = Array.from({ length: total }, () => []);
    const startedOn = new Map<string, number>();
    const submittedOn = new Map<string, number>();
    for (const agency of this.roster) {
      const [decide, when, start] = [random.next(), random.next(), random.next()];
      const obligationId = obligationOf.get(agency.code);
      if (!obligationId || decide >= submitRate) continue;
      const submitDay = firstSubmitDay + Math.floor(when * (lastSubmitDay - firstSubmitDay + 1));
      const startDay = Math.floor(start * submitDay);
      actions[startDay]!.push({ agency, obligationId, type: 'START_IMPLEMENTATION' });
      actions[submitDay]!.push({ agency, obligationId, type: 'SUBMIT_REPORT' });
      startedOn.set(agency.code, startDay);
      submittedOn.set(agency.code, submitDay);
    }

    const timeline: TimelineDay[] = [];
    for (let i = 0; i < total; i++) {
      const day = first.plus({ days: i });
      const now = day.toMillis();
      this.clock.set(day.toJSDate());
      const events: TimelineEvent[] = [];
      for (const type of ['START_IMPLEMENTATION', 'SUBMIT_REPORT'] as const) {
        const todays = actions[i]!.filter((a) => a.type === type);
        for (const action of todays) await this.act(action);
        if (todays.length) {
          events.push({
            kind: type,
            level: null,
            label: eventLabel(type, null, now < dueAt),
            agencies: this.ordered(todays.map((a) => a.agency.code)),
          });
        }
      }
      const fired = await this.sweeper.sweep(now);
      const groups = new Map<string, TimelineEvent>();
      for (const f of fired) {
        const key = `${f.type}:${f.level}`;
        let event = groups.get(key);
        if (!event) {
          event = {
            kind: f.type,
            level: f.level,
            label: eventLabel(f.type, f.level),
            agencies: [],
          };
          groups.set(key, event);
        }
        event.agencies.push(agencyOf.get(f.obligationId) ?? f.obligationId);
      }
      const kinds: TimelineKind[] = ['REMIND', 'DEADLINE_PASSED', 'ESCALATE'];
      events.push(
        ...[...groups.values()]
          .map((e) => ({ ...e, agencies: this.ordered(e.agencies) }))
          .sort((a, b) => kinds.indexOf(a.kind) - kinds.indexOf(b.kind) || a.level! - b.level!),
      );
      if (events.length) timeline.push({ date: day.toISODate()!, events });
      this.options.onProgress?.(i + 1, total);
    }

    const civil = (i: number | undefined) =>
      i === undefined ? null : first.plus({ days: i }).toISODate()!;
    const outcomes = await this.outcomes(first.plus({ days: lastDay }).toMillis());
    const levels = Math.max(0, ...this.plan.definition.escalation.levels.map((l) => l.level));
    const byAgency: AgencyOutcome[] = this.roster.flatMap((agency) => {
      const outcome = outcomes.get(agency.code);
      if (!outcome) return [];
      return [
        {
          code: agency.code,
          name: agency.name,
          group: agency.group,
          kind: agency.kind,
          startedOn: civil(startedOn.get(agency.code)),
          submittedOn: civil(submittedOn.get(agency.code)),
          ...outcome,
        },
      ];
    });
    const totals = emptyTally(levels);
    const byGroup: GroupTally[] = GROUP_ORDER.filter((g) =>
      byAgency.some((a) => a.group === g),
    ).map((group) => ({ group, ...emptyTally(levels) }));
    for (const outcome of byAgency) {
      count(totals, outcome);
      count(
        byGroup.find((g) => g.group === outcome.group)!,
        outcome,
      );
    }
    // The totals are the cycle summary's own counts; the per-agency statuses must agree.
    const summary = await this.stats.statistics(planId, year);
    for (const status of STATUSES) {
      if (summary.counts.byStatus[status] !== totals.byStatus[status]) {
        throw new Error(
          `simulation tally disagrees with the cycle summary on ${status}: ` +
            `${totals.byStatus[status]} vs ${summary.counts.byStatus[status]}`,
        );
      }
    }
    totals.byStatus = { ...summary.counts.byStatus };
    return {
      planId,
      year,
      seed,
      submitRate,
      timeZone: this.zone,
      dueAt: new Date(dueAt).toISOString(),
      from: first.toISODate()!,
      to: civil(lastDay)!,
      days: total,
      timeline,
      byAgency,
      byGroup,
      totals,
    };
  }

  /** An agency's action, by its officer, through the command path. */
  private async act({ agency, obligationId, type }: AgencyAction): Promise<void> {
    const { year } = this.options;
    await this.commands.execute({
      obligationId,
      type,
      payload:
        type === 'START_IMPLEMENTATION'
          ? { planRef: `KH-MÔ-PHỎNG/${agency.code}/${year}` }
          : {
              reportRef: `BC-MÔ-PHỎNG/${agency.code}/${year}`,
              summary: 'Báo cáo mô phỏng',
            },
      caller: officer(agency.code),
    });
  }

  /** Each agency's status and escalation level at the end, as the cycle summary computes them. */
  private async outcomes(
    now: number,
  ): Promise<Map<string, Pick<AgencyOutcome, 'status' | 'escalationLevel'>>> {
    const { planId, year } = this.options;
    const { items } = await this.db.read((sql) =>
      ObligationRepository.list(sql, { planId, year, now }, { offset: 0, limit: 100000 }),
    );
    const result = new Map<string, Pick<AgencyOutcome, 'status' | 'escalationLevel'>>();
    for (const o of items) {
      const status = statusOf(o.stage, o.snapshot.context, o.dueAt, now);
      if (status)
        result.set(o.agencyCode, { status, escalationLevel: o.snapshot.context.escalationLevel });
    }
    return result;
  }

  private ordered(codes: string[]): string[] {
    const rank = (c: string) => this.rank.get(c) ?? Number.MAX_SAFE_INTEGER;
    return [...codes].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  }
}
