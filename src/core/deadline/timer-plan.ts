/**
 * Which timers an obligation needs, from the plan's escalation ladder and its due instant.
 * Pure: the calendar is passed in. Kinds and levels:
 * - REMIND level i: the i-th reminder before the deadline;
 * - DEADLINE_PASSED level 1: the deadline passes (overdue, notify the agency);
 * - ESCALATE level ≥ 2: the later steps of the ladder.
 * Requested bodies get the reminders and the steps up to `requestedMaxLevel` only.
 */
import { DateTime } from 'luxon';
import type { WorkingCalendar } from '../calendar/working-calendar.js';
import type {
  DayOffset,
  EscalationLadder,
  EscalationRecipient,
  ObligationKind,
} from '../plan/plan.types.js';

export type TimerKind = 'REMIND' | 'DEADLINE_PASSED' | 'ESCALATE';

export interface PlannedTimer {
  kind: TimerKind;
  level: number;
  /** Epoch milliseconds (UTC). */
  dueAt: number;
  notify: EscalationRecipient[];
}

const DAY_MS = 86_400_000;

function startOfCivilDay(civilDate: string, zone: string): number {
  return DateTime.fromISO(civilDate, { zone }).startOf('day').toMillis();
}

function civilDate(ms: number, zone: string): string {
  return DateTime.fromMillis(ms, { zone }).toISODate()!;
}

/** When a reminder `before` the deadline fires. */
function reminderAt(before: DayOffset, dueAt: number, calendar: WorkingCalendar): number {
  if (before.unit === 'calendar') return dueAt - before.days * DAY_MS;
  // n working days before the deadline: at the start of the n-th working day before its date.
  const dueDate = civilDate(dueAt, calendar.zone);
  return startOfCivilDay(calendar.addWorkingDays(dueDate, -before.days), calendar.zone);
}

/** When a step `after` the deadline fires. */
function stepAt(after: DayOffset, dueAt: number, calendar: WorkingCalendar): number {
  if (after.unit === 'calendar') return dueAt + after.days * DAY_MS;
  // n working days late: at the end of the n-th working day after the last day on time.
  const lastDay = civilDate(dueAt - 1, calendar.zone);
  const day = calendar.addWorkingDays(lastDay, after.days);
  return (
    startOfCivilDay(day, calendar.zone) +
    (day === lastDay ? dueAt - startOfCivilDay(lastDay, calendar.zone) : DAY_MS)
  );
}

/**
 * Every obligation of a cycle shares its ladder, calendar and due instant, so the timers are
 * computed once per (calendar, ladder, due instant, kind) and copied out: the calendar
 * arithmetic (luxon, time zones) dominated opening a cycle of thousands of obligations.
 * Keyed by object identity, so a reloaded calendar or plan is computed afresh.
 */
const memo = new WeakMap<WorkingCalendar, WeakMap<EscalationLadder, Map<string, PlannedTimer[]>>>();

export function planTimers(input: {
  ladder: EscalationLadder;
  dueAt: number;
  kind: ObligationKind;
  calendar: WorkingCalendar;
}): PlannedTimer[] {
  const { ladder, dueAt, kind, calendar } = input;
  let byLadder = memo.get(calendar);
  if (!byLadder) memo.set(calendar, (byLadder = new WeakMap()));
  let byDue = byLadder.get(ladder);
  if (!byDue) byLadder.set(ladder, (byDue = new Map()));
  const key = `${dueAt}|${kind}`;
  let timers = byDue.get(key);
  if (!timers) {
    if (byDue.size >= 256) byDue.clear();
    timers = computeTimers(ladder, dueAt, kind, calendar);
    byDue.set(key, timers);
  }
  return timers.map((t) => ({ ...t }));
}

function computeTimers(
  ladder: EscalationLadder,
  dueAt: number,
  kind: ObligationKind,
  calendar: WorkingCalendar,
): PlannedTimer[] {
  const timers: PlannedTimer[] = ladder.reminders.map((r, i) => ({
    kind: 'REMIND' as const,
    level: i + 1,
    dueAt: reminderAt(r.before, dueAt, calendar),
    notify: r.notify,
  }));
  for (const step of ladder.levels) {
    if (kind === 'requested' && step.level > ladder.requestedMaxLevel) continue;
    timers.push({
      kind: step.level === 1 ? 'DEADLINE_PASSED' : 'ESCALATE',
      level: step.level,
      dueAt: stepAt(step.after, dueAt, calendar),
      notify: step.notify,
    });
  }
  return timers.sort((a, b) => a.dueAt - b.dueAt);
}

/** The ladder's recipients of a timer (for notifications at fire time). */
export function recipientsOf(
  ladder: EscalationLadder,
  kind: TimerKind,
  level: number,
): EscalationRecipient[] {
  if (kind === 'REMIND') return ladder.reminders[level - 1]?.notify ?? [];
  return ladder.levels.find((l) => l.level === level)?.notify ?? [];
}
