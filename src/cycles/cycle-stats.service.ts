/**
 * A cycle's facts and statistics as of an instant: now from the stored obligations, or an
 * earlier instant by pure replay of the events effective by then. The counting itself is the
 * pure core (src/core/stats); this service only loads.
 */
import { Inject, Injectable } from '@nestjs/common';
import { eventsOf, parseInstant } from '../audit/replay-query.service.js';
import { CLOCK } from '../clock/clocks.js';
import { replay } from '../core/audit/replay.js';
import type { Clock } from '../core/clock.js';
import type { Status } from '../core/deadline/obligation-status.js';
import { DomainError, ErrorCode, ValidationError } from '../core/errors.js';
import type { ObligationContext } from '../core/machine/annual-report.machine.js';
import type { Stage } from '../core/machine/obligation-events.js';
import { cycleStatistics, type ObligationFacts, type Tally } from '../core/stats/cycle-stats.js';
import { Database } from '../database/database.js';
import {
  ObligationRepository,
  type ObligationRecord,
} from '../obligations/obligation.repository.js';
import type { SortKey } from '../obligations/obligation-cursor.js';
import { PlanRegistry, type LoadedPlan } from '../plans/plan-registry.service.js';
import { AGENCY_NAMER, type AgencyNamerFactory } from '../reports/agency-namer.js';
import { CycleRepository, type CycleRecord } from './cycle.repository.js';

/** Obligations read per query. */
const PAGE = 500;

/** A cycle as of an instant: what the statistics and the documents are computed from. */
export interface CycleSnapshot {
  plan: LoadedPlan;
  /** The cycle row; its consolidated report only if it had been recorded by `at`. */
  cycle: CycleRecord;
  /** The as-of instant, ISO (UTC). */
  at: string;
  /** One per obligation of the cycle, in the plan's roster order. */
  facts: ObligationFacts[];
}

export interface OverdueObligation {
  obligationId: string;
  agencyCode: string;
  agencyName: string;
  group: string | null;
  dueAt: string;
  escalationLevel: number;
}

export interface GroupStatistics {
  key: string;
  label: string;
  total: number;
  byStatus: Record<Status, number>;
  pastDue: number;
  completedPastDue: number;
  completionRate: number | null;
}

/** GET /api/plans/:planId/cycles/:year (CONTRACT.md fields first, then additions). */
export interface CycleStatisticsView {
  planId: string;
  year: number;
  dueAt: string;
  openedAt: string;
  /** The as-of instant the figures are for. */
  at: string;
  counts: {
    byStage: Record<Stage, number>;
    byStatus: Record<Status, number>;
    total: number;
    withdrawn: number;
    notOpened: number;
  };
  /** Share of obligations past their deadline whose report is in; null when none is past it. */
  completionRate: number | null;
  pastDue: number;
  completedPastDue: number;
  /** Ids of the obligations in progress past their deadline. */
  overdue: string[];
  overdueObligations: OverdueObligation[];
  byGroup: GroupStatistics[];
  consolidatedReport: { ref: string; reportedAt: string; reportedBy: string } | null;
}

function factsOf(
  plan: LoadedPlan,
  o: ObligationRecord,
  state: { stage: Stage; context: ObligationContext } | null,
): ObligationFacts {
  const agency = plan.agencies.get(o.agencyCode);
  return {
    obligationId: o.id,
    agencyCode: o.agencyCode,
    ...(o.originAgencyCode !== o.agencyCode ? { originAgencyCode: o.originAgencyCode } : {}),
    group: agency?.group ?? null,
    tags: agency?.tags ?? [],
    stage: state?.stage ?? null,
    dueAt: state ? state.context.dueAt : null,
    submittedAt: state?.context.submittedAt ?? null,
    reportRef: state?.context.reportRef ?? null,
    reportSummary: state?.context.reportSummary ?? null,
    escalationLevel: state?.context.escalationLevel ?? 0,
  };
}

function groupView(t: Tally & { key: string; label: string }): GroupStatistics {
  return {
    key: t.key,
    label: t.label,
    total: t.total,
    byStatus: t.byStatus,
    pastDue: t.pastDue,
    completedPastDue: t.completedPastDue,
    completionRate: t.completionRate,
  };
}

@Injectable()
export class CycleStatsService {
  constructor(
    private readonly db: Database,
    private readonly plans: PlanRegistry,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(AGENCY_NAMER) private readonly namers: AgencyNamerFactory,
  ) {}

  /**
   * The as-of instant: `at` (an ISO 8601 instant with an offset, not later than now), or now.
   * A bad `at` is a VALIDATION_FAILED naming the field.
   */
  asOf(at: string | undefined): number {
    const now = this.clock.now().getTime();
    if (at === undefined) return now;
    const ms = parseInstant(at, 'at');
    if (ms > now) {
      throw new ValidationError('at is in the future', [
        { path: 'at', message: `must not be later than now (${new Date(now).toISOString()})` },
      ]);
    }
    return ms;
  }

  /** The cycle's facts as of `at` (default now); 404 for an unknown plan or a cycle not open. */
  async snapshot(planId: string, year: number, at?: string): Promise<CycleSnapshot> {
    const plan = this.plans.get(planId);
    const atMs = this.asOf(at);
    const replayed = at !== undefined;
    const cycle = await this.db.read((sql) => CycleRepository.find(sql, planId, year));
    if (!cycle) {
      throw new DomainError(ErrorCode.NOT_FOUND, `Cycle ${year} of plan "${planId}" is not open`, {
        planId,
        year,
      });
    }
    const facts: ObligationFacts[] = [];
    // Keyset pages: each query seeks through the (plan, year, agency) index; nothing is counted.
    for (let after: SortKey | undefined, more = true; more;) {
      const { items, events, next } = await this.db.read(async (sql) => {
        const page = await ObligationRepository.list(
          sql,
          { planId, year, now: atMs },
          { after, limit: PAGE, count: false },
        );
        const ids = page.items.map((o) => o.id);
        return {
          items: page.items,
          next: page.next,
          events: replayed ? await eventsOf(sql, ids, atMs, null) : null,
        };
      });
      for (const o of items) {
        const state = events
          ? replay(events.get(o.id) ?? []).state
          : { stage: o.stage, context: o.snapshot.context };
        facts.push(factsOf(plan, o, state));
      }
      after = next ?? undefined;
      more = next !== null;
    }
    const order = new Map(plan.definition.agencies.map((a, i) => [a.code, i]));
    const rank = (code: string) => order.get(code) ?? Number.MAX_SAFE_INTEGER;
    facts.sort(
      (a, b) =>
        rank(a.agencyCode) - rank(b.agencyCode) ||
        (a.agencyCode < b.agencyCode ? -1 : a.agencyCode > b.agencyCode ? 1 : 0),
    );
    const report = cycle.consolidatedReport;
    return {
      plan,
      cycle: { ...cycle, consolidatedReport: report && report.reportedAt <= atMs ? report : null },
      at: new Date(atMs).toISOString(),
      facts,
    };
  }

  /** GET /api/plans/:planId/cycles/:year[?at=]. */
  async statistics(planId: string, year: number, at?: string): Promise<CycleStatisticsView> {
    const snap = await this.snapshot(planId, year, at);
    const stats = cycleStatistics({ obligations: snap.facts, at: snap.at });
    const name = this.namers(snap.plan.definition, year, snap.at);
    const report = snap.cycle.consolidatedReport;
    return {
      planId,
      year,
      dueAt: new Date(snap.cycle.dueAt).toISOString(),
      openedAt: new Date(snap.cycle.openedAt).toISOString(),
      at: snap.at,
      counts: {
        byStage: stats.byStage,
        byStatus: stats.totals.byStatus,
        total: stats.totals.total,
        withdrawn: stats.totals.withdrawn,
        notOpened: stats.totals.notOpened,
      },
      completionRate: stats.totals.completionRate,
      pastDue: stats.totals.pastDue,
      completedPastDue: stats.totals.completedPastDue,
      overdue: stats.overdue.map((r) => r.obligationId),
      overdueObligations: stats.overdue.map((r) => ({
        obligationId: r.obligationId,
        agencyCode: r.agencyCode,
        agencyName: name(r.agencyCode, r.originAgencyCode),
        group: r.group,
        dueAt: r.dueAt!,
        escalationLevel: r.escalationLevel,
      })),
      byGroup: stats.byGroup.map(groupView),
      consolidatedReport: report
        ? {
            ref: report.ref,
            reportedAt: new Date(report.reportedAt).toISOString(),
            reportedBy: report.reportedBy,
          }
        : null,
    };
  }
}
