/**
 * Cross-reference and semantic checks of a plan definition, on the raw parsed value, so they run
 * even when the shape is broken. Pure.
 */
import type { FieldProblem } from '../errors.js';
import { describeValue, formatPath, type KnownMachine } from './plan-problem.util.js';

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const items = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const field = (v: unknown, key: string): unknown => (isRecord(v) ? v[key] : undefined);

/** Every string (value or key) must be Unicode NFC. */
export function nfcProblems(v: unknown, path: PropertyKey[], out: FieldProblem[]): void {
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
export function semanticProblems(
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

  // Succession choices: a roster agency, named in the task given, one choice per agency and task.
  const namedIn = new Map<string, Set<unknown>>();
  for (const t of items(field(raw, 'tasks'))) {
    const id = field(t, 'id');
    if (typeof id !== 'string' || namedIn.has(id)) continue;
    namedIn.set(
      id,
      new Set(
        (['lead', 'coordinating'] as const).flatMap((role) =>
          items(field(field(t, role), 'agencies')),
        ),
      ),
    );
  }
  const choices = new Map<string, number>();
  items(field(raw, 'succession')).forEach((c, i) => {
    const agency = field(c, 'agency');
    const task = field(c, 'task');
    checkRef(agency, ['succession', i, 'agency']);
    if (typeof task === 'string' && Array.isArray(field(raw, 'tasks'))) {
      const named = namedIn.get(task);
      if (!named) {
        add(
          ['succession', i, 'task'],
          `expected a task id defined in tasks[], found unknown task ${JSON.stringify(task)}`,
        );
      } else if (typeof agency === 'string' && !named.has(agency)) {
        add(
          ['succession', i, 'task'],
          `expected a task that names ${agency} in its lead or coordinating agencies, found task ${task}, which does not`,
        );
      }
    }
    if (typeof agency === 'string' && typeof task === 'string') {
      const key = `${agency} ${task}`;
      const first = choices.get(key);
      if (first !== undefined)
        add(
          ['succession', i],
          `expected one choice per agency and task, found ${agency} and ${task} again (first at succession[${first}])`,
        );
      else choices.set(key, i);
    }
    if (typeof agency === 'string' && agency === field(c, 'successor'))
      add(['succession', i, 'successor'], `expected a successor other than ${agency} itself`);
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
