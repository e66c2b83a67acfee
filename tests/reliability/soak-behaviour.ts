/**
 * What an agency does with one year's obligation in the soak, drawn from a seeded PRNG: report
 * on time, report late, start and never report, or stay silent; about one report in twelve is
 * returned by the aggregator and sent again. Pure: civil dates in, civil dates out.
 */
import { DateTime } from 'luxon';
import { mulberry32, type Random } from '../../src/simulation/prng.js';

export const ZONE = 'Asia/Ho_Chi_Minh';
/** Days after the last on-time day on which the aggregator aggregates and reports to UBND. */
export const REPORT_AFTER_DAYS = 14;

export type Behaviour = 'on-time' | 'late' | 'started-only' | 'silent';

export interface Step {
  /** Civil date in Asia/Ho_Chi_Minh. */
  date: string;
  kind: 'START' | 'SUBMIT' | 'RETURN';
}

/** The civil date of an instant. */
export function civil(ms: number): string {
  return DateTime.fromMillis(ms, { zone: ZONE }).toISODate()!;
}

/** 00:00 of a civil date. */
export function dayStart(date: string): DateTime {
  return DateTime.fromISO(date, { zone: ZONE }).startOf('day');
}

/** A day between `from` and `to` (civil dates, both included). */
function dayBetween(random: Random, from: string, to: string): string {
  const span = Math.round(dayStart(to).diff(dayStart(from), 'days').days);
  return dayStart(from)
    .plus({ days: random.int(0, Math.max(0, span)) })
    .toISODate()!;
}

/** The civil date on which the aggregator reports the cycle whose last on-time day is given. */
export function reportDay(lastOnTime: string): string {
  return dayStart(lastOnTime).plus({ days: REPORT_AFTER_DAYS }).toISODate()!;
}

/**
 * One obligation's behaviour and its steps. Always five draws from `random`, whatever is decided,
 * so one obligation's choice never shifts the next one's.
 */
export function drawBehaviour(
  random: Random,
  year: number,
  lastOnTime: string,
): { behaviour: Behaviour; steps: Step[] } {
  const [kind, start, submit, returned, again] = Array.from({ length: 5 }, () => random.next());
  const behaviour: Behaviour =
    kind! < 0.4 ? 'on-time' : kind! < 0.65 ? 'late' : kind! < 0.75 ? 'started-only' : 'silent';
  if (behaviour === 'silent') return { behaviour, steps: [] };
  const fromSeed = (u: number) => mulberry32(Math.floor(u * 2 ** 32));
  const steps: Step[] = [
    { date: dayBetween(fromSeed(start!), `${year}-02-01`, `${year}-08-31`), kind: 'START' },
  ];
  if (behaviour === 'started-only') return { behaviour, steps };
  const pick = fromSeed(submit!);
  const last = dayStart(lastOnTime);
  const submitDay =
    behaviour === 'on-time'
      ? dayBetween(pick, last.minus({ days: 75 }).toISODate()!, lastOnTime)
      : last.plus({ days: pick.int(1, 40) }).toISODate()!;
  steps.push({ date: submitDay, kind: 'SUBMIT' });
  // Returned five days later (while the cycle is not reported yet), sent again 3 to 15 days after.
  const returnDay = dayStart(submitDay).plus({ days: 5 });
  if (returned! < 1 / 12 && returnDay.toISODate()! < reportDay(lastOnTime)) {
    steps.push({ date: returnDay.toISODate()!, kind: 'RETURN' });
    steps.push({
      date: returnDay.plus({ days: 3 + Math.floor(again! * 13) }).toISODate()!,
      kind: 'SUBMIT',
    });
  }
  return { behaviour, steps };
}
