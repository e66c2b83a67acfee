/**
 * The Government Office's four statuses (Quyết định 42/2014/QĐ-TTg) and the due-date story of an
 * obligation. Pure: `now` is an argument.
 */
import type { ObligationContext } from '../machine/annual-report.machine.js';
import type { Stage } from '../machine/obligation-events.js';
import type { CycleDefinition } from '../plan/plan.types.js';
import type { WorkingCalendar } from '../calendar/working-calendar.js';
import { formatVietnameseDate, resolveReportDue, type DueDerivation } from './due-date.js';

export const STATUSES = [
  'IN_PROGRESS_ON_TIME',
  'IN_PROGRESS_OVERDUE',
  'DONE_ON_TIME',
  'DONE_LATE',
] as const;
export type Status = (typeof STATUSES)[number];

/** "Hoàn thành": the report has been submitted (and not returned). */
export function isDone(stage: Stage): boolean {
  return (
    stage === 'report_submitted' ||
    stage === 'report_verified' ||
    stage === 'aggregated' ||
    stage === 'reported_to_ubnd'
  );
}

/** The status of an open (not withdrawn) obligation at `now`, or null for a withdrawn one. */
export function statusOf(
  stage: Stage,
  context: Pick<ObligationContext, 'submittedAt'>,
  dueAt: number,
  now: number,
): Status | null {
  if (stage === 'withdrawn') return null;
  if (isDone(stage)) {
    const submitted = context.submittedAt ? Date.parse(context.submittedAt) : now;
    return submitted < dueAt ? 'DONE_ON_TIME' : 'DONE_LATE';
  }
  return now >= dueAt ? 'IN_PROGRESS_OVERDUE' : 'IN_PROGRESS_ON_TIME';
}

export function describeDue(
  cycle: CycleDefinition,
  year: number,
  context: ObligationContext,
  calendar: WorkingCalendar,
): DueDerivation | { policy: 'extended'; newDueDate: string; basis: string; explanation: string } {
  const last = context.extensions[context.extensions.length - 1];
  if (last) {
    return {
      policy: 'extended',
      newDueDate: last.newDueDate,
      basis: last.basis,
      explanation: `Deadline extended to the end of ${formatVietnameseDate(last.newDueDate)} (${cycle.timeZone}); basis: ${last.basis}.`,
    };
  }
  return reportDerivation(cycle, year, calendar);
}

const derivations = new WeakMap<CycleDefinition, Map<string, DueDerivation>>();

/** The plan's derivation for a year, memoised per cycle definition (it is the same for all). */
function reportDerivation(
  cycle: CycleDefinition,
  year: number,
  calendar: WorkingCalendar,
): DueDerivation {
  let byYear = derivations.get(cycle);
  if (!byYear) derivations.set(cycle, (byYear = new Map()));
  const key = `${year}|${calendar.fingerprint}`;
  let d = byYear.get(key);
  if (!d) byYear.set(key, (d = Object.freeze(resolveReportDue(cycle, year, calendar).derivation)));
  return d;
}
