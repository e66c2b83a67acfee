/**
 * The I/O edge for agency registries: reads `workflows/agencies/<id>.yaml`, validates each file
 * with the pure `validateAgencyRegistry`, and collects every problem of every file before
 * throwing one AggregateDefinitionError. A missing folder means no registry.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { AgencyRegistry } from '../core/agency/agency-registry.js';
import { validateAgencyRegistry } from '../core/agency/agency-registry.schema.js';
import { AggregateDefinitionError, DefinitionError, type FieldProblem } from '../core/errors.js';
import { parseDefinitionYaml } from '../common/definition-yaml.js';

/** The folder of registries inside a workflows folder. */
export const AGENCIES_DIR = 'agencies';

const REGISTRY_FILE = /^([a-z0-9]+(?:-[a-z0-9]+)*)\.ya?ml$/;

function ioProblem(err: unknown): FieldProblem {
  const e = err as NodeJS.ErrnoException;
  return {
    path: '',
    message: `expected a readable file, found ${e.code ?? 'an error'}: ${e.message}`,
  };
}

/** Read, parse and validate one registry file; its id must be its file name. */
export async function loadAgencyRegistryFile(file: string): Promise<AgencyRegistry> {
  let source: string;
  try {
    source = await readFile(file, 'utf8');
  } catch (err) {
    throw new DefinitionError(file, [ioProblem(err)]);
  }
  const raw = parseDefinitionYaml(source, file, 1000);
  const base = path.basename(file).replace(/\.ya?ml$/, '');
  const id = (raw as { id?: unknown } | null)?.id;
  // Checked on the raw file too, so that it is listed with the schema's problems.
  const idProblem =
    typeof id === 'string' && id !== base
      ? {
          path: 'id',
          message: `expected the file name's id ${JSON.stringify(base)}, found ${JSON.stringify(id)}`,
        }
      : null;
  let definition;
  try {
    definition = validateAgencyRegistry(raw, file);
  } catch (error) {
    if (!(error instanceof DefinitionError) || !idProblem) throw error;
    throw new DefinitionError(file, [idProblem, ...error.problems]);
  }
  if (idProblem) throw new DefinitionError(file, [idProblem]);
  return new AgencyRegistry(definition);
}

/** Every `<id>.yaml` under dir, validated, sorted by id. */
export async function loadAgencyRegistries(dir: string): Promise<AgencyRegistry[]> {
  let names: string[];
  try {
    names = (await readdir(dir, { withFileTypes: true }))
      .filter((e) => e.isFile() && REGISTRY_FILE.test(e.name))
      .map((e) => e.name)
      .sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new AggregateDefinitionError([new DefinitionError(dir, [ioProblem(err)])]);
  }
  const errors: DefinitionError[] = [];
  const registries: AgencyRegistry[] = [];
  const fileById = new Map<string, string>();
  for (const name of names) {
    const file = path.join(dir, name);
    const id = REGISTRY_FILE.exec(name)![1]!;
    const first = fileById.get(id);
    if (first !== undefined) {
      errors.push(
        new DefinitionError(file, [
          { path: 'id', message: `expected a unique registry id, found ${id} already in ${first}` },
        ]),
      );
      continue;
    }
    fileById.set(id, file);
    try {
      registries.push(await loadAgencyRegistryFile(file));
    } catch (err) {
      if (err instanceof DefinitionError) errors.push(err);
      else throw err;
    }
  }
  if (errors.length > 0) throw new AggregateDefinitionError(errors);
  return registries;
}
