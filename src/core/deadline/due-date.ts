/**
 * Turns a plan's recurring report date ("trước ngày 15/11 hằng năm") into the instant a given
 * cycle's report is due, and says in words how. Pure: calendar knowledge is passed in.
 */
import { DateTime } from 'luxon';
import { weekendCalendar, type WorkingCalendar } from '../calendar/working-calendar.js';
import type { CycleDefinition, DeadlinePolicy } from '../plan/plan.types.js';

/** A non-working day skipped by a roll-forward, and why it is not a working day. */
export interface SkippedDay {
  date: string;
  reason: string;
}

export interface DueDerivation {
  policy: DeadlinePolicy;
  sourceText: string;
  /** The civil date named by the plan for this cycle. */
  namedDate: string;
  /** The last civil day on which the report is on time. */
  lastDay: string;
  /** Non-working days skipped by a roll-forward, oldest first, each with its reason. */
  skippedDays: SkippedDay[];
  explanation: string;
}

export interface ResolvedDue {
  dueAt: string;
  derivation: DueDerivation;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** `YYYY-MM-DD` → `DD/MM/YYYY`, the Vietnamese way of writing a date. */
export function formatVietnameseDate(civilDate: string): string {
  const [y, m, d] = civilDate.split('-');
  return `${d}/${m}/${y}`;
}

/** The instant a civil day ends (24:00 = next day 00:00) in the zone, as an ISO UTC string. */
export function endOfCivilDay(civilDate: string, zone: string): string {
  return DateTime.fromISO(civilDate, { zone }).plus({ days: 1 }).startOf('day').toUTC().toISO()!;
}

/** The civil date (YYYY-MM-DD) of an instant in the zone. */
export function civilDateOf(instant: Date | string, zone: string): string {
  const dt =
    typeof instant === 'string'
      ? DateTime.fromISO(instant, { zone })
      : DateTime.fromJSDate(instant, { zone });
  return dt.toISODate()!;
}

/** The English weekday of a civil date, e.g. "Monday" (independent of the process TZ). */
function weekdayOf(civilDate: string): string {
  const names = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
  return names[DateTime.fromISO(civilDate, { zone: 'UTC' }).weekday - 1]!;
}

/**
 * Resolves the report deadline of the cycle `year`. The calendar is only consulted by the
 * civil-code roll-forward policy; it defaults to weekends only in the cycle's zone.
 */
export function resolveReportDue(
  cycle: CycleDefinition,
  year: number,
  calendar: WorkingCalendar = weekendCalendar(cycle.timeZone),
): ResolvedDue {
  const zone = cycle.timeZone;
  const { month, day } = cycle.report.due;
  const namedDate = `${year}-${pad(month)}-${pad(day)}`;
  const named = DateTime.fromISO(namedDate, { zone });
  if (cycle.report.policy === 'fixed-exclusive') {
    const lastDay = named.minus({ days: 1 }).toISODate()!;
    return {
      dueAt: named.startOf('day').toUTC().toISO()!,
      derivation: {
        policy: 'fixed-exclusive',
        sourceText: cycle.report.sourceText,
        namedDate,
        lastDay,
        skippedDays: [],
        explanation:
          `"${cycle.report.sourceText}": due before ${formatVietnameseDate(namedDate)} 00:00 (${zone}), ` +
          `so the last day on time is ${formatVietnameseDate(lastDay)}; fixed date, not moved for weekends or holidays.`,
      },
    };
  }
  // Civil Code Art. 147–148: the period ends at 24:00 of its last day (the day before the named
  // date); a last day that is not a working day moves to the next working day.
  const periodEnd = named.minus({ days: 1 }).toISODate()!;
  const skipped: SkippedDay[] = [];
  let lastDay = periodEnd;
  for (let reason = calendar.whyNotWorking(lastDay); reason !== null;) {
    skipped.push({ date: lastDay, reason });
    if (skipped.length > 366) throw new RangeError(`no working day within a year of ${periodEnd}`);
    lastDay = DateTime.fromISO(lastDay, { zone: 'UTC' }).plus({ days: 1 }).toISODate()!;
    reason = calendar.whyNotWorking(lastDay);
  }
  const described = (d: SkippedDay) => `${formatVietnameseDate(d.date)} (${d.reason})`;
  const [first, ...rest] = skipped;
  const nor = rest.length
    ? `, nor ${rest.length === 1 ? 'is' : 'are'} ${rest.map(described).join(', ')}`
    : '';
  return {
    dueAt: endOfCivilDay(lastDay, zone),
    derivation: {
      policy: 'civil-code-roll-forward',
      sourceText: cycle.report.sourceText,
      namedDate,
      lastDay,
      skippedDays: skipped,
      explanation: first
        ? `"${cycle.report.sourceText}": the last day, ${described(first)}, is not a working day${nor}, ` +
          `so the period rolls forward to ${weekdayOf(lastDay)} ${formatVietnameseDate(lastDay)} (Civil Code Art. 148) ` +
          `and ends at 24:00 on that day (${zone}).`
        : `"${cycle.report.sourceText}": the period ends at 24:00 on ${formatVietnameseDate(lastDay)} (${zone}), ` +
          `a working day (Civil Code Art. 147).`,
    },
  };
}

/** The due instant for a deadline extended to a civil date: on time through the end of that day. */
export function resolveExtendedDue(newDueDate: string, zone: string): string {
  return endOfCivilDay(newDueDate, zone);
}

/** 1 January 00:00 of `year` in the zone, as epoch milliseconds. */
export function startOfYear(year: number, zone: string): number {
  return DateTime.fromObject({ year, month: 1, day: 1 }, { zone }).toMillis();
}
