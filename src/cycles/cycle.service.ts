/**
 * Cycles: one per plan and year. Opening one creates an obligation per reporting agency of the
 * roster, with its first event, in one transaction; opening it again changes nothing.
 */
import { Inject, Injectable, Logger } from '@nestjs/common';
import { CLOCK } from '../clock/clocks.js';
import type { Clock } from '../core/clock.js';
import { civilDateOf, resolveReportDue, startOfYear } from '../core/deadline/due-date.js';
import { GENESIS_HASH } from '../core/audit/event-hash.js';
import { ValidationError } from '../core/errors.js';
import { startObligation } from '../core/machine/obligation-engine.js';
import { Database } from '../database/database.js';
import {
  ObligationRepository,
  type ObligationRecord,
} from '../obligations/obligation.repository.js';
import { newObligationId } from '../obligations/obligation-id.js';
import { CommittedRows, type CommandRow } from '../obligations/committed-rows.js';
import { toView, type Caller, type ObligationView } from '../obligations/obligation-view.js';
import { PlanRegistry } from '../plans/plan-registry.service.js';
import { cycleRoster, describeRoster, type CycleRosterInfo } from '../agencies/plan-agencies.js';
import { CALENDAR } from '../calendar/calendar.provider.js';
import { TimerService } from '../timers/timer.service.js';
import type { WorkingCalendar } from '../core/calendar/working-calendar.js';

@Injectable()
export class CycleService {
  private readonly logger = new Logger(CycleService.name);

  constructor(
    private readonly db: Database,
    private readonly plans: PlanRegistry,
    private readonly timers: TimerService,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CALENDAR) private readonly calendar: WorkingCalendar,
    private readonly committed: CommittedRows,
  ) {}

  /**
   * Opens the cycle; `created` is false when it was already open (nothing changes then). The
   * roster is the plan's reporting agencies resolved through its agency registry as of 1 January
   * of the year (see src/core/agency/roster.ts): successors replace agencies that ended before,
   * and agencies ended without a decided successor owe nothing that year (`roster.excluded`).
   */
  async open(
    planId: string,
    year: number,
    caller: Caller,
  ): Promise<{
    created: boolean;
    planId: string;
    year: number;
    obligations: ObligationView[];
    roster: CycleRosterInfo;
  }> {
    const plan = this.plans.get(planId);
    const { firstYear, lastYear } = plan.definition.cycle;
    if (!Number.isInteger(year) || year < firstYear || (lastYear !== null && year > lastYear)) {
      throw new ValidationError(`Year ${year} is outside the plan's cycles`, [
        {
          path: 'year',
          message: `must be from ${firstYear}${lastYear ? ` to ${lastYear}` : ' on'}`,
        },
      ]);
    }
    const due = resolveReportDue(plan.definition.cycle, year, this.calendar);
    const roster = cycleRoster(plan, year);
    // The rows the opening wrote (null: the cycle was already open), remembered once committed so
    // that the first command on each skips a read.
    const opened = await this.db.write(async (tx): Promise<CommandRow[] | null> => {
      const now = this.clock.now().getTime();
      const inserted = await tx.execute(
        `INSERT INTO cycles (plan_id, year, due_at, opened_at, opened_by) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (plan_id, year) DO NOTHING`,
        [planId, year, Date.parse(due.dueAt), now, caller.name],
      );
      if (inserted !== 1) return null;
      // The obligation exists from the start of its cycle year (or from now, for a future year),
      // so reports received on paper earlier in the year can still be recorded with their date.
      const effectiveAt = Math.min(now, startOfYear(year, plan.definition.cycle.timeZone));
      // Every obligation of the cycle starts in the same state (the snapshot is only serialised).
      const start = startObligation(plan.machineVersion, { dueAt: due.dueAt });
      const rows: CommandRow[] = [];
      for (const agency of roster.entries) {
        const record: ObligationRecord = {
          id: newObligationId(),
          planId,
          year,
          agencyCode: agency.code,
          originAgencyCode: agency.code,
          kind: agency.kind,
          stage: start.stage,
          snapshot: start.snapshot,
          version: 1,
          machineVersion: plan.machineVersion,
          dueAt: Date.parse(due.dueAt),
          createdAt: now,
          updatedAt: now,
        };
        if (!(await ObligationRepository.insert(tx, record))) continue;
        await this.timers.create(tx, record, plan);
        const hash = await ObligationRepository.appendEvent(
          tx,
          {
            obligationId: record.id,
            seq: 1,
            type: 'OBLIGATION_OPENED',
            payload: { planId, year, agencyCode: agency.code, kind: agency.kind, dueAt: due.dueAt },
            actor: caller.name,
            reason: null,
            effectiveAt,
            recordedAt: now,
            stageAfter: start.stage,
            machineVersion: plan.machineVersion,
          },
          GENESIS_HASH,
        );
        rows.push({ obligation: record, last: { effectiveAt, hash } });
      }
      return rows;
    });
    const created = opened !== null;
    for (const row of opened ?? []) this.committed.remember(row);
    if (created) this.logger.log(`Opened cycle ${planId} ${year}`);
    const now = this.clock.now();
    const rows = await this.db.read((sql) =>
      ObligationRepository.list(
        sql,
        { planId, year, now: now.getTime() },
        { offset: 0, limit: 100000 },
      ),
    );
    return {
      created,
      planId,
      year,
      obligations: rows.items.map((o) => toView(o, plan, now, caller)),
      roster: describeRoster(plan, year, roster),
    };
  }

  /** Opens the current year's cycle (in the plan's time zone) of every plan that covers it. */
  async openCurrentCycles(caller: Caller): Promise<void> {
    for (const plan of this.plans.list()) {
      const year = Number(
        civilDateOf(this.clock.now(), plan.definition.cycle.timeZone).slice(0, 4),
      );
      const { firstYear, lastYear } = plan.definition.cycle;
      if (year < firstYear || (lastYear !== null && year > lastYear)) continue;
      await this.open(plan.definition.id, year, caller);
    }
  }
}
