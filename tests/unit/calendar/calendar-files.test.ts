/**
 * The calendar year files: the real ones in workflows/calendar load and validate; each broken
 * fixture (one defect each, under tests/fixtures/calendar/broken/<case>/<year>.yaml) is reported
 * with its file, path and expectation.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import {
  DATE_HOLIDAYS_VERSION,
  loadCalendar,
  loadCalendarYears,
} from '../../../src/calendar/calendar-loader.js';
import { validateCalendarYear } from '../../../src/core/calendar/vietnam-calendar.js';
import { AggregateDefinitionError, DefinitionError } from '../../../src/core/errors.js';

const CALENDAR_DIR = path.resolve(process.cwd(), 'workflows/calendar');
const BROKEN_DIR = path.resolve(process.cwd(), 'tests/fixtures/calendar/broken');

/** Runs fn and returns the error it throws (fails the test if it does not throw). */
async function caught<E>(fn: () => unknown): Promise<E> {
  try {
    await fn();
  } catch (err) {
    return err as E;
  }
  throw new Error('expected an error, none was thrown');
}

/** Each case folder holds one year file with exactly one defect: its path and a message fragment. */
const BROKEN: Array<{ dir: string; path: string; message: string }> = [
  {
    dir: 'bad-date',
    path: 'daysOff[1].date',
    message: 'expected a real civil date YYYY-MM-DD, found string "2025-02-30"',
  },
  {
    dir: 'date-in-wrong-year',
    path: 'daysOff[1].date',
    message: 'expected a date in 2025, found string "2024-09-02"',
  },
  {
    dir: 'duplicate-date',
    path: 'daysOff[2].date',
    message: 'expected each date once, found "2025-04-07" again (first at daysOff[0].date)',
  },
  {
    dir: 'off-and-working',
    path: 'workingDays[0].date',
    message:
      'either a day off or a working day, found "2025-04-26" in both (also at daysOff[0].date)',
  },
  {
    dir: 'make-up-on-weekday',
    path: 'workingDays[0].date',
    message:
      'expected a Saturday or Sunday (a make-up working day on a weekday changes nothing), found "2025-04-25", a Friday',
  },
  {
    dir: 'unknown-field',
    path: 'daysOff[0].kind',
    message: 'unknown field "kind"; expected only known fields (allowed: date, name, note)',
  },
  {
    dir: 'year-not-file-name',
    path: 'year',
    message: 'expected 2025 (the year in the file name), found number 2024',
  },
  {
    dir: 'yaml-syntax-error',
    path: '',
    message: 'expected valid YAML, found a syntax error at line',
  },
  {
    dir: 'non-nfc-name',
    path: 'daysOff[0].name',
    message: 'expected NFC-normalised Unicode text',
  },
];

describe('the real calendar files (workflows/calendar)', () => {
  const files = readdirSync(CALENDAR_DIR).filter((f) => /^\d{4}\.yaml$/.test(f));

  it('has 2024, 2025 and 2026', () => {
    expect(files.sort()).toEqual(['2024.yaml', '2025.yaml', '2026.yaml']);
  });

  it.each(files)('%s validates, is NFC and lists its source', (file) => {
    const text = readFileSync(path.join(CALENDAR_DIR, file), 'utf8');
    expect(text).toBe(text.normalize('NFC'));
    const year = validateCalendarYear(parse(text), `workflows/calendar/${file}`);
    expect(year.year).toBe(Number(file.slice(0, 4)));
    expect(year.source).toMatch(/unverified/);
    expect(year.daysOff.length).toBeGreaterThan(10);
    expect(year.file).toBe(`workflows/calendar/${file}`);
  });

  it('loads through the loader, oldest year first, with the date-holidays version', async () => {
    const years = await loadCalendarYears(CALENDAR_DIR);
    expect(years.map((y) => y.year)).toEqual([2024, 2025, 2026]);
    expect(years[1]!.file).toBe('workflows/calendar/2025.yaml');
    expect(DATE_HOLIDAYS_VERSION).toMatch(/^3\.\d+\.\d+$/);
    const cal = await loadCalendar(CALENDAR_DIR);
    expect(cal.fingerprint).toContain(`date-holidays@${DATE_HOLIDAYS_VERSION}`);
  });

  it('marks the unverified 2026 facts', () => {
    const text = readFileSync(path.join(CALENDAR_DIR, '2026.yaml'), 'utf8');
    expect(text).toMatch(/UNVERIFIED/);
    expect(text).toMatch(/derived/);
  });
});

describe('broken calendar files', () => {
  it('covers every fixture folder', () => {
    const dirs = readdirSync(BROKEN_DIR).filter((d) => d !== 'two-files');
    expect(dirs.sort()).toEqual(BROKEN.map((b) => b.dir).sort());
  });

  it.each(BROKEN)('$dir: one problem at "$path"', async ({ dir, path: at, message }) => {
    const err = await caught<AggregateDefinitionError>(() =>
      loadCalendar(path.join(BROKEN_DIR, dir)),
    );
    expect(err).toBeInstanceOf(AggregateDefinitionError);
    expect(err.errors).toHaveLength(1);
    const [fileError] = err.errors;
    expect(fileError!.file).toBe(`tests/fixtures/calendar/broken/${dir}/2025.yaml`);
    expect(fileError!.problems).toHaveLength(1);
    expect(fileError!.problems[0]!.path).toBe(at);
    expect(fileError!.problems[0]!.message).toContain(message);
    expect(err.message).toContain(`tests/fixtures/calendar/broken/${dir}/2025.yaml at`);
  });

  it('names the line and column of a YAML syntax error', async () => {
    const err = await caught<AggregateDefinitionError>(() =>
      loadCalendar(path.join(BROKEN_DIR, 'yaml-syntax-error')),
    );
    expect(err.errors[0]!.problems[0]!.message).toMatch(/at line \d+, column \d+/);
  });

  it('reports both files of a folder with two broken files (and ignores other files)', async () => {
    const err = await caught<AggregateDefinitionError>(() =>
      loadCalendar(path.join(BROKEN_DIR, 'two-files')),
    );
    expect(err).toBeInstanceOf(AggregateDefinitionError);
    expect(err.errors.map((e) => path.basename(e.file))).toEqual(['2024.yaml', '2025.yaml']);
    expect(err.errors[0]!.problems).toEqual([
      {
        path: 'daysOff[0].date',
        message: 'expected a real civil date YYYY-MM-DD, found string "2024-04-31"',
      },
    ]);
    expect(err.errors[1]!.problems[0]!.path).toBe('workingDays[0].date');
    expect(err.errors[1]!.problems[0]!.message).toContain('a Monday');
    expect(err.message).toContain('2 invalid definition file(s)');
  });
});

describe('validateCalendarYear', () => {
  const valid = {
    year: 2025,
    source: 'test',
    daysOff: [{ date: '2025-05-02', name: 'Nghỉ lễ' }],
    workingDays: [{ date: '2025-04-26', name: 'Làm bù' }],
  };

  it('accepts a minimal year and defaults the lists', () => {
    expect(validateCalendarYear({ year: 2031, source: 'x' }, '2031.yaml')).toEqual({
      year: 2031,
      source: 'x',
      daysOff: [],
      workingDays: [],
      file: '2031.yaml',
    });
    expect(validateCalendarYear(valid, 'dir/2025.yaml').daysOff).toHaveLength(1);
  });

  it('lists every problem at once, with paths', () => {
    const err = (() => {
      try {
        validateCalendarYear(
          {
            year: 2025.5,
            daysOff: [{ date: '2025-13-01', name: '' }, 'x'],
            workingDays: {},
            extra: true,
          },
          'cal/2025.yaml',
        );
      } catch (e) {
        return e as DefinitionError;
      }
      throw new Error('expected a DefinitionError');
    })();
    expect(err).toBeInstanceOf(DefinitionError);
    const paths = err.problems.map((p) => p.path).sort();
    expect(paths).toEqual(
      [
        'year',
        'source',
        'daysOff[0].date',
        'daysOff[0].name',
        'daysOff[1]',
        'workingDays',
        'extra',
      ].sort(),
    );
    expect(err.problems.find((p) => p.path === 'source')!.message).toMatch(/required|missing/);
  });

  it('requires the file to be named <year>.yaml', () => {
    expect(() => validateCalendarYear(valid, 'calendar.yaml')).toThrow(
      /expected a file named <year>.yaml, found "calendar.yaml"/,
    );
  });

  it('rejects an empty file', () => {
    expect(() => validateCalendarYear(null, '2025.yaml')).toThrow(/expected object, found null/);
  });
});

describe('the calendar folder', () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = await mkdtemp(path.join(tmpdir(), 'dondoc-calendar-'));
    await cp(CALENDAR_DIR, tmp, { recursive: true });
    await writeFile(path.join(tmp, 'README.md'), 'notes\n');
    await writeFile(path.join(tmp, 'draft-2027.yaml'), 'not: [valid\n');
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('ignores files that are not <year>.yaml', async () => {
    const years = await loadCalendarYears(tmp);
    expect(years.map((y) => y.year)).toEqual([2024, 2025, 2026]);
  });

  it('treats a missing folder as no announced days', async () => {
    const cal = await loadCalendar(path.join(tmp, 'missing'));
    expect(cal.isWorkingDay('2025-05-02')).toBe(true);
    expect(cal.whyNotWorking('2025-09-02')).toBe('public holiday: Quốc khánh (date-holidays)');
    expect(cal.fingerprint).toContain(':no-overrides:');
  });
});
