/**
 * `dondoc simulate --plan <id> --year <y> [--submit-rate 0.7] [--seed 1] [--json]`: runs a whole
 * cycle year of a plan on a virtual clock in a throwaway database and prints what fired, day by
 * day, and where every agency ended up. Needs no --as: it never opens the real database.
 * The application is imported when the command runs, so usage errors stay fast.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { print, printJson } from '../output.js';
import { parseInteger, parseYear } from '../parse.js';

interface SimulateOptions {
  plan: string;
  year: number;
  submitRate: number;
  seed: number;
  json?: boolean;
}

function parseRate(value: string): number {
  const n = Number(value);
  if (!/^\s*(\d+(\.\d*)?|\.\d+)\s*$/.test(value) || !(n >= 0 && n <= 1)) {
    throw new InvalidArgumentError(
      `expected a probability from 0 to 1 (e.g. 0.7), got ${JSON.stringify(value)}.`,
    );
  }
  return n;
}

const HELP_AFTER = `
Nothing touches your data: the simulation runs "in memory", i.e. on a fresh SQLite file in the
operating system's temporary folder that is deleted at the end; DONDOC_DATA_DIR and DATABASE_URL
are never opened, and no e-mail or webhook is sent. The plan and the working-day calendar are the
configured ones (DONDOC_WORKFLOWS_DIR, DONDOC_CALENDAR_DIR).

Each reporting agency decides, with probability --submit-rate, to submit its report on a random
day from 1 September to 60 days after the deadline, having started on a random earlier day. The
clock steps one day at a time from 1 January (00:00 in the plan's time zone) to 31 December, or
later to cover the last escalation step + a week and the last late report; each day the agencies
act first (as their officers), then the timer sweep fires reminders, deadline passes and
escalations through the real command path. The same --seed gives the same output.

Examples:
  dondoc simulate --plan thanh-hoa-nq46 --year 2025
  dondoc simulate --plan thanh-hoa-nq46 --year 2025 --submit-rate 0 --json`;

export function registerSimulateCommand(program: Command): void {
  program
    .command('simulate')
    .description('simulate a cycle year on a virtual clock in a throwaway database')
    .requiredOption('--plan <id>', 'the plan id')
    .requiredOption('--year <year>', 'the cycle year', parseYear)
    .option(
      '--submit-rate <rate>',
      'probability (0 to 1) that an agency submits its report',
      parseRate,
      0.7,
    )
    .option('--seed <n>', 'seed of the random choices (an integer)', parseInteger, 1)
    .option('--json', 'print one JSON object: { timeline, byAgency, byGroup, totals, … }')
    .addHelpText('after', HELP_AFTER)
    .action(async (options: SimulateOptions) => {
      const { loadConfig } = await import('../../config/app-config.js');
      const { simulate } = await import('../../simulation/simulate.js');
      const { renderText } = await import('../../simulation/render.js');
      const { progressBar } = await import('../../simulation/progress.js');
      const config = loadConfig(process.env);
      const progress = progressBar(process.stderr);
      let result;
      try {
        result = await simulate({
          planId: options.plan,
          year: options.year,
          submitRate: options.submitRate,
          seed: options.seed,
          config,
          onProgress: (done, total) => progress.update(done, total),
        });
      } finally {
        progress.done();
      }
      if (options.json) printJson(result);
      else print(renderText(result));
    });
}
