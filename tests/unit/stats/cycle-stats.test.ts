import { describe, expect, it } from '@jest/globals';
import {
  cycleStatistics,
  statusRow,
  type ObligationFacts,
} from '../../../src/core/stats/cycle-stats.js';
import { AT, DUE_2024, facts } from '../reports/report-fixture.js';

const one = (change: Partial<ObligationFacts>): ObligationFacts => ({
  obligationId: 'o1',
  agencyCode: 'SO_X',
  group: 'department',
  tags: [],
  stage: 'implementing',
  dueAt: DUE_2024,
  submittedAt: null,
  reportRef: null,
  reportSummary: null,
  escalationLevel: 0,
  ...change,
});

describe('the four statuses of one obligation', () => {
  const due = Date.parse(DUE_2024);

  it('in progress before the deadline is on time; from the deadline instant on it is overdue', () => {
    expect(statusRow(one({}), due - 1).status).toBe('IN_PROGRESS_ON_TIME');
    expect(statusRow(one({}), due - 1).pastDue).toBe(false);
    expect(statusRow(one({}), due).status).toBe('IN_PROGRESS_OVERDUE');
    expect(statusRow(one({}), due).pastDue).toBe(true);
  });

  it('a report is judged by its effective time: just before the deadline on time, at it late', () => {
    const early = one({ stage: 'report_submitted', submittedAt: new Date(due - 1).toISOString() });
    const atDue = one({ stage: 'aggregated', submittedAt: DUE_2024 });
    expect(statusRow(early, due + 86_400_000).status).toBe('DONE_ON_TIME');
    expect(statusRow(atDue, due + 86_400_000).status).toBe('DONE_LATE');
  });

  it('an extension moves the deadline the status is judged against', () => {
    const extended = one({ dueAt: '2024-11-30T17:00:00.000Z' });
    expect(statusRow(extended, Date.parse(AT)).status).toBe('IN_PROGRESS_ON_TIME');
  });

  it('withdrawn and not-yet-opened obligations have no status and are never past due', () => {
    expect(statusRow(one({ stage: 'withdrawn' }), due + 1)).toMatchObject({
      status: null,
      pastDue: false,
    });
    expect(statusRow(one({ stage: null, dueAt: null }), due + 1)).toMatchObject({
      status: null,
      pastDue: false,
    });
  });
});

describe('a 2024 cycle five days after the deadline', () => {
  const stats = cycleStatistics({ obligations: facts(), at: AT });

  it('counts every obligation once by status, the withdrawn one in none', () => {
    expect(stats.totals).toMatchObject({
      total: 54,
      withdrawn: 1,
      notOpened: 0,
      byStatus: {
        IN_PROGRESS_ON_TIME: 1,
        IN_PROGRESS_OVERDUE: 48,
        DONE_ON_TIME: 2,
        DONE_LATE: 2,
      },
    });
    expect(stats.byStage).toMatchObject({
      implementing: 49,
      report_submitted: 2,
      aggregated: 2,
      withdrawn: 1,
      plan_drafted: 0,
    });
  });

  it('the completion rate is taken over the obligations whose deadline has passed', () => {
    // 53 with a status, less the one extended to 30/11: 52 past due, 4 of them done.
    expect(stats.totals.pastDue).toBe(52);
    expect(stats.totals.completedPastDue).toBe(4);
    expect(stats.totals.completionRate).toBeCloseTo(4 / 52, 12);
  });

  it('lists the 48 overdue obligations in input order', () => {
    expect(stats.overdue).toHaveLength(48);
    expect(stats.overdue.every((r) => r.status === 'IN_PROGRESS_OVERDUE')).toBe(true);
    expect(stats.overdue[0]!.agencyCode).toBe('SO_TTTT');
    expect(stats.overdue.map((r) => r.agencyCode)).not.toContain('SO_KHCN');
  });

  it('breaks the figures down: departments with the bank, districts, requested bodies, poor districts', () => {
    const by = Object.fromEntries(stats.byGroup.map((g) => [g.key, g]));
    expect(stats.byGroup.map((g) => g.key)).toEqual([
      'departments',
      'districts',
      'requested',
      'poor-districts',
    ]);
    expect(by.departments).toMatchObject({
      label: 'Sở, ban, ngành',
      total: 21,
      withdrawn: 1,
      byStatus: {
        IN_PROGRESS_ON_TIME: 1,
        IN_PROGRESS_OVERDUE: 17,
        DONE_ON_TIME: 1,
        DONE_LATE: 1,
      },
      pastDue: 19,
      completedPastDue: 2,
    });
    expect(by.districts).toMatchObject({
      total: 27,
      byStatus: { IN_PROGRESS_OVERDUE: 26, DONE_ON_TIME: 1 },
    });
    expect(by.requested).toMatchObject({ total: 6, byStatus: { DONE_LATE: 1 } });
    expect(by['poor-districts']).toMatchObject({
      label: 'Các huyện nghèo',
      total: 6,
      byStatus: {
        IN_PROGRESS_ON_TIME: 0,
        IN_PROGRESS_OVERDUE: 5,
        DONE_ON_TIME: 1,
        DONE_LATE: 0,
      },
    });
    expect(by['poor-districts']!.completionRate).toBeCloseTo(1 / 6, 12);
    // The group buckets partition the roster; the poor districts are inside the districts.
    expect(by.departments!.total + by.districts!.total + by.requested!.total).toBe(54);
  });

  it('before the deadline nothing is overdue and there is no completion rate yet', () => {
    const early = cycleStatistics({ obligations: facts(), at: '2024-11-01T00:00:00.000Z' });
    expect(early.totals.byStatus.IN_PROGRESS_OVERDUE).toBe(0);
    expect(early.totals.completionRate).toBeNull();
    expect(early.overdue).toEqual([]);
  });

  it('an agency of a group no bucket names is counted under "other"', () => {
    const s = cycleStatistics({
      obligations: [one({}), one({ obligationId: 'o2', agencyCode: 'XA_1', group: 'commune' })],
      at: AT,
    });
    expect(s.byGroup.at(-1)).toMatchObject({ key: 'other', total: 1 });
    expect(s.rows[1]!.groupKey).toBe('other');
  });
});
