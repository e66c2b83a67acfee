import { describe, expect, it } from '@jest/globals';
import path from 'node:path';
import { weekendCalendar } from '../../../src/core/calendar/working-calendar.js';
import { planTimers } from '../../../src/core/deadline/timer-plan.js';
import { loadPlanFile } from '../../../src/plans/plan-loader.js';
import { loadCalendar } from '../../../src/calendar/calendar-loader.js';

const plan = await loadPlanFile(path.resolve('workflows/thanh-hoa-nq46/plan.yaml'));
const calendar = await loadCalendar(path.resolve('workflows/calendar'));
const DUE_2025 = Date.parse('2025-11-14T17:00:00.000Z'); // trước 15/11/2025, fixed-exclusive

const iso = (ms: number) => new Date(ms).toISOString();

describe('the escalation ladder as timers (Thanh Hóa plan, 2025)', () => {
  it('a directed agency: reminders at 30 and 7 days and 1 working day before, then levels 1–3', () => {
    const timers = planTimers({
      ladder: plan.escalation,
      dueAt: DUE_2025,
      kind: 'directed',
      calendar,
    });
    expect(timers.map((t) => [t.kind, t.level, iso(t.dueAt)])).toEqual([
      ['REMIND', 1, '2025-10-15T17:00:00.000Z'], // 16/10 00:00 ICT
      ['REMIND', 2, '2025-11-07T17:00:00.000Z'], // 08/11 00:00 ICT
      ['REMIND', 3, '2025-11-13T17:00:00.000Z'], // Friday 14/11 00:00 ICT: 15/11 is a Saturday
      ['DEADLINE_PASSED', 1, '2025-11-14T17:00:00.000Z'], // 15/11 00:00 ICT
      ['ESCALATE', 2, '2025-11-21T17:00:00.000Z'], // after 5 working days late: 17–21/11
      ['ESCALATE', 3, '2025-11-28T17:00:00.000Z'], // after 10: 24–28/11
    ]);
    expect(timers.find((t) => t.level === 3 && t.kind === 'ESCALATE')?.notify).toContain('leader');
  });

  it('repeated calls give equal timers that the caller may change without affecting the next', () => {
    const input = { ladder: plan.escalation, dueAt: DUE_2025, kind: 'directed' as const, calendar };
    const first = planTimers(input);
    const expected = structuredClone(first);
    first[0]!.dueAt = 0;
    first.pop();
    expect(planTimers(input)).toEqual(expected);
  });

  it('a requested body (II.3.2) gets the reminders and the overdue notice only', () => {
    const timers = planTimers({
      ladder: plan.escalation,
      dueAt: DUE_2025,
      kind: 'requested',
      calendar,
    });
    expect(timers.map((t) => `${t.kind}:${t.level}`)).toEqual([
      'REMIND:1',
      'REMIND:2',
      'REMIND:3',
      'DEADLINE_PASSED:1',
    ]);
  });

  it('working-day steps skip announced days off (Tết 2026 pushes level 2 of a 10/2 deadline)', () => {
    const due = Date.parse('2026-02-09T17:00:00.000Z'); // due 10/02/2026 00:00 ICT; last day 09/02
    const timers = planTimers({ ladder: plan.escalation, dueAt: due, kind: 'directed', calendar });
    const level2 = timers.find((t) => t.kind === 'ESCALATE' && t.level === 2)!;
    // 10, 11, 12, 13/02 are working days; 14–22/02 is Tết; the 5th is Monday 23/02.
    expect(iso(level2.dueAt)).toBe('2026-02-23T17:00:00.000Z');
    const weekendsOnly = planTimers({
      ladder: plan.escalation,
      dueAt: due,
      kind: 'directed',
      calendar: weekendCalendar(),
    });
    expect(iso(weekendsOnly.find((t) => t.kind === 'ESCALATE' && t.level === 2)!.dueAt)).toBe(
      '2026-02-16T17:00:00.000Z',
    );
  });
});
