/**
 * `dondoc plan validate <path>`: checks a plan file without touching any database; when the plan
 * names an agency registry found beside it (`../agencies/<id>.yaml`), checks it against it too.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { loadAgencyRegistryFile } from '../../agencies/agency-registry-loader.js';
import { planRegistryProblems } from '../../core/agency/plan-registry-check.js';
import { DefinitionError } from '../../core/errors.js';
import { knownMachines } from '../../core/machine/machine-registry.js';
import { loadPlanFile } from '../../plans/plan-loader.js';
import { print } from '../output.js';

export function registerPlanCommands(program: Command): void {
  const plan = program.command('plan').description('work with plan definition files');
  plan
    .command('validate')
    .description('validate a plan file (YAML or JSON); no database is needed')
    .argument('<path>', 'the plan file')
    .action(async (file: string) => {
      const definition = await loadPlanFile(file, knownMachines());
      const lines = [
        `OK: ${definition.id} — ${definition.agencies.length} agencies, ` +
          `${definition.tasks.length} tasks`,
      ];
      if (definition.agencyRegistry !== null) {
        const registryFile = path.join(
          path.dirname(path.dirname(file)),
          'agencies',
          `${definition.agencyRegistry}.yaml`,
        );
        if (existsSync(registryFile)) {
          const registry = await loadAgencyRegistryFile(registryFile);
          const problems = planRegistryProblems(definition, registry);
          if (problems.length > 0) throw new DefinitionError(file, problems);
          lines.push(`Agrees with agency registry ${registry.id} (${registryFile}).`);
        } else {
          lines.push(
            `Agency registry ${definition.agencyRegistry} not found at ${registryFile}: not checked against it.`,
          );
        }
      }
      print(...lines);
    });
}
