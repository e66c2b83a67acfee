/**
 * The I/O edge for the working-day calendar: reads `workflows/calendar/<year>.yaml`, validates each
 * file with the pure `validateCalendarYear`, and builds the Vietnamese calendar. Every problem of
 * every file is collected before one AggregateDefinitionError is thrown.
 */
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import {
  createVietnamCalendar,
  validateCalendarYear,
  type CalendarYearFile,
} from '../core/calendar/vietnam-calendar.js';
import type { WorkingCalendar } from '../core/calendar/working-calendar.js';
import { AggregateDefinitionError, DefinitionError, type FieldProblem } from '../core/errors.js';
import { parseDefinitionYaml } from '../common/definition-yaml.js';

/** A year file: `2025.yaml`. Other files in the folder (README, notes) are ignored. */
const YEAR_FILE = /^\d{4}\.yaml$/;

/** The installed date-holidays version: a new version may change the holidays it knows. */
export const DATE_HOLIDAYS_VERSION: string = (
  createRequire(import.meta.url)('date-holidays/package.json') as { version: string }
).version;

function ioProblem(err: unknown): FieldProblem {
  const e = err as NodeJS.ErrnoException;
  return {
    path: '',
    message: `expected a readable file, found ${e.code ?? 'an error'}: ${e.message}`,
  };
}

/** How a file is named in errors and reasons: relative to the working folder when inside it. */
function displayPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

/** Parse YAML 1.2; syntax errors name the line and column. */
export function parseCalendarText(source: string, file: string): unknown {
  return parseDefinitionYaml(source, file, 100);
}

/** Read, parse and validate one year file. */
export async function loadCalendarYearFile(file: string): Promise<CalendarYearFile> {
  const shown = displayPath(file);
  let source: string;
  try {
    source = await readFile(file, 'utf8');
  } catch (err) {
    throw new DefinitionError(shown, [ioProblem(err)]);
  }
  return validateCalendarYear(parseCalendarText(source, shown), shown);
}

/**
 * Every `<year>.yaml` in dir, validated, oldest year first. A missing folder means no announced
 * days. Throws one AggregateDefinitionError listing the problems of all invalid files.
 */
export async function loadCalendarYears(dir: string): Promise<CalendarYearFile[]> {
  let names: string[];
  try {
    names = (await readdir(dir, { withFileTypes: true }))
      .filter((e) => e.isFile() && YEAR_FILE.test(e.name))
      .map((e) => e.name)
      .sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new AggregateDefinitionError([new DefinitionError(displayPath(dir), [ioProblem(err)])]);
  }
  const errors: DefinitionError[] = [];
  const years: CalendarYearFile[] = [];
  for (const name of names) {
    try {
      years.push(await loadCalendarYearFile(path.join(dir, name)));
    } catch (err) {
      if (err instanceof DefinitionError) errors.push(err);
      else throw err;
    }
  }
  if (errors.length > 0) throw new AggregateDefinitionError(errors);
  return years;
}

/** The Vietnamese working-day calendar with the announced days of the files in dir. */
export async function loadCalendar(
  dir: string,
  options: { zone?: string } = {},
): Promise<WorkingCalendar> {
  const years = await loadCalendarYears(dir);
  return createVietnamCalendar(years, { ...options, holidaysVersion: DATE_HOLIDAYS_VERSION });
}
