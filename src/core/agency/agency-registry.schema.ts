/**
 * Validation of an agency registry file (`workflows/agencies/<id>.yaml`). Pure core: no I/O.
 * `validateAgencyRegistry` checks the shape with zod, then the consistency of the dates and the
 * successions on the raw value (so both run even when the other fails), and throws one
 * DefinitionError listing every problem with its path and what was expected.
 */
import { z } from 'zod';
import { DefinitionError, type FieldProblem } from '../errors.js';
import { formatPath } from '../plan/plan-problem.util.js';
import {
  agencyGroup,
  civilDate,
  code,
  issueToProblems,
  isRealCivilDate,
  kebab,
  strict,
  text,
  timeZone,
} from '../plan/plan.schema.js';
import { nfcProblems } from '../plan/plan.semantics.js';
import type { AgencyRegistryDefinition } from './agency.types.js';
import { addDays } from './civil-date.js';

const successor = strict({ code, date: civilDate, basis: text, functions: text.optional() });

const agencyRecord = strict({
  code,
  name: text,
  shortName: text.optional(),
  group: agencyGroup,
  tags: z.array(kebab).default([]),
  validFrom: civilDate.nullable().default(null),
  validTo: civilDate.nullable().default(null),
  successors: z.array(successor).default([]),
  endNote: text.optional(),
  note: text.optional(),
});

export const agencyRegistrySchema = strict({
  id: kebab,
  title: text,
  timeZone,
  agencies: z.array(agencyRecord).min(1),
});

// Compile-time guarantee that the schema yields exactly AgencyRegistryDefinition.
type Same<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const schemaYieldsDefinition: Same<
  z.output<typeof agencyRegistrySchema>,
  AgencyRegistryDefinition
> = true;
void schemaYieldsDefinition;

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const items = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const field = (v: unknown, key: string): unknown => (isRecord(v) ? v[key] : undefined);

/** A date field as far as the checks below can use it: a real date, null (open), or unusable. */
function dateOf(v: unknown): string | null | undefined {
  if (v === null || v === undefined) return null;
  return typeof v === 'string' && isRealCivilDate(v) ? v : undefined;
}

const shown = (d: string | null, open: string) => d ?? open;
const period = (from: string | null, to: string | null) =>
  `${shown(from, 'the beginning')} to ${shown(to, 'open end')}`;

interface Period {
  index: number;
  from: string | null;
  to: string | null;
}

const validOn = (p: Period, date: string) =>
  (p.from === null || p.from <= date) && (p.to === null || date <= p.to);

/** Dates, overlaps and successions, on the raw value. */
function consistencyProblems(raw: unknown): FieldProblem[] {
  const out: FieldProblem[] = [];
  const add = (path: PropertyKey[], message: string) =>
    out.push({ path: formatPath(path), message });

  const periods = new Map<string, Period[]>();
  items(field(raw, 'agencies')).forEach((a, i) => {
    const c = field(a, 'code');
    const from = dateOf(field(a, 'validFrom'));
    const to = dateOf(field(a, 'validTo'));
    if (from !== undefined && to !== undefined && from !== null && to !== null && to < from) {
      add(['agencies', i, 'validTo'], `expected a date on or after validFrom ${from}, found ${to}`);
    }
    if (typeof c !== 'string' || from === undefined || to === undefined) return;
    const mine = { index: i, from, to };
    for (const other of periods.get(c) ?? []) {
      const overlaps =
        (other.from === null || to === null || other.from <= to) &&
        (from === null || other.to === null || from <= other.to);
      if (overlaps) {
        add(
          ['agencies', i, 'validFrom'],
          `expected a validity of ${c} that does not overlap agencies[${other.index}] (${period(other.from, other.to)}), found ${period(from, to)}`,
        );
      }
    }
    periods.set(c, [...(periods.get(c) ?? []), mine]);
  });

  items(field(raw, 'agencies')).forEach((a, i) => {
    const c = field(a, 'code');
    const to = dateOf(field(a, 'validTo'));
    const list = items(field(a, 'successors'));
    if (list.length > 0 && to === null) {
      add(
        ['agencies', i, 'successors'],
        'expected validTo when successors are given (an agency is succeeded when it ends), found validTo null',
      );
    }
    const seen = new Map<unknown, number>();
    list.forEach((s, j) => {
      const path = ['agencies', i, 'successors', j];
      const sc = field(s, 'code');
      const date = dateOf(field(s, 'date'));
      const first = seen.get(sc);
      if (typeof sc === 'string' && first !== undefined) {
        add(
          [...path, 'code'],
          `expected each successor once, found ${sc} again (first at successors[${first}])`,
        );
      } else seen.set(sc, j);
      if (typeof sc === 'string' && sc === c) {
        add([...path, 'code'], `expected a successor other than ${sc} itself`);
      }
      if (typeof to === 'string' && typeof date === 'string' && date !== addDays(to, 1)) {
        add(
          [...path, 'date'],
          `expected the day after validTo ${to} (${addDays(to, 1)}), found ${date}`,
        );
      }
      if (typeof sc !== 'string' || sc === c) return;
      const successorPeriods = periods.get(sc);
      if (!successorPeriods) {
        if (Array.isArray(field(raw, 'agencies')))
          add(
            [...path, 'code'],
            `expected an agency code defined in agencies[], found unknown code ${JSON.stringify(sc)}`,
          );
      } else if (typeof date === 'string' && !successorPeriods.some((p) => validOn(p, date))) {
        const validity = successorPeriods.map((p) => period(p.from, p.to)).join('; ');
        add(
          [...path, 'code'],
          `expected ${sc} to be valid on ${date} (the succession date), found it valid ${validity}`,
        );
      }
    });
  });
  return out;
}

/**
 * Validate a raw parsed registry. Returns the definition or throws DefinitionError(file, problems)
 * listing every problem (shape, dates, overlaps, successors, Unicode normalisation).
 */
export function validateAgencyRegistry(raw: unknown, file: string): AgencyRegistryDefinition {
  const parsed = agencyRegistrySchema.safeParse(raw, { reportInput: true });
  const problems: FieldProblem[] = [
    ...(parsed.success ? [] : parsed.error.issues.flatMap(issueToProblems)),
    ...consistencyProblems(raw),
  ];
  nfcProblems(raw, [], problems);
  if (problems.length > 0 || !parsed.success) throw new DefinitionError(file, problems);
  return parsed.data;
}
