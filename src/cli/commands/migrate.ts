/**
 * `dondoc migrate --to <version> [--plan <id>] [--year <y>] [--dry-run] [--json] --as <admin>`:
 * moves open obligations to another version of their lifecycle machine. With `--dry-run` it only
 * lists what would happen (no `--as` needed); without it, it migrates the obligations whose events
 * replay to the same stage under the target (needs role admin) and reports the others.
 * Exit 0 either way; an unknown target version is a usage error (exit 2).
 */
import type { Command } from 'commander';
import type { MigrationReport } from '../../migration/migration.service.js';
import { isKnownMachineRef, knownMachineRefs } from '../../migration/migration-verdict.js';
import { UsageError } from '../errors.js';
import { requireRole, writerName, writerOption } from '../identity.js';
import { print, printJson, table } from '../output.js';
import { parseYear } from '../parse.js';

interface MigrateOptions {
  to: string;
  plan?: string;
  year?: number;
  dryRun?: boolean;
  json?: boolean;
  as?: string;
}

function render(r: MigrationReport): string[] {
  const t = r.totals;
  const lines: string[] = [];
  if (r.items.length === 0) {
    lines.push(`No open obligation is on a version other than ${r.to}: nothing to migrate.`);
    return lines;
  }
  const headers = ['PLAN', 'YEAR', 'AGENCY', 'STAGE', 'VERSION', 'VERDICT'];
  if (!r.dryRun) headers.push('MIGRATED');
  const rows = r.items.map((i) => [
    i.planId,
    String(i.year),
    i.agencyCode,
    i.stage,
    i.machineVersion,
    i.verdict,
    ...(r.dryRun ? [] : [i.migrated ? 'yes' : 'no']),
    i.verdict === 'changes-stage' ? `${i.stage} → ${i.stageAfter}: ${i.reason}` : (i.reason ?? ''),
  ]);
  lines.push(table([...headers, 'REASON'], rows));
  const others = `${t.changesStage} would change stage, ${t.invalid} invalid`;
  lines.push(
    r.dryRun
      ? `Dry run: ${t.candidates} open obligation(s) on another version; ${t.unchanged} would migrate to ${r.to} unchanged, ${others}. Nothing was changed.`
      : `Migrated ${t.migrated} of ${t.candidates} open obligation(s) to ${r.to}; not migrated: ${others}.`,
  );
  return lines;
}

export function registerMigrateCommand(program: Command): void {
  program
    .command('migrate')
    .description('move open obligations to another version of their lifecycle machine')
    .requiredOption('--to <version>', 'the target machine version, e.g. annual-report@2')
    .option('--plan <id>', 'only this plan')
    .option('--year <year>', 'only this cycle year', parseYear)
    .option('--dry-run', 'list what a migration would do, changing nothing')
    .option('--json', 'print the report as JSON')
    .addOption(writerOption())
    .action(async (options: MigrateOptions) => {
      if (!isKnownMachineRef(options.to)) {
        throw new UsageError(
          `unknown machine version ${JSON.stringify(options.to)}; known versions: ${knownMachineRefs().join(', ')}`,
        );
      }
      // A dry run reads (as --as if given, else the local reader); a migration acts as an admin.
      const as = options.dryRun ? options.as : writerName(options.as);
      const { withApp } = await import('../app-context.js');
      const { MigrationService } = await import('../../migration/migration.service.js');
      await withApp(async ({ app, caller }) => {
        const service = app.get(MigrationService);
        const scope = { to: options.to, planId: options.plan, year: options.year };
        let result: MigrationReport;
        if (options.dryRun) {
          result = await service.plan(scope);
        } else {
          requireRole(caller, 'admin', 'migrate');
          result = await service.migrate(scope, caller);
        }
        if (options.json) printJson(result);
        else print(...render(result));
      }, as);
    });
}
