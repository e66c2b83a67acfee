/**
 * `apply-succession`: on a succession date, every open obligation of an agency whose validity
 * ended the day before passes to its successor, one TRANSFER each, when the successor is decided
 * (the registry's only successor, or the plan's per-task choice for a split agency); the others
 * are listed with the reason, for an administrator to decide. All transfers of a run commit in
 * one transaction; a second run finds nothing left to transfer.
 */
import { Inject, Injectable } from '@nestjs/common';
import { DateTime } from 'luxon';
import { CLOCK } from '../clock/clocks.js';
import type { Caller } from '../core/access/caller.js';
import type { AgencyRegistry } from '../core/agency/agency-registry.js';
import { addDays } from '../core/agency/civil-date.js';
import { decideSuccession, type UndecidedReason } from '../core/agency/succession.js';
import type { Clock } from '../core/clock.js';
import { isRealCivilDate } from '../core/plan/plan.schema.js';
import { civilDateOf } from '../core/deadline/due-date.js';
import { DomainError, ErrorCode, ValidationError } from '../core/errors.js';
import { FINAL_STAGES, type Stage } from '../core/machine/obligation-events.js';
import { Database, intValue, type Sql } from '../database/database.js';
import { CommandService } from '../obligations/command.service.js';
import { ObligationRepository } from '../obligations/obligation.repository.js';
import { PlanRegistry, type LoadedPlan } from '../plans/plan-registry.service.js';

export interface SuccessionScope {
  /** The succession date (civil, YYYY-MM-DD): agencies whose validity ended the day before. */
  date: string;
  /** Only this plan's obligations; default every plan with an agency registry. */
  planId?: string;
}

/** An agency that ends the day before the date, as its registry records it. */
export interface EndingAgency {
  registry: string;
  code: string;
  name: string;
  validTo: string;
  successors: string[];
}

interface OpenObligation {
  obligationId: string;
  planId: string;
  year: number;
  stage: Stage;
  fromAgency: string;
}

export interface PlannedTransfer extends OpenObligation {
  /** The agency registry that decided it. */
  registry: string;
  toAgency: string;
  basis: string;
  /** `registry`: the only successor; `plan`: the plan's choice for the tasks listed. */
  via: 'registry' | 'plan';
  tasks: string[];
  /** The TRANSFER's effective time: the start of the date, or the obligation's last event if later. */
  effectiveAt: string;
}

export interface UndecidedTransfer extends OpenObligation {
  reason: UndecidedReason | 'SUCCESSOR_NOT_VALID';
  detail: string;
  /** The registry's successors of the agency (empty when none is recorded). */
  successors: string[];
}

export interface SuccessionReport {
  date: string;
  dryRun: boolean;
  ending: EndingAgency[];
  /** Done (or, in a dry run, to do). */
  transfers: PlannedTransfer[];
  /** Left for an administrator, each with the reason. */
  undecided: UndecidedTransfer[];
}

/** Open obligations of the plan whose current agency is one of `codes`, in a stable order. */
async function openObligationsOf(
  sql: Sql,
  planId: string,
  codes: string[],
): Promise<OpenObligation[]> {
  if (codes.length === 0) return [];
  const rows = await sql.query(
    `SELECT id, plan_id, year, agency_code, stage FROM obligations
     WHERE plan_id = ? AND agency_code IN (${codes.map(() => '?').join(', ')})
       AND stage NOT IN (${FINAL_STAGES.map(() => '?').join(', ')})
     ORDER BY year, agency_code, origin_agency_code`,
    [planId, ...codes, ...FINAL_STAGES],
  );
  return rows.map((r) => ({
    obligationId: String(r.id),
    planId: String(r.plan_id),
    year: intValue(r.year),
    stage: r.stage as Stage,
    fromAgency: String(r.agency_code),
  }));
}

@Injectable()
export class SuccessionService {
  constructor(
    private readonly db: Database,
    private readonly plans: PlanRegistry,
    private readonly commands: CommandService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** What a run on the date would do; changes nothing. */
  async plan(scope: SuccessionScope): Promise<SuccessionReport> {
    const plans = this.plansIn(scope);
    return this.db.read((sql) => this.compute(sql, scope.date, plans, true));
  }

  /** Transfers every decided open obligation (admin only), in one transaction. */
  async apply(scope: SuccessionScope, caller: Caller): Promise<SuccessionReport> {
    if (caller.role !== 'admin') {
      throw new DomainError(
        ErrorCode.FORBIDDEN,
        `Forbidden: apply-succession needs role admin (you are ${caller.role})`,
      );
    }
    const plans = this.plansIn(scope);
    const now = this.clock.now();
    for (const plan of plans) {
      const zone = plan.registry!.definition.timeZone;
      if (scope.date > civilDateOf(now, zone)) {
        throw new ValidationError(`The succession date ${scope.date} is after today`, [
          {
            path: 'date',
            message: `expected a date on or before today (${civilDateOf(now, zone)}): a succession takes effect on its date; use a dry run to preview`,
          },
        ]);
      }
    }
    return this.db.write(async (tx) => {
      const report = await this.compute(tx, scope.date, plans, false);
      for (const t of report.transfers) {
        await this.commands.executeIn(
          tx,
          {
            obligationId: t.obligationId,
            type: 'TRANSFER',
            payload: { toAgency: t.toAgency, basis: t.basis },
            effectiveAt: t.effectiveAt,
            reason: `succession of ${t.fromAgency} on ${scope.date} (agency registry ${t.registry}, apply-succession)`,
            caller,
          },
          now,
        );
      }
      return report;
    });
  }

  /** The plans in scope (with a registry); checks the date names a succession of one of them. */
  private plansIn(scope: SuccessionScope): LoadedPlan[] {
    if (!isRealCivilDate(scope.date)) {
      throw new ValidationError(`Invalid succession date ${JSON.stringify(scope.date)}`, [
        { path: 'date', message: 'expected a real civil date YYYY-MM-DD' },
      ]);
    }
    const plans = (
      scope.planId === undefined ? this.plans.list() : [this.plans.get(scope.planId)]
    ).filter((p) => p.registry !== null);
    if (plans.length === 0) {
      throw new ValidationError('No plan in scope names an agency registry', [
        {
          path: 'plan',
          message: `expected a plan with agencyRegistry${scope.planId ? `, found ${scope.planId} without one` : ''}`,
        },
      ]);
    }
    const registries = [...new Set(plans.map((p) => p.registry!))];
    if (!registries.some((r) => r.successionDates().includes(scope.date))) {
      const dates = [...new Set(registries.flatMap((r) => r.successionDates()))].sort();
      throw new ValidationError(`No agency ends on ${addDays(scope.date, -1)}`, [
        {
          path: 'date',
          message: `expected a succession date (the day after an agency's validTo): ${dates.join(', ') || 'none recorded'}; found ${scope.date}`,
        },
      ]);
    }
    return plans;
  }

  private async compute(
    sql: Sql,
    date: string,
    plans: LoadedPlan[],
    dryRun: boolean,
  ): Promise<SuccessionReport> {
    const report: SuccessionReport = { date, dryRun, ending: [], transfers: [], undecided: [] };
    const listed = new Set<AgencyRegistry>();
    for (const plan of plans) {
      const registry = plan.registry!;
      const ending = registry.all().filter((r) => registry.endingBefore(r.code, date) === r);
      if (!listed.has(registry)) {
        listed.add(registry);
        report.ending.push(
          ...ending.map((r) => ({
            registry: registry.id,
            code: r.code,
            name: r.name,
            validTo: r.validTo!,
            successors: r.successors.map((s) => s.code),
          })),
        );
      }
      const endedBy = new Map(ending.map((r) => [r.code, r]));
      const zone = registry.definition.timeZone;
      const dayStart = DateTime.fromISO(date, { zone }).startOf('day').toMillis();
      for (const o of await openObligationsOf(sql, plan.definition.id, [...endedBy.keys()])) {
        const decision = decideSuccession(plan.definition, registry, endedBy.get(o.fromAgency)!);
        if (!decision.decided) {
          report.undecided.push({
            ...o,
            reason: decision.reason,
            detail: decision.detail,
            successors: decision.successors,
          });
          continue;
        }
        // Effective on the succession date, unless the history already goes past it.
        const last = (await ObligationRepository.findForCommand(sql, o.obligationId))?.last;
        const effective = Math.max(dayStart, last?.effectiveAt ?? 0);
        const effectiveDate = civilDateOf(new Date(effective), zone);
        if (!registry.isValidOn(decision.to, effectiveDate)) {
          report.undecided.push({
            ...o,
            reason: 'SUCCESSOR_NOT_VALID',
            detail: `the successor ${decision.to} is not valid on ${effectiveDate}, the date of the obligation's last event; an administrator decides (TRANSFER with a basis)`,
            successors: [decision.to],
          });
          continue;
        }
        report.transfers.push({
          ...o,
          registry: registry.id,
          toAgency: decision.to,
          basis: decision.basis,
          via: decision.via,
          tasks: decision.tasks,
          effectiveAt: new Date(effective).toISOString(),
        });
      }
    }
    return report;
  }
}
