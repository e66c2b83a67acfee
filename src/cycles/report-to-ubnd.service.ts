/**
 * The aggregator reports a cycle to UBND tỉnh: every aggregated obligation moves to
 * reported_to_ubnd (a REPORT_TO_UBND event each, through the one command path) and the
 * consolidated report is recorded on the cycle, all in ONE transaction: if any obligation fails,
 * nothing changes. Obligations not aggregated yet stay open and are listed as not reported.
 */
import { Inject, Injectable } from '@nestjs/common';
import { CLOCK } from '../clock/clocks.js';
import type { Caller } from '../core/access/caller.js';
import type { Clock } from '../core/clock.js';
import { isDone, statusOf, type Status } from '../core/deadline/obligation-status.js';
import { DomainError, ErrorCode, ValidationError } from '../core/errors.js';
import type { Stage } from '../core/machine/obligation-events.js';
import { Database, type Sql } from '../database/database.js';
import { CommandService } from '../obligations/command.service.js';
import {
  ObligationRepository,
  type ObligationRecord,
} from '../obligations/obligation.repository.js';
import { PlanRegistry } from '../plans/plan-registry.service.js';
import {
  AGENCY_NAMER,
  type AgencyNamer,
  type AgencyNamerFactory,
} from '../reports/agency-namer.js';
import { CycleRepository } from './cycle.repository.js';

/** Same bound as the REPORT_TO_UBND payload's consolidatedReportRef. */
const MAX_REF = 200;

export interface ReportedObligation {
  obligationId: string;
  agencyCode: string;
  agencyName: string;
  /** The obligation's version after its REPORT_TO_UBND event. */
  version: number;
}

export interface NotReportedObligation {
  obligationId: string;
  agencyCode: string;
  agencyName: string;
  stage: Stage;
  status: Status | null;
  /** Vietnamese, as the report prints it. */
  reason: string;
}

export interface ReportToUbndResult {
  planId: string;
  year: number;
  consolidatedReportRef: string;
  reportedAt: string;
  reportedBy: string;
  /** True when this repeats an earlier identical request: nothing changed now. */
  repeated: boolean;
  reported: ReportedObligation[];
  notReported: NotReportedObligation[];
}

/** Why an obligation is not in the consolidated report, in the words of the report. */
function whyNotReported(stage: Stage): string {
  if (stage === 'withdrawn') return 'Nhiệm vụ đã được rút, không tổng hợp';
  if (stage === 'reported_to_ubnd') return 'Đã báo cáo UBND tỉnh trước đó';
  if (isDone(stage)) return 'Đã gửi báo cáo, chưa được tổng hợp';
  return 'Chưa gửi báo cáo';
}

@Injectable()
export class ReportToUbndService {
  constructor(
    private readonly db: Database,
    private readonly plans: PlanRegistry,
    private readonly commands: CommandService,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(AGENCY_NAMER) private readonly namers: AgencyNamerFactory,
  ) {}

  /**
   * Reports the cycle. Only the aggregator may (403); the ref must be 1–200 characters (400);
   * the cycle must be open (404) and have something aggregated (422 NOTHING_TO_REPORT). Once a
   * cycle is reported, the same request again answers the recorded outcome with
   * `repeated: true` and changes nothing; another ref is 409 ALREADY_REPORTED.
   */
  async report(
    planId: string,
    year: number,
    consolidatedReportRef: unknown,
    caller: Caller,
  ): Promise<ReportToUbndResult> {
    if (caller.role !== 'aggregator') {
      throw new DomainError(
        ErrorCode.FORBIDDEN,
        `Forbidden: only the aggregator reports a cycle to UBND, not ${caller.role}`,
      );
    }
    const ref = typeof consolidatedReportRef === 'string' ? consolidatedReportRef.trim() : '';
    if (!ref || ref.length > MAX_REF) {
      throw new ValidationError('consolidatedReportRef is required', [
        {
          path: 'consolidatedReportRef',
          message: `expected the consolidated report's number and symbol (1–${MAX_REF} characters), e.g. 15/BC-SNN`,
        },
      ]);
    }
    const plan = this.plans.get(planId);
    const name = this.namers(plan.definition, year);
    return this.db.write(async (tx) => {
      const now = this.clock.now();
      const cycle = await CycleRepository.find(tx, planId, year, true);
      if (!cycle) {
        throw new DomainError(
          ErrorCode.NOT_FOUND,
          `Cycle ${year} of plan "${planId}" is not open`,
          {
            planId,
            year,
          },
        );
      }
      const recorded = cycle.consolidatedReport;
      if (recorded && recorded.ref !== ref) {
        throw new DomainError(
          ErrorCode.ALREADY_REPORTED,
          `Cycle ${year} was already reported to UBND with consolidated report ${recorded.ref}`,
          {
            consolidatedReportRef: recorded.ref,
            reportedAt: new Date(recorded.reportedAt).toISOString(),
          },
        );
      }
      const { items } = await ObligationRepository.list(
        tx,
        { planId, year, now: now.getTime() },
        { offset: 0, limit: 100000 },
      );
      const reported: ReportedObligation[] = [];
      const notReported: NotReportedObligation[] = [];
      if (recorded) {
        // The same request again: answer what it did, change nothing.
        for (const o of items) {
          const mine =
            o.stage === 'reported_to_ubnd' &&
            o.snapshot.context.consolidatedReportRef === recorded.ref;
          if (mine) {
            reported.push({
              obligationId: o.id,
              agencyCode: o.agencyCode,
              agencyName: name(o.agencyCode, o.originAgencyCode),
              version: o.version,
            });
          } else notReported.push(this.notReported(o, name, now.getTime()));
        }
        return this.result(planId, year, recorded, true, reported, notReported);
      }
      if (!items.some((o) => o.stage === 'aggregated')) {
        throw new DomainError(
          ErrorCode.NOTHING_TO_REPORT,
          `No obligation of cycle ${year} is aggregated: aggregate the submitted reports first`,
          { planId, year },
        );
      }
      for (const o of items) {
        if (o.stage !== 'aggregated') {
          notReported.push(this.notReported(o, name, now.getTime()));
          continue;
        }
        const view = await this.commands.executeIn(
          tx,
          {
            obligationId: o.id,
            type: 'REPORT_TO_UBND',
            payload: { consolidatedReportRef: ref },
            expectedVersion: o.version,
            caller,
          },
          now,
        );
        reported.push({
          obligationId: o.id,
          agencyCode: o.agencyCode,
          agencyName: name(o.agencyCode, o.originAgencyCode),
          version: view.version,
        });
      }
      const record = { ref, reportedAt: now.getTime(), reportedBy: caller.name };
      await this.recordOnCycle(tx, planId, year, record);
      return this.result(planId, year, record, false, reported, notReported);
    });
  }

  private async recordOnCycle(
    tx: Sql,
    planId: string,
    year: number,
    record: { ref: string; reportedAt: number; reportedBy: string },
  ): Promise<void> {
    if (!(await CycleRepository.recordConsolidatedReport(tx, planId, year, record))) {
      // A guard: the cycle row is locked (PostgreSQL) or writes are serialised (SQLite).
      throw new DomainError(ErrorCode.ALREADY_REPORTED, `Cycle ${year} was reported concurrently`);
    }
  }

  private notReported(o: ObligationRecord, name: AgencyNamer, now: number): NotReportedObligation {
    return {
      obligationId: o.id,
      agencyCode: o.agencyCode,
      agencyName: name(o.agencyCode, o.originAgencyCode),
      stage: o.stage,
      status: statusOf(o.stage, o.snapshot.context, o.dueAt, now),
      reason: whyNotReported(o.stage),
    };
  }

  private result(
    planId: string,
    year: number,
    record: { ref: string; reportedAt: number; reportedBy: string },
    repeated: boolean,
    reported: ReportedObligation[],
    notReported: NotReportedObligation[],
  ): ReportToUbndResult {
    return {
      planId,
      year,
      consolidatedReportRef: record.ref,
      reportedAt: new Date(record.reportedAt).toISOString(),
      reportedBy: record.reportedBy,
      repeated,
      reported,
      notReported,
    };
  }
}
