/**
 * Validation of a plan definition (the parsed `workflows/<plan-id>/plan.yaml`).
 * Pure core: no I/O. `validatePlan` checks the shape with zod, then the cross-references and
 * semantics on the raw value, and throws one DefinitionError listing every problem.
 */
import { IANAZone } from 'luxon';
import { z } from 'zod';
import { DefinitionError, type FieldProblem } from '../errors.js';
import type { PlanDefinition } from './plan.types.js';

/** A lifecycle machine the engine knows, e.g. `{ id: 'annual-report', version: 1 }`. */
export interface KnownMachine {
  id: string;
  version: number;
}

const UPPER_SNAKE = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$/;
const KEBAB = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const TASK_ID = /^[A-Za-z0-9]+(?:[.-][A-Za-z0-9]+)*$/;
const CIVIL_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
/** Days per month for a date that recurs every year (29/2 does not). */
const RECURRING_MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** A short description of a found value for messages: `string "abc"`, `number 3`, `null`. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length} item(s)`;
  if (typeof v === 'string') {
    const shown = v.length > 40 ? `${v.slice(0, 40)}…` : v;
    return `string ${JSON.stringify(shown)}`;
  }
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

function isRealCivilDate(s: string): boolean {
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

const text = checked((s) => {
  if (s.trim() === '') return 'non-empty text';
  // eslint-disable-next-line no-control-regex -- rejecting control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(s))
    return 'single-line text (no line breaks or control characters)';
  if (s !== s.trim()) return 'text without leading or trailing spaces';
  if (/ {2}/.test(s)) return 'single-spaced text (no runs of spaces)';
  return null;
});
const code = checked((s) => (UPPER_SNAKE.test(s) ? null : 'an UPPER_SNAKE code such as SO_NNPTNT'));
const kebab = checked((s) =>
  KEBAB.test(s) ? null : 'a kebab-case identifier such as thanh-hoa-nq46',
);
const taskId = checked((s) => (TASK_ID.test(s) ? null : 'a task id such as II.1.1'));
const civilDate = checked((s) => (isRealCivilDate(s) ? null : 'a real civil date YYYY-MM-DD'));
const timeZone = checked((s) =>
  IANAZone.isValidZone(s) ? null : 'a valid IANA time zone such as Asia/Ho_Chi_Minh',
);
const int = (min: number, max: number) => z.number().int().min(min).max(max);

/** A strict object: unknown keys are errors whose message lists the allowed keys. */
function strict<T extends z.ZodRawShape>(shape: T) {
  const allowed = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (iss) => (iss.code === 'unrecognized_keys' ? `allowed: ${allowed}` : undefined),
  });
}

const agencyGroup = z.enum(['department', 'bank', 'district', 'requested']);
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

/** `tasks[3].lead.agencies[0]`; keys that are not identifiers are quoted. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (typeof seg === 'string' && /^[A-Za-z_$][\w$]*$/.test(seg))
      out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(String(seg))}]`;
  }
  return out;
}

type Issue = z.core.$ZodIssue;

function issueToProblems(iss: Issue): FieldProblem[] {
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

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const items = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const field = (v: unknown, key: string): unknown => (isRecord(v) ? v[key] : undefined);

/** Every string (value or key) must be Unicode NFC. */
function nfcProblems(v: unknown, path: PropertyKey[], out: FieldProblem[]): void {
  if (typeof v === 'string') {
    if (v.normalize('NFC') !== v) {
      out.push({
        path: formatPath(path),
        message: `expected Unicode NFC text, found non-NFC (decomposed) ${describeValue(v)}`,
      });
    }
  } else if (Array.isArray(v)) {
    v.forEach((x, i) => nfcProblems(x, [...path, i], out));
  } else if (isRecord(v)) {
    for (const [k, x] of Object.entries(v)) {
      if (k.normalize('NFC') !== k)
        out.push({
          path: formatPath([...path, k]),
          message: 'expected an NFC key, found a non-NFC key',
        });
      nfcProblems(x, [...path, k], out);
    }
  }
}

/** Cross-references and semantics, on the raw value (runs even when the shape is broken). */
function semanticProblems(
  raw: unknown,
  knownMachines?: ReadonlyArray<KnownMachine>,
): FieldProblem[] {
  const out: FieldProblem[] = [];
  const add = (path: PropertyKey[], message: string) =>
    out.push({ path: formatPath(path), message });

  // Agency roster: unique codes.
  const roster = new Map<string, { group: unknown; kind: unknown; index: number }>();
  items(field(raw, 'agencies')).forEach((a, i) => {
    const c = field(a, 'code');
    if (typeof c !== 'string') return;
    const first = roster.get(c);
    if (first)
      add(
        ['agencies', i, 'code'],
        `expected a unique agency code, found ${JSON.stringify(c)} again (first at agencies[${first.index}])`,
      );
    else roster.set(c, { group: field(a, 'group'), kind: field(a, 'kind'), index: i });
  });
  const haveRoster = Array.isArray(field(raw, 'agencies'));
  const checkRef = (c: unknown, path: PropertyKey[]) => {
    if (haveRoster && typeof c === 'string' && !roster.has(c)) {
      add(
        path,
        `expected an agency code defined in agencies[], found unknown code ${JSON.stringify(c)}`,
      );
    }
  };

  // Tasks: unique ids, known agencies, non-empty and non-vacuous selectors, obligation kinds.
  const taskIds = new Map<string, number>();
  items(field(raw, 'tasks')).forEach((t, i) => {
    const id = field(t, 'id');
    if (typeof id === 'string') {
      const first = taskIds.get(id);
      if (first !== undefined)
        add(
          ['tasks', i, 'id'],
          `expected a unique task id, found ${JSON.stringify(id)} again (first at tasks[${first}])`,
        );
      else taskIds.set(id, i);
    }
    const kind = field(t, 'kind');
    for (const role of ['lead', 'coordinating'] as const) {
      const sel = field(t, role);
      if (!isRecord(sel)) continue;
      const agencies = items(sel.agencies);
      const groups = items(sel.groups);
      agencies.forEach((c, j) => {
        checkRef(c, ['tasks', i, role, 'agencies', j]);
        const a = typeof c === 'string' ? roster.get(c) : undefined;
        if (
          role === 'lead' &&
          a &&
          typeof a.kind === 'string' &&
          typeof kind === 'string' &&
          a.kind !== kind
        ) {
          add(
            ['tasks', i, role, 'agencies', j],
            `expected a ${String(kind)} agency to lead a ${String(kind)} task, found ${c} (kind ${a.kind})`,
          );
        }
      });
      groups.forEach((g, j) => {
        if (!haveRoster || typeof g !== 'string') return;
        const members = [...roster.values()].filter((a) => a.group === g);
        if (members.length === 0)
          add(
            ['tasks', i, role, 'groups', j],
            `expected a group with at least one agency in agencies[], found empty group ${JSON.stringify(g)}`,
          );
        if (role === 'lead' && typeof kind === 'string' && members.some((a) => a.kind !== kind)) {
          add(
            ['tasks', i, role, 'groups', j],
            `expected only ${kind} agencies to lead a ${kind} task, found group ${JSON.stringify(g)} with agencies of another kind`,
          );
        }
      });
      if (role === 'lead' && agencies.length === 0 && groups.length === 0) {
        add(
          ['tasks', i, 'lead'],
          'expected at least one agency or group to lead the task, found none',
        );
      }
    }
  });

  // Cycle.
  const cycle = field(raw, 'cycle');
  checkRef(field(cycle, 'aggregator'), ['cycle', 'aggregator']);
  const first = field(cycle, 'firstYear');
  const last = field(cycle, 'lastYear');
  if (typeof first === 'number' && typeof last === 'number' && last < first) {
    add(
      ['cycle', 'lastYear'],
      `expected null or a year not before firstYear ${first}, found ${last}`,
    );
  }

  // Escalation levels: strictly increasing, starting at 1; requestedMaxLevel within them.
  let prev: number | undefined;
  let max = 0;
  items(field(field(raw, 'escalation'), 'levels')).forEach((l, i) => {
    const level = field(l, 'level');
    if (typeof level !== 'number') return;
    if (i === 0 && level !== 1)
      add(['escalation', 'levels', 0, 'level'], `expected the first level to be 1, found ${level}`);
    if (prev !== undefined && level <= prev) {
      add(
        ['escalation', 'levels', i, 'level'],
        `expected a level greater than ${prev} (levels strictly increasing), found ${level}`,
      );
    }
    prev = level;
    max = Math.max(max, level);
  });
  const rml = field(field(raw, 'escalation'), 'requestedMaxLevel');
  if (typeof rml === 'number' && max > 0 && rml > max) {
    add(
      ['escalation', 'requestedMaxLevel'],
      `expected a level between 0 and the highest level ${max}, found ${rml}`,
    );
  }

  // Lifecycle machine known to the engine.
  const lifecycle = field(raw, 'lifecycle');
  const machine = field(lifecycle, 'machine');
  const version = field(lifecycle, 'version');
  if (knownMachines && typeof machine === 'string' && typeof version === 'number') {
    const known = knownMachines.map((m) => `${m.id} v${m.version}`).join(', ') || 'none';
    if (!knownMachines.some((m) => m.id === machine)) {
      add(
        ['lifecycle', 'machine'],
        `expected a known lifecycle machine (${known}), found ${JSON.stringify(machine)}`,
      );
    } else if (!knownMachines.some((m) => m.id === machine && m.version === version)) {
      add(
        ['lifecycle', 'version'],
        `expected a known version of ${machine} (${known}), found version ${version}`,
      );
    }
  }

  nfcProblems(raw, [], out);
  return out;
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
