/**
 * A 2024 cycle of the embedded plan as of 10:00 on 20/11/2024 (Hà Nội), five days after the
 * deadline, with obligations in each of the four statuses, one withdrawn, one extended, a paper
 * report received late and the poor districts split.
 */
import path from 'node:path';
import type { ObligationFacts } from '../../../src/core/stats/cycle-stats.js';
import type { PlanDefinition } from '../../../src/core/plan/plan.types.js';
import { loadPlanFile } from '../../../src/plans/plan-loader.js';
import type { ReportInput } from '../../../src/reports/report-content.js';
import { reportInputFrom } from '../../../src/reports/report-input.js';

export const plan: PlanDefinition = await loadPlanFile(
  path.resolve('workflows/thanh-hoa-nq46/plan.yaml'),
);

/** Due before 15/11/2024 (00:00 ICT). */
export const DUE_2024 = '2024-11-14T17:00:00.000Z';
/** 10:00 on 20/11/2024 ICT. */
export const AT = '2024-11-20T03:00:00.000Z';

type Change = Partial<Omit<ObligationFacts, 'obligationId' | 'agencyCode' | 'group' | 'tags'>>;

export const CHANGES: Record<string, Change> = {
  // Submitted on 10/11, aggregated: hoàn thành đúng hạn.
  SO_CONGTHUONG: {
    stage: 'aggregated',
    submittedAt: '2024-11-10T02:00:00.000Z',
    reportRef: '125/BC-SCT',
    reportSummary: 'Đã tổ chức 12 hội nghị xúc tiến thương mại cho nông sản.',
  },
  // Submitted on 18/11: hoàn thành quá hạn.
  SO_TUPHAP: {
    stage: 'report_submitted',
    submittedAt: '2024-11-18T01:00:00.000Z',
    reportRef: '88/BC-STP',
  },
  // Extended to the end of 30/11: đang thực hiện trong hạn.
  SO_KHCN: { dueAt: '2024-11-30T17:00:00.000Z' },
  SO_NGOAIVU: { stage: 'withdrawn' },
  // A poor district on time; another overdue and escalated.
  H_MUONGLAT: {
    stage: 'aggregated',
    submittedAt: '2024-11-13T08:00:00.000Z',
    reportRef: '45/BC-UBND',
  },
  H_QUANSON: { escalationLevel: 2 },
  // A paper report received on 15/11 (recorded later with that date): hoàn thành quá hạn.
  TINH_DOAN: {
    stage: 'report_submitted',
    submittedAt: '2024-11-15T01:00:00.000Z',
    reportRef: '301-BC/TĐTN',
  },
};

/** One fact per agency of the roster, in roster order; the rest are implementing and overdue. */
export function facts(extra: Record<string, Change> = {}): ObligationFacts[] {
  return plan.agencies.map((a, i) => ({
    obligationId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    agencyCode: a.code,
    group: a.group,
    tags: a.tags,
    stage: 'implementing',
    dueAt: DUE_2024,
    submittedAt: null,
    reportRef: null,
    reportSummary: null,
    escalationLevel: 1,
    ...CHANGES[a.code],
    ...extra[a.code],
  }));
}

export function input(
  overrides: Partial<ReportInput> = {},
  extra: Record<string, Change> = {},
): ReportInput {
  return {
    ...reportInputFrom({
      plan,
      year: 2024,
      at: AT,
      cycleDueAt: DUE_2024,
      consolidatedReport: null,
      facts: facts(extra),
    }),
    ...overrides,
  };
}
