/**
 * Validation of a plan definition (the parsed `workflows/<plan-id>/plan.yaml`).
 * Pure core: no I/O. `validatePlan` checks the shape with zod, then the cross-references and
 * semantics on the raw value, and throws one DefinitionError listing every problem.
 */
import { IANAZone } from 'luxon';
import { z } from 'zod';
import { DefinitionError, type FieldProblem } from '../errors.js';
import { semanticProblems } from './plan.semantics.js';
import { describeValue, formatPath, type KnownMachine } from './plan-problem.util.js';
import type { PlanDefinition } from './plan.types.js';

export type { KnownMachine } from './plan-problem.util.js';
export { describeValue, formatPath } from './plan-problem.util.js';

const UPPER_SNAKE = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$/;
const KEBAB = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const TASK_ID = /^[A-Za-z0-9]+(?:[.-][A-Za-z0-9]+)*$/;
const CIVIL_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
/** Days per month for a date that recurs every year (29/2 does not). */
const RECURRING_MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export function isRealCivilDate(s: string): boolean {
  const m = CIVIL_DATE.exec(s);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = new Date(Date.UTC(y, mo - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d;
}

/** A string leaf with one custom check; the check returns the expectation when it fails. */
function checked(expectation: (s: string) => string | null) {
  return z.string().superRefine((s, ctx) => {
    const expected = expectation(s);
    if (expected)
      ctx.addIssue({
        code: 'custom',
        message: `expected ${expected}, found ${describeValue(s)}`,
        input: s,
      });
  });
}

export const text = checked((s) => {
  if (s.trim() === '') return 'non-empty text';
  // eslint-disable-next-line no-control-regex -- rejecting control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(s))
    return 'single-line text (no line breaks or control characters)';
  if (s !== s.trim()) return 'text without leading or trailing spaces';
  if (/ {2}/.test(s)) return 'single-spaced text (no runs of spaces)';
  return null;
});
export const code = checked((s) =>
  UPPER_SNAKE.test(s) ? null : 'an UPPER_SNAKE code such as SO_NNPTNT',
);
export const kebab = checked((s) =>
  KEBAB.test(s) ? null : 'a kebab-case identifier such as thanh-hoa-nq46',
);
export const taskId = checked((s) => (TASK_ID.test(s) ? null : 'a task id such as II.1.1'));
export const civilDate = checked((s) =>
  isRealCivilDate(s) ? null : 'a real civil date YYYY-MM-DD',
);
export const timeZone = checked((s) =>
  IANAZone.isValidZone(s) ? null : 'a valid IANA time zone such as Asia/Ho_Chi_Minh',
);
const int = (min: number, max: number) => z.number().int().min(min).max(max);

/** A strict object: unknown keys are errors whose message lists the allowed keys. */
export function strict<T extends z.ZodRawShape>(shape: T) {
  const allowed = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (iss) => (iss.code === 'unrecognized_keys' ? `allowed: ${allowed}` : undefined),
  });
}

export const agencyGroup = z.enum(['department', 'bank', 'district', 'requested']);
const obligationKind = z.enum(['directed', 'requested']);
const recipient = z.enum(['agency', 'aggregator', 'aggregator-leadership', 'leader']);

const recurringDate = strict({ month: int(1, 12), day: int(1, 31) }).superRefine((v, ctx) => {
  const max = RECURRING_MONTH_DAYS[v.month - 1] ?? 31;
  if (v.day > max) {
    ctx.addIssue({
      code: 'custom',
      path: ['day'],
      input: v.day,
      message: `expected a day that occurs every year in month ${v.month} (1–${max}), found ${v.day}/${v.month}`,
    });
  }
});

const selector = strict({
  agencies: z.array(code).default([]),
  groups: z.array(agencyGroup).default([]),
});

const dayOffset = strict({ days: int(0, 366), unit: z.enum(['calendar', 'working']) });

export const planSchema = strict({
  id: kebab,
  title: text,
  issuer: strict({
    code,
    name: text,
    signer: strict({ authority: text, title: text, name: text }),
  }),
  number: text.nullable(),
  issuedDate: civilDate.nullable(),
  basis: z.array(strict({ ref: text, date: civilDate.nullable(), title: text, issuer: text })),
  lifecycle: strict({ machine: kebab, version: int(1, 1_000_000) }),
  agencyRegistry: kebab.nullable().default(null),
  agencies: z
    .array(
      strict({
        code,
        name: text,
        group: agencyGroup,
        kind: obligationKind,
        reports: z.boolean(),
        tags: z.array(kebab).default([]),
        note: text.optional(),
      }),
    )
    .min(1),
  tasks: z
    .array(
      strict({
        id: taskId,
        printedLabel: text,
        section: text,
        text,
        kind: obligationKind,
        lead: selector,
        coordinating: selector.default({ agencies: [], groups: [] }),
      }),
    )
    .min(1),
  succession: z
    .array(strict({ agency: code, task: taskId, successor: code, note: text.optional() }))
    .default([]),
  cycle: strict({
    frequency: z.literal('yearly'),
    firstYear: int(1900, 2200),
    lastYear: int(1900, 2200).nullable(),
    timeZone,
    report: strict({
      due: recurringDate,
      policy: z.enum(['fixed-exclusive', 'civil-code-roll-forward']),
      sourceText: text,
    }),
    aggregator: code,
    reportsTo: strict({ code, name: text }),
    agencyPlanDue: recurringDate.nullable().default(null),
    aggregationDue: recurringDate.nullable().default(null),
  }),
  escalation: strict({
    reminders: z.array(strict({ before: dayOffset, notify: z.array(recipient).min(1) })),
    levels: z
      .array(strict({ level: int(1, 100), after: dayOffset, notify: z.array(recipient).min(1) }))
      .min(1),
    requestedMaxLevel: int(0, 100),
  }),
});

// Compile-time guarantee that the schema yields exactly PlanDefinition.
type Same<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const schemaYieldsPlanDefinition: Same<z.output<typeof planSchema>, PlanDefinition> = true;
void schemaYieldsPlanDefinition;

type Issue = z.core.$ZodIssue;

export function issueToProblems(iss: Issue): FieldProblem[] {
  const path = formatPath(iss.path);
  switch (iss.code) {
    case 'unrecognized_keys':
      return iss.keys.map((k) => ({
        path: formatPath([...iss.path, k]),
        message: `unknown field ${JSON.stringify(k)}; expected only known fields (${iss.message})`,
      }));
    case 'invalid_type':
      return [
        {
          path,
          message:
            iss.input === undefined
              ? `required field is missing; expected ${iss.expected}`
              : `expected ${iss.expected}, found ${describeValue(iss.input)}`,
        },
      ];
    case 'invalid_value':
      return [
        {
          path,
          message: `expected one of ${iss.values.map((v) => JSON.stringify(v)).join(', ')}, found ${describeValue(iss.input)}`,
        },
      ];
    case 'too_small':
    case 'too_big': {
      const bound = iss.code === 'too_small' ? iss.minimum : iss.maximum;
      const cmp = iss.code === 'too_small' ? 'at least' : 'at most';
      const what = iss.origin === 'array' ? `${cmp} ${bound} item(s)` : `a value ${cmp} ${bound}`;
      return [{ path, message: `expected ${what}, found ${describeValue(iss.input)}` }];
    }
    default:
      return [{ path, message: iss.message }];
  }
}

/**
 * Validate a raw parsed plan. Returns the PlanDefinition or throws DefinitionError(file, problems)
 * listing every problem found (shape, references, semantics, Unicode normalisation).
 */
export function validatePlan(
  raw: unknown,
  file: string,
  knownMachines?: ReadonlyArray<KnownMachine>,
): PlanDefinition {
  const parsed = planSchema.safeParse(raw, { reportInput: true });
  const problems = [
    ...(parsed.success ? [] : parsed.error.issues.flatMap(issueToProblems)),
    ...semanticProblems(raw, knownMachines),
  ];
  if (problems.length > 0 || !parsed.success) throw new DefinitionError(file, problems);
  return parsed.data;
}
