/** `dondoc plan validate <path>`: checks a plan file without touching any database. */
import type { Command } from 'commander';
import { knownMachines } from '../../core/machine/machine-registry.js';
import { loadPlanFile } from '../../plans/plan-loader.js';
import { print } from '../output.js';

export function registerPlanCommands(program: Command): void {
  const plan = program.command('plan').description('work with plan definition files');
  plan
    .command('validate')
    .description('validate a plan file (YAML or JSON); no database is needed')
    .argument('<path>', 'the plan file')
    .action(async (path: string) => {
      const definition = await loadPlanFile(path, knownMachines());
      print(
        `OK: ${definition.id} — ${definition.agencies.length} agencies, ` +
          `${definition.tasks.length} tasks`,
      );
    });
}
