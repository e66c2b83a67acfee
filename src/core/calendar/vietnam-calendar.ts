/**
 * The Vietnamese working-day calendar: Monday–Friday in Asia/Ho_Chi_Minh, minus the public holidays
 * of Labour Code 2019 Art. 112 (from `date-holidays`, country VN), minus the days off announced each
 * year, plus the announced make-up working days. Pure: the year files are loaded by the I/O edge.
 * date-holidays' civil date is read from its `date` string, so the process TZ never matters.
 */
import Holidays from 'date-holidays';
import { z } from 'zod';
import { DefinitionError, type FieldProblem } from '../errors.js';
import { describeValue, formatPath } from '../plan/plan-problem.util.js';
import type { WorkingCalendar } from './working-calendar.js';

// ---------------------------------------------------------------------------------------------
// Civil dates as day numbers (days since 1970-01-01, UTC arithmetic: no process TZ involved).

const DAY_MS = 86_400_000;
const CIVIL_DATE = /^\d{4}-\d{2}-\d{2}$/;
const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** `YYYY-MM-DD` (years 1000–9999) → day number, or null when it is not a real civil date. */
function tryParseCivil(s: string): number | null {
  if (!CIVIL_DATE.test(s)) return null;
  const [y, m, d] = [+s.slice(0, 4), +s.slice(5, 7), +s.slice(8, 10)];
  const leap = m === 2 && y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  if (y < 1000 || m < 1 || m > 12 || d < 1 || d > MONTH_DAYS[m - 1]! + (leap ? 1 : 0)) return null;
  return Date.UTC(y, m - 1, d) / DAY_MS;
}

function parseCivil(s: string): number {
  const n = tryParseCivil(s);
  if (n === null)
    throw new RangeError(`expected a civil date YYYY-MM-DD, found ${describeValue(s)}`);
  return n;
}

const formatCivil = (n: number): string => new Date(n * DAY_MS).toISOString().slice(0, 10);
/** 0 = Sunday … 6 = Saturday (1970-01-01 was a Thursday). */
const weekdayOf = (n: number): number => (((n + 4) % 7) + 7) % 7;

// ---------------------------------------------------------------------------------------------
// The year files: `workflows/calendar/<year>.yaml`.

/** A string leaf with one check; the check returns the expectation when it fails. */
function checked(expectation: (s: string) => string | null) {
  return z.string().superRefine((s, ctx) => {
    const expected = expectation(s);
    if (expected) {
      const message = `expected ${expected}, found ${describeValue(s)}`;
      ctx.addIssue({ code: 'custom', message, input: s });
    }
  });
}
const text = checked((s) => {
  if (s.trim() === '') return 'non-empty text';
  // eslint-disable-next-line no-control-regex -- rejecting control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(s)) return 'single-line text (no control characters)';
  if (s !== s.trim()) return 'text without leading or trailing spaces';
  if (s !== s.normalize('NFC'))
    return "NFC-normalised Unicode text (precomposed letters such as 'ễ', not letter + marks)";
  return null;
});
const civilDate = checked((s) =>
  tryParseCivil(s) === null ? 'a real civil date YYYY-MM-DD' : null,
);
function strict<T extends z.ZodRawShape>(shape: T) {
  const allowed = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (iss) => (iss.code === 'unrecognized_keys' ? `allowed: ${allowed}` : undefined),
  });
}
const announcedDay = strict({ date: civilDate, name: text, note: text.optional() });

export const calendarYearSchema = strict({
  year: z.number().int().min(1900).max(2200),
  source: text,
  daysOff: z.array(announcedDay).default([]),
  workingDays: z.array(announcedDay).default([]),
});

export type AnnouncedDay = z.output<typeof announcedDay>;
/**
 * One validated year file: `source` says where the facts come from, `workingDays` are make-up
 * working days (weekend days); `file` is set by `validateCalendarYear` (it is not a YAML field).
 */
export type CalendarYearFile = z.output<typeof calendarYearSchema> & { file?: string };

function issueToProblems(iss: z.core.$ZodIssue): FieldProblem[] {
  const path = formatPath(iss.path);
  if (iss.code === 'unrecognized_keys')
    return iss.keys.map((k) => ({
      path: formatPath([...iss.path, k]),
      message: `unknown field ${JSON.stringify(k)}; expected only known fields (${iss.message})`,
    }));
  if (iss.code === 'invalid_type') {
    const found =
      iss.input === undefined ? 'nothing (required field is missing)' : describeValue(iss.input);
    return [{ path, message: `expected ${iss.expected}, found ${found}` }];
  }
  if (iss.code === 'too_small' || iss.code === 'too_big') {
    const cmp = iss.code === 'too_small' ? `at least ${iss.minimum}` : `at most ${iss.maximum}`;
    return [{ path, message: `expected a value ${cmp}, found ${describeValue(iss.input)}` }];
  }
  return [{ path, message: iss.message }];
}

/** Checks that need the year: dates in the year, no date twice, make-up days on weekends. */
function semanticProblems(raw: unknown, fileYear: number | null): FieldProblem[] {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return [];
  const r = raw as Record<string, unknown>;
  const problems: FieldProblem[] = [];
  const yearOk = typeof r.year === 'number' && Number.isInteger(r.year);
  if (yearOk && fileYear !== null && r.year !== fileYear)
    problems.push({
      path: 'year',
      message: `expected ${fileYear} (the year in the file name), found number ${String(r.year)}`,
    });
  // The file name is authoritative for the dates, so a wrong `year` is reported once.
  const year = fileYear ?? (yearOk ? (r.year as number) : null);
  const seen = new Map<string, string>();
  for (const list of ['daysOff', 'workingDays'] as const) {
    const items = r[list];
    if (!Array.isArray(items)) continue;
    items.forEach((item: unknown, i) => {
      const date = (item as { date?: unknown } | null)?.date;
      if (typeof date !== 'string') return;
      const n = tryParseCivil(date);
      if (n === null) return;
      const path = `${list}[${i}].date`;
      if (year !== null && !date.startsWith(`${year}-`))
        problems.push({ path, message: `expected a date in ${year}, found string "${date}"` });
      const first = seen.get(date);
      if (first !== undefined) {
        const both = !first.startsWith(list);
        problems.push({
          path,
          message: both
            ? `expected a date that is either a day off or a working day, found "${date}" in both (also at ${first})`
            : `expected each date once, found "${date}" again (first at ${first})`,
        });
      } else seen.set(date, path);
      if (list === 'workingDays' && weekdayOf(n) !== 0 && weekdayOf(n) !== 6)
        problems.push({
          path,
          message: `expected a Saturday or Sunday (a make-up working day on a weekday changes nothing), found "${date}", a ${WEEKDAYS[weekdayOf(n)]}`,
        });
    });
  }
  return problems;
}

/**
 * Validate one parsed year file. `file` names it in errors and its base name must be
 * `<year>.yaml`. Throws DefinitionError(file, problems) listing every problem.
 */
export function validateCalendarYear(raw: unknown, file: string): CalendarYearFile {
  const base = file.split(/[\\/]/).pop() ?? file;
  const named = /^(\d{4})\.ya?ml$/.exec(base);
  const fileYear = named ? Number(named[1]) : null;
  const parsed = calendarYearSchema.safeParse(raw, { reportInput: true });
  const problems: FieldProblem[] = [
    ...(named ? [] : [{ path: '', message: `expected a file named <year>.yaml, found "${base}"` }]),
    ...(parsed.success ? [] : parsed.error.issues.flatMap(issueToProblems)),
    ...semanticProblems(raw, fileYear),
  ];
  if (problems.length > 0 || !parsed.success) throw new DefinitionError(file, problems);
  return { ...parsed.data, file };
}

// ---------------------------------------------------------------------------------------------
// The calendar.

const [WORKING, SATURDAY, SUNDAY, HOLIDAY, ANNOUNCED_OFF] = [0, 1, 2, 3, 4] as const;

/** One year: a status per day (index = day number − start) and the public holidays' names. */
type YearTable = { start: number; end: number; status: Uint8Array; holidays: Map<number, string> };

let vnHolidays: Holidays | undefined;

/** The public holidays date-holidays knows for VN in `year`: day number → name (spans expanded). */
function publicHolidays(year: number): Map<number, string> {
  // Public holidays only: date-holidays then skips the observances (most of them lunar dates),
  // a quarter of the work per year; the public ones are the same (checked for 1900–2200).
  vnHolidays ??= new Holidays('VN', { types: ['public'] });
  const best = new Map<number, { name: string; len: number }>();
  for (const h of [...vnHolidays.getHolidays(year - 1), ...vnHolidays.getHolidays(year)]) {
    if (h.type !== 'public') continue;
    const first = parseCivil(h.date.slice(0, 10));
    // A span such as Tết (eve + 4 days) comes as one entry; VN has no DST, so days are 24 h.
    const len = Math.max(1, Math.round((h.end.getTime() - h.start.getTime()) / 86_400_000));
    for (let k = 0; k < len; k += 1) {
      const prev = best.get(first + k);
      if (prev && prev.len <= len) continue; // a single-day holiday names the day over a span
      best.set(first + k, { name: len > 1 ? `${h.name} (day ${k + 1} of ${len})` : h.name, len });
    }
  }
  return new Map([...best].map(([n, v]) => [n, v.name]));
}

/** A short, stable hash (cyrb53) as 14 hex digits: enough to notice that the data changed. */
function hash(str: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < str.length; i += 1) {
    const ch = str.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(16).padStart(14, '0');
}

export interface VietnamCalendarOptions {
  /** IANA zone of the civil dates; default Asia/Ho_Chi_Minh. */
  zone?: string;
  /** The installed date-holidays version (the loader reads it); part of the fingerprint. */
  holidaysVersion?: string;
  /** A precomputed fingerprint that replaces the computed one. */
  fingerprint?: string;
}

export function createVietnamCalendar(
  years: ReadonlyArray<CalendarYearFile>,
  options: VietnamCalendarOptions = {},
): WorkingCalendar {
  const zone = options.zone ?? 'Asia/Ho_Chi_Minh';
  const offs = new Map<number, string>();
  const workings = new Set<number>();
  const seenYears = new Set<number>();
  for (const y of years) {
    if (seenYears.has(y.year))
      throw new DefinitionError(y.file ?? `calendar ${y.year}`, [
        { path: 'year', message: `expected one calendar per year, found ${y.year} twice` },
      ]);
    seenYears.add(y.year);
    const where = y.file ?? `calendar data for ${y.year}`;
    for (const d of y.daysOff)
      offs.set(parseCivil(d.date), `announced day off: ${d.name} (${where})`);
    for (const d of y.workingDays) workings.add(parseCivil(d.date));
  }
  const canonical = [...years]
    .sort((a, b) => a.year - b.year)
    .map((y) => {
      const days = (l: AnnouncedDay[]) =>
        l.map((d) => [d.date, d.name]).sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
      return [y.year, days(y.daysOff), days(y.workingDays)];
    });
  const covered = canonical.map((c) => c[0]).join(',') || 'no-overrides';
  const fingerprint =
    options.fingerprint ??
    `vn:${zone}:date-holidays@${options.holidaysVersion ?? 'unknown'}:${covered}:` +
      hash(JSON.stringify([zone, canonical]));

  const tables = new Map<number, YearTable>();
  let last: YearTable | undefined;
  function tableOf(year: number): YearTable {
    let t = tables.get(year);
    if (t) return t;
    const start = Date.UTC(year, 0, 1) / DAY_MS;
    const end = Date.UTC(year + 1, 0, 1) / DAY_MS;
    const status = new Uint8Array(end - start);
    const holidays = publicHolidays(year);
    for (let n = start; n < end; n += 1) {
      const wd = weekdayOf(n);
      let s: number = wd === 6 ? SATURDAY : wd === 0 ? SUNDAY : WORKING;
      if (holidays.has(n)) s = HOLIDAY;
      if (offs.has(n)) s = ANNOUNCED_OFF;
      if (workings.has(n)) s = WORKING;
      status[n - start] = s;
    }
    t = { start, end, status, holidays };
    tables.set(year, t);
    return t;
  }
  function statusOf(n: number): number {
    if (!last || n < last.start || n >= last.end)
      last = tableOf(new Date(n * DAY_MS).getUTCFullYear());
    return last.status[n - last.start]!;
  }

  return {
    zone,
    fingerprint,
    isWorkingDay: (d) => statusOf(parseCivil(d)) === WORKING,
    whyNotWorking(d) {
      const n = parseCivil(d);
      switch (statusOf(n)) {
        case SATURDAY:
          return 'Saturday';
        case SUNDAY:
          return 'Sunday';
        case HOLIDAY:
          return `public holiday: ${last!.holidays.get(n)} (date-holidays)`;
        case ANNOUNCED_OFF:
          return offs.get(n)!;
        default:
          return null;
      }
    },
    addWorkingDays(d, steps) {
      if (!Number.isInteger(steps))
        throw new RangeError(`expected an integer number of working days, found ${steps}`);
      let n = parseCivil(d);
      if (steps === 0) return d;
      const step = steps > 0 ? 1 : -1;
      for (let left = Math.abs(steps); left > 0;) {
        n += step;
        if (statusOf(n) === WORKING) left -= 1;
      }
      return formatCivil(n);
    },
  };
}
