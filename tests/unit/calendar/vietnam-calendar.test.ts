/**
 * The Vietnamese working-day calendar and the report deadlines computed with it. Civil dates must
 * not depend on the process time zone: run this file with TZ=UTC, America/New_York and
 * Pacific/Kiritimati (UTC+14).
 */
import path from 'node:path';
import Holidays from 'date-holidays';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { loadCalendar, loadCalendarYears } from '../../../src/calendar/calendar-loader.js';
import {
  createVietnamCalendar,
  type CalendarYearFile,
} from '../../../src/core/calendar/vietnam-calendar.js';
import {
  weekendCalendar,
  type WorkingCalendar,
} from '../../../src/core/calendar/working-calendar.js';
import { resolveReportDue } from '../../../src/core/deadline/due-date.js';
import type { CycleDefinition, DeadlinePolicy } from '../../../src/core/plan/plan.types.js';

const CALENDAR_DIR = path.resolve(process.cwd(), 'workflows/calendar');

let cal: WorkingCalendar;
let years: CalendarYearFile[];
beforeAll(async () => {
  cal = await loadCalendar(CALENDAR_DIR);
  years = await loadCalendarYears(CALENDAR_DIR);
});

function cycle(policy: DeadlinePolicy): CycleDefinition {
  return {
    frequency: 'yearly',
    firstYear: 2025,
    lastYear: null,
    timeZone: 'Asia/Ho_Chi_Minh',
    report: {
      due: { month: 11, day: 15 },
      policy,
      sourceText: 'định kỳ trước ngày 15/11 hằng năm',
    },
    aggregator: 'SO_NNPTNT',
    reportsTo: { code: 'UBND_TINH', name: 'UBND tỉnh Thanh Hóa' },
    agencyPlanDue: null,
    aggregationDue: null,
  };
}

describe('process time zone', () => {
  it('runs under the TZ it was given (the calendar must not care)', () => {
    const tz = new Intl.DateTimeFormat().resolvedOptions().timeZone;
    // Printed so a run under several TZ values shows which one it was.
    console.info(`process time zone: ${tz} (TZ=${process.env.TZ ?? 'unset'})`);
    expect(typeof tz).toBe('string');
  });
});

describe('Vietnamese working days', () => {
  it('is in Asia/Ho_Chi_Minh and has a fingerprint naming the data', () => {
    expect(cal.zone).toBe('Asia/Ho_Chi_Minh');
    expect(cal.fingerprint).toMatch(
      /^vn:Asia\/Ho_Chi_Minh:date-holidays@\d+\.\d+\.\d+:2024,2025,2026:[0-9a-f]{14}$/,
    );
  });

  it('knows weekends: 15/11/2025 is a Saturday, 14/11/2025 a working Friday', () => {
    expect(cal.isWorkingDay('2025-11-15')).toBe(false);
    expect(cal.whyNotWorking('2025-11-15')).toBe('Saturday');
    expect(cal.whyNotWorking('2025-11-16')).toBe('Sunday');
    expect(cal.isWorkingDay('2025-11-14')).toBe(true);
    expect(cal.whyNotWorking('2025-11-14')).toBeNull();
  });

  it('knows Tết 2025 and 2026 and names the announcement', () => {
    for (const d of ['2025-01-29', '2026-02-17']) {
      expect(cal.isWorkingDay(d)).toBe(false);
      expect(cal.whyNotWorking(d)).toMatch(/Tết/);
    }
    expect(cal.whyNotWorking('2025-01-29')).toBe(
      'announced day off: Nghỉ Tết Nguyên đán (workflows/calendar/2025.yaml)',
    );
    // A weekend day inside the block is named by the announcement, not just "Saturday".
    expect(cal.whyNotWorking('2025-01-25')).toMatch(/^announced day off: Nghỉ Tết Nguyên đán/);
    expect(cal.isWorkingDay('2025-02-03')).toBe(true);
  });

  it('knows Giỗ Tổ Hùng Vương (10/3 lunar): 18/4/2024, 7/4/2025, 26/4/2026 + Monday 27/4/2026', () => {
    for (const d of ['2024-04-18', '2025-04-07', '2026-04-26', '2026-04-27'])
      expect(cal.whyNotWorking(d)).toMatch(/Giỗ Tổ Hùng Vương/);
  });

  it('makes the announced make-up Saturdays working days', () => {
    for (const d of ['2024-05-04', '2025-04-26', '2026-01-10']) {
      expect(cal.isWorkingDay(d)).toBe(true);
      expect(cal.whyNotWorking(d)).toBeNull();
    }
  });

  it('knows the announced swapped days off: 2/5/2025, 29/4/2024, 2/1/2026', () => {
    expect(cal.whyNotWorking('2025-05-02')).toBe(
      'announced day off: Nghỉ lễ 30/4 và 1/5 (workflows/calendar/2025.yaml)',
    );
    expect(cal.isWorkingDay('2024-04-29')).toBe(false);
    expect(cal.isWorkingDay('2026-01-02')).toBe(false);
  });

  it('knows the day next to 2/9 in the announced years', () => {
    expect(cal.isWorkingDay('2024-09-03')).toBe(false);
    expect(cal.isWorkingDay('2025-09-01')).toBe(false);
  });

  it('uses date-holidays alone for a year with no file (2030)', () => {
    expect(cal.whyNotWorking('2030-09-02')).toBe('public holiday: Quốc khánh (date-holidays)');
    expect(cal.whyNotWorking('2030-04-30')).toBe(
      'public holiday: Ngày Giải phóng miền Nam (date-holidays)',
    );
    expect(cal.whyNotWorking('2030-05-01')).toBe(
      'public holiday: Quốc tế Lao động (date-holidays)',
    );
    expect(cal.whyNotWorking('2030-01-01')).toBe('public holiday: Tết Dương lịch (date-holidays)');
    // date-holidays gives Tết as one 5-day entry from the eve (1/2/2030) to the 4th day (5/2/2030).
    expect(cal.whyNotWorking('2030-02-02')).toBe('public holiday: Tết Nguyên Đán (date-holidays)');
    expect(cal.whyNotWorking('2030-02-04')).toMatch(
      /^public holiday: .*Tết Nguyên Đán \(day 4 of 5\)/,
    );
    expect(cal.isWorkingDay('2030-02-06')).toBe(true);
    expect(cal.whyNotWorking('2030-04-12')).toMatch(/Giỗ tổ Hùng Vương/i);
    // No announced adjacent day: 3/9/2030 (Tuesday) is a working day without a file.
    expect(cal.isWorkingDay('2030-09-03')).toBe(true);
  });

  it('keeps observances (e.g. 20/11, Ngày Nhà giáo) as working days', () => {
    expect(cal.isWorkingDay('2025-11-20')).toBe(true);
  });

  it('rejects a malformed civil date', () => {
    expect(() => cal.isWorkingDay('2025-02-30')).toThrow(/civil date YYYY-MM-DD/);
    expect(() => cal.whyNotWorking('15/11/2025')).toThrow(RangeError);
  });
});

describe('addWorkingDays', () => {
  it('crosses Tết 2025: Friday 24/1 + 1 → Monday 3/2', () => {
    expect(cal.addWorkingDays('2025-01-24', 1)).toBe('2025-02-03');
    expect(cal.addWorkingDays('2025-02-03', -1)).toBe('2025-01-24');
  });

  it('crosses a weekend, forwards and backwards', () => {
    expect(cal.addWorkingDays('2025-11-14', 1)).toBe('2025-11-17');
    expect(cal.addWorkingDays('2025-11-14', 5)).toBe('2025-11-21');
    expect(cal.addWorkingDays('2025-11-17', -1)).toBe('2025-11-14');
    expect(cal.addWorkingDays('2025-11-15', -1)).toBe('2025-11-14');
    expect(cal.addWorkingDays('2025-11-15', 1)).toBe('2025-11-17');
  });

  it('counts a make-up Saturday: Friday 25/4/2025 + 1 → Saturday 26/4/2025', () => {
    expect(cal.addWorkingDays('2025-04-25', 1)).toBe('2025-04-26');
    expect(cal.addWorkingDays('2025-04-26', 1)).toBe('2025-04-28');
    // 28/4 Mon, 29/4 Tue, then 30/4–4/5 off: the next after 29/4 is Monday 5/5.
    expect(cal.addWorkingDays('2025-04-29', 1)).toBe('2025-05-05');
  });

  it('returns the date itself for n = 0, working day or not', () => {
    expect(cal.addWorkingDays('2025-11-15', 0)).toBe('2025-11-15');
    expect(cal.addWorkingDays('2025-11-14', 0)).toBe('2025-11-14');
  });

  it('crosses a year boundary', () => {
    // 31/12/2025 Wednesday; 1/1–4/1/2026 off; 5/1/2026 Monday.
    expect(cal.addWorkingDays('2025-12-31', 1)).toBe('2026-01-05');
    expect(cal.addWorkingDays('2026-01-05', -1)).toBe('2025-12-31');
  });

  it('agrees with the weekend calendar over a holiday-free stretch and rejects fractions', () => {
    const weekends = weekendCalendar();
    expect(cal.addWorkingDays('2025-10-01', 20)).toBe(weekends.addWorkingDays('2025-10-01', 20));
    expect(() => cal.addWorkingDays('2025-10-01', 1.5)).toThrow(RangeError);
  });
});

describe('the data behind the calendar', () => {
  it('changes the fingerprint when the data changes', () => {
    const a = createVietnamCalendar(years, { holidaysVersion: '3.37.0' });
    const b = createVietnamCalendar(years, { holidaysVersion: '3.37.0' });
    const c = createVietnamCalendar(years.slice(0, 2), { holidaysVersion: '3.37.0' });
    const d = createVietnamCalendar(years, { holidaysVersion: '3.38.0' });
    expect(a.fingerprint).toBe(b.fingerprint);
    expect(new Set([a.fingerprint, c.fingerprint, d.fingerprint]).size).toBe(3);
    expect(createVietnamCalendar([], { fingerprint: 'given' }).fingerprint).toBe('given');
  });

  it('without year files is weekends + date-holidays only', () => {
    const bare = createVietnamCalendar([]);
    expect(bare.isWorkingDay('2025-05-02')).toBe(true); // the swapped day needs the 2025 file
    expect(bare.isWorkingDay('2025-04-26')).toBe(false); // and so does the make-up Saturday
    expect(bare.whyNotWorking('2025-04-30')).toBe(
      'public holiday: Ngày Giải phóng miền Nam (date-holidays)',
    );
    expect(bare.whyNotWorking('2025-01-29')).toBe('public holiday: Tết Nguyên Đán (date-holidays)');
  });

  it("names as public holidays exactly the public days of date-holidays' full VN data (2020–2035)", () => {
    // The calendar asks date-holidays for public holidays only; the full data, filtered, must
    // give the same days (spans such as Tết expanded).
    const bare = createVietnamCalendar([]);
    const full = new Holidays('VN');
    const DAY = 86_400_000;
    for (let year = 2020; year <= 2035; year++) {
      const expected = new Set<string>();
      for (const h of [...full.getHolidays(year - 1), ...full.getHolidays(year)]) {
        if (h.type !== 'public') continue;
        const days = Math.max(1, Math.round((h.end.getTime() - h.start.getTime()) / DAY));
        const first = Date.parse(`${h.date.slice(0, 10)}T00:00:00Z`);
        for (let k = 0; k < days; k++)
          expected.add(new Date(first + k * DAY).toISOString().slice(0, 10));
      }
      const named: string[] = [];
      for (let t = Date.UTC(year, 0, 1); t < Date.UTC(year + 1, 0, 1); t += DAY) {
        const day = new Date(t).toISOString().slice(0, 10);
        if (bare.whyNotWorking(day)?.startsWith('public holiday:')) named.push(day);
      }
      expect(named).toEqual([...expected].filter((d) => d.startsWith(`${year}-`)).sort());
    }
  });

  it('refuses two entries for one year', () => {
    expect(() => createVietnamCalendar([years[0]!, years[0]!])).toThrow(/one calendar per year/);
  });
});

describe('report deadlines', () => {
  it('fixed-exclusive 2025: before 15/11 00:00 ICT = 2025-11-14T17:00Z, never moved', () => {
    const due = resolveReportDue(cycle('fixed-exclusive'), 2025, cal);
    expect(due.dueAt).toBe('2025-11-14T17:00:00.000Z');
    expect(due.derivation.lastDay).toBe('2025-11-14');
    expect(due.derivation.skippedDays).toEqual([]);
    expect(resolveReportDue(cycle('fixed-exclusive'), 2026, cal).dueAt).toBe(
      '2026-11-14T17:00:00.000Z',
    );
    // The default (weekends-only) calendar gives the same fixed instant.
    expect(resolveReportDue(cycle('fixed-exclusive'), 2025).dueAt).toBe('2025-11-14T17:00:00.000Z');
  });

  it('civil-code roll-forward 2025: 14/11/2025 is a Friday, no roll', () => {
    const due = resolveReportDue(cycle('civil-code-roll-forward'), 2025, cal);
    expect(due.dueAt).toBe('2025-11-14T17:00:00.000Z');
    expect(due.derivation.skippedDays).toEqual([]);
    expect(due.derivation.explanation).toContain('24:00 on 14/11/2025');
  });

  it('civil-code roll-forward 2026: last day Saturday 14/11 → Monday 16/11/2026', () => {
    const due = resolveReportDue(cycle('civil-code-roll-forward'), 2026, cal);
    expect(due.derivation.lastDay).toBe('2026-11-16');
    expect(due.dueAt).toBe('2026-11-16T17:00:00.000Z');
    expect(due.derivation.skippedDays).toEqual([
      { date: '2026-11-14', reason: 'Saturday' },
      { date: '2026-11-15', reason: 'Sunday' },
    ]);
    expect(due.derivation.explanation).toContain('14/11/2026 (Saturday)');
    expect(due.derivation.explanation).toContain('15/11/2026 (Sunday)');
    expect(due.derivation.explanation).toContain(
      'rolls forward to Monday 16/11/2026 (Civil Code Art. 148)',
    );
  });

  it('civil-code roll-forward 2027: last day Sunday 14/11 → Monday 15/11/2027', () => {
    const due = resolveReportDue(cycle('civil-code-roll-forward'), 2027, cal);
    expect(due.derivation.skippedDays).toEqual([{ date: '2027-11-14', reason: 'Sunday' }]);
    expect(due.derivation.lastDay).toBe('2027-11-15');
    expect(due.dueAt).toBe('2027-11-15T17:00:00.000Z');
  });

  it('names a holiday it skips, with its source', () => {
    // A report due "before 1/9": its last day, 31/8/2025, starts the Quốc khánh block 30/8–2/9.
    const base = cycle('civil-code-roll-forward');
    const c = { ...base, report: { ...base.report, due: { month: 9, day: 1 } } };
    const due = resolveReportDue(c, 2025, cal);
    expect(due.derivation.skippedDays.map((s) => s.date)).toEqual([
      '2025-08-31',
      '2025-09-01',
      '2025-09-02',
    ]);
    expect(due.derivation.skippedDays[0]!.reason).toBe(
      'announced day off: Nghỉ lễ Quốc khánh (workflows/calendar/2025.yaml)',
    );
    expect(due.derivation.lastDay).toBe('2025-09-03');
    expect(due.dueAt).toBe('2025-09-03T17:00:00.000Z');
  });
});
