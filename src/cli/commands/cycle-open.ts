/**
 * `dondoc cycle open --plan <id> --year <y> --as <admin>`: opens a plan's yearly cycle
 * (idempotent); needs role admin, as on HTTP.
 * The application is imported when the command runs, so usage errors and `plan validate` stay fast.
 */
import type { Command } from 'commander';
import { requireRole, writerName, writerOption } from '../identity.js';
import { print } from '../output.js';
import { parseYear } from '../parse.js';

interface CycleOpenOptions {
  plan: string;
  year: number;
  as?: string;
}

export function registerCycleCommands(program: Command): void {
  const cycle = program.command('cycle').description("work with a plan's yearly cycles");
  cycle
    .command('open')
    .description("open a plan's cycle for a year: one obligation per reporting agency")
    .requiredOption('--plan <id>', 'the plan id')
    .requiredOption('--year <year>', 'the cycle year', parseYear)
    .addOption(writerOption())
    .action(async (options: CycleOpenOptions) => {
      const as = writerName(options.as);
      const { withApp } = await import('../app-context.js');
      const { CycleService } = await import('../../cycles/cycle.service.js');
      await withApp(async ({ app, caller }) => {
        requireRole(caller, 'admin', 'cycle open');
        const result = await app.get(CycleService).open(options.plan, options.year, caller);
        const count = result.obligations.length;
        print(
          result.created
            ? `Opened cycle ${result.year} of plan ${result.planId}: ${count} obligations created.`
            : `Cycle ${result.year} of plan ${result.planId} was already open: ${count} obligations (nothing changed).`,
        );
      }, as);
    });
}
