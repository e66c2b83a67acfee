/**
 * The I/O edge for plan definitions: reads YAML (or JSON) files and validates them with the pure
 * `validatePlan`. Every failure is a DefinitionError (one file) or an AggregateDefinitionError
 * (a directory: every file's problems, collected before throwing).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { AggregateDefinitionError, DefinitionError, type FieldProblem } from '../core/errors.js';
import { validatePlan, type KnownMachine } from '../core/plan/plan.schema.js';
import type { PlanDefinition } from '../core/plan/plan.types.js';
import { parseDefinitionYaml } from '../common/definition-yaml.js';

/** Subfolders of a plans directory that are not plans (calendars and agency registries). */
const RESERVED_DIRS = new Set(['calendar', 'agencies']);
const TOP_LEVEL_PLAN = /\.plan\.(ya?ml|json)$/;

function ioProblem(err: unknown): FieldProblem {
  const e = err as NodeJS.ErrnoException;
  return {
    path: '',
    message: `expected a readable file, found ${e.code ?? 'an error'}: ${e.message}`,
  };
}

/** Parse YAML 1.2 (JSON is a subset); syntax errors name the line and column. */
export function parsePlanText(source: string, file: string): unknown {
  return parseDefinitionYaml(source, file, 1000);
}

/** Read, parse and validate one plan file. */
export async function loadPlanFile(
  path: string,
  knownMachines?: ReadonlyArray<KnownMachine>,
): Promise<PlanDefinition> {
  let source: string;
  try {
    source = await readFile(path, 'utf8');
  } catch (err) {
    throw new DefinitionError(path, [ioProblem(err)]);
  }
  return validatePlan(parsePlanText(source, path), path, knownMachines);
}

/** The plan files under dir: `<sub>/plan.yaml` and top-level `*.plan.yaml|yml|json`, sorted. */
export async function findPlanFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    if (entry.isDirectory()) {
      if (RESERVED_DIRS.has(entry.name)) continue;
      const candidate = join(dir, entry.name, 'plan.yaml');
      const info = await stat(candidate).catch(() => undefined);
      if (info?.isFile()) files.push(candidate);
    } else if (entry.isFile() && TOP_LEVEL_PLAN.test(entry.name)) {
      files.push(join(dir, entry.name));
    }
  }
  return files.sort();
}

/**
 * Load every plan under dir. Collects the problems of all files (and duplicate plan ids) before
 * throwing one AggregateDefinitionError; returns the plans sorted by id. `check` adds the
 * problems of checks that need more than the file (e.g. against the agency registry it names).
 */
export async function loadPlansFromDir(
  dir: string,
  knownMachines?: ReadonlyArray<KnownMachine>,
  check?: (plan: PlanDefinition) => FieldProblem[],
): Promise<PlanDefinition[]> {
  let files: string[];
  try {
    files = await findPlanFiles(dir);
  } catch (err) {
    throw new AggregateDefinitionError([new DefinitionError(dir, [ioProblem(err)])]);
  }
  const errors: DefinitionError[] = [];
  const plans: PlanDefinition[] = [];
  const fileById = new Map<string, string>();
  for (const file of files) {
    try {
      const plan = await loadPlanFile(file, knownMachines);
      const first = fileById.get(plan.id);
      if (first !== undefined) {
        errors.push(
          new DefinitionError(file, [
            {
              path: 'id',
              message: `expected a unique plan id, found ${JSON.stringify(plan.id)} already defined in ${first}`,
            },
          ]),
        );
        continue;
      }
      fileById.set(plan.id, file);
      const problems = check?.(plan) ?? [];
      if (problems.length > 0) {
        errors.push(new DefinitionError(file, problems));
        continue;
      }
      plans.push(plan);
    } catch (err) {
      if (err instanceof DefinitionError) errors.push(err);
      else throw err;
    }
  }
  if (errors.length > 0) throw new AggregateDefinitionError(errors);
  return plans.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
