/** The `dondoc` command line: builds the commander program and runs it, returning an exit code. */
import { Command } from 'commander';
import { APP_VERSION } from '../version.js';
import { registerAdvanceCommand } from './commands/advance.js';
import { registerAgencyCommands } from './commands/agencies.js';
import { registerAuditCommands } from './commands/audit.js';
import { registerCycleCommands } from './commands/cycle-open.js';
import { registerMigrateCommand } from './commands/migrate.js';
import { registerObligationCommands } from './commands/obligations-list.js';
import { registerPlanCommands } from './commands/plan-validate.js';
import { registerReportCommand } from './commands/report.js';
import { registerSimulateCommand } from './commands/simulate.js';
import { registerSweepCommand } from './commands/sweep.js';
import { registerUserCommands } from './commands/users.js';
import { EXIT_OK, report } from './errors.js';

export function buildProgram(): Command {
  const program = new Command('dondoc')
    .description('dondoc: track how agencies carry out an implementation plan')
    .version(APP_VERSION)
    // Settings set before the subcommands are added are inherited by them.
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .allowExcessArguments(false);
  registerPlanCommands(program);
  registerCycleCommands(program);
  registerObligationCommands(program);
  registerAdvanceCommand(program);
  registerUserCommands(program);
  registerSweepCommand(program);
  registerAuditCommands(program);
  registerSimulateCommand(program);
  registerMigrateCommand(program);
  registerAgencyCommands(program);
  registerReportCommand(program);
  return program;
}

/** Runs the CLI on `argv` (as process.argv); prints failures to stderr; never throws. */
export async function run(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return EXIT_OK;
  } catch (error) {
    const { exitCode, lines } = report(error);
    for (const line of lines) process.stderr.write(`error: ${line}\n`);
    return exitCode;
  }
}
