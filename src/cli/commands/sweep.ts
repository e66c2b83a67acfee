/**
 * `dondoc sweep [--at <iso>] --as <admin>`: fires the timers due now (or at `--at`), as the
 * server's minute job does. For operations (a server without its scheduler) and for tests that
 * run two sweeping processes against one database.
 */
import type { Command } from 'commander';
import { requireRole, writerName, writerOption } from '../identity.js';
import { print, printJson } from '../output.js';
import { UsageError } from '../errors.js';

interface SweepOptions {
  at?: string;
  json?: boolean;
  as?: string;
}

function parseInstant(value: string): number {
  const ms = Date.parse(value);
  if (
    !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value) ||
    Number.isNaN(ms)
  ) {
    throw new UsageError(
      `invalid --at: expected an ISO 8601 instant with an offset, got ${JSON.stringify(value)}`,
    );
  }
  return ms;
}

export function registerSweepCommand(program: Command): void {
  program
    .command('sweep')
    .description('fire the reminders, deadline passes and escalations that are due')
    .option(
      '--at <instant>',
      'sweep as of this instant (ISO 8601 with offset); default now',
      parseInstant,
    )
    .option('--json', 'print what fired as JSON')
    .addOption(writerOption())
    .action(async (options: SweepOptions & { at?: number }) => {
      const as = writerName(options.as);
      const { withApp } = await import('../app-context.js');
      const { SweepService } = await import('../../timers/sweep.service.js');
      await withApp(async ({ app, caller }) => {
        requireRole(caller, 'admin', 'sweep');
        const fired = await app.get(SweepService).sweep(options.at as number | undefined);
        if (options.json) printJson({ fired });
        else print(`Fired ${fired.length} timer(s).`);
      }, as);
    });
}
