/**
 * `dondoc agencies validate <path>`: checks a registry file (no database).
 * `dondoc agencies list [--date] [--registry] [--json]`: the agency registries' records (those
 * valid on the date, when given).
 * `dondoc agencies apply-succession --date <YYYY-MM-DD> [--plan <id>] [--dry-run] [--json] --as <admin>`:
 * transfers every open obligation of the agencies that ended the day before the date to their
 * decided successor, and lists those it could not decide with the reason. A dry run changes
 * nothing and needs no `--as`. A bad date is a usage error (exit 2) and changes nothing.
 */
import type { Command } from 'commander';
import type { SuccessionReport } from '../../agencies/succession.service.js';
import { requireRole, writerName, writerOption } from '../identity.js';
import { print, printJson, table } from '../output.js';
import { parseCivilDate } from '../parse.js';

interface ListOptions {
  date?: string;
  registry?: string;
  json?: boolean;
}

interface ApplyOptions {
  date: string;
  plan?: string;
  dryRun?: boolean;
  json?: boolean;
  as?: string;
}

const period = (from: string | null, to: string | null) => `${from ?? '…'} – ${to ?? '…'}`;

function render(r: SuccessionReport): string[] {
  const lines: string[] = [];
  lines.push(
    `Succession on ${r.date}: ${r.ending.length} agenc${r.ending.length === 1 ? 'y ends' : 'ies end'} the day before` +
      (r.ending.length ? ` (${r.ending.map((e) => e.code).join(', ')}).` : '.'),
  );
  if (r.transfers.length) {
    lines.push(
      r.dryRun
        ? `Would transfer ${r.transfers.length} open obligation(s):`
        : `Transferred ${r.transfers.length} open obligation(s):`,
      table(
        ['PLAN', 'YEAR', 'OBLIGATION', 'STAGE', 'FROM', 'TO', 'DECIDED BY'],
        r.transfers.map((t) => [
          t.planId,
          String(t.year),
          t.obligationId,
          t.stage,
          t.fromAgency,
          t.toAgency,
          t.via === 'plan' ? `plan (task ${t.tasks.join(', ')})` : 'registry',
        ]),
      ),
    );
  } else {
    lines.push('No open obligation has a decided successor.');
  }
  if (r.undecided.length) {
    lines.push(
      `Not decided: ${r.undecided.length} open obligation(s); an administrator transfers each with a basis:`,
      table(
        ['PLAN', 'YEAR', 'OBLIGATION', 'AGENCY', 'REASON', 'DETAIL'],
        r.undecided.map((u) => [
          u.planId,
          String(u.year),
          u.obligationId,
          u.fromAgency,
          u.reason,
          u.detail,
        ]),
      ),
    );
  }
  if (r.dryRun) lines.push('Dry run: nothing was changed.');
  return lines;
}

export function registerAgencyCommands(program: Command): void {
  const agencies = program
    .command('agencies')
    .description('the effective-dated agency registries and agency succession');
  agencies
    .command('validate')
    .description('validate an agency registry file; no database is needed')
    .argument('<path>', 'the registry file, e.g. workflows/agencies/thanh-hoa.yaml')
    .action(async (file: string) => {
      const { loadAgencyRegistryFile } = await import('../../agencies/agency-registry-loader.js');
      const registry = await loadAgencyRegistryFile(file);
      const dates = registry.successionDates();
      print(
        `OK: ${registry.id} — ${registry.all().length} agency record(s); succession dates: ` +
          (dates.length ? dates.join(', ') : 'none'),
      );
    });
  agencies
    .command('list')
    .description('list the agencies of the registries (those valid on --date, when given)')
    .option('--date <YYYY-MM-DD>', 'only agencies valid on this civil date', parseCivilDate)
    .option('--registry <id>', 'only this registry')
    .option('--json', 'print JSON')
    .action(async (options: ListOptions) => {
      const { withApp } = await import('../app-context.js');
      const { AgencyRegistryService } = await import('../../agencies/agency-registry.service.js');
      await withApp(async ({ app }) => {
        const service = app.get(AgencyRegistryService);
        const registries = options.registry ? [service.get(options.registry)] : service.list();
        const rows = registries.flatMap((registry) =>
          (options.date ? registry.listOn(options.date) : registry.all()).map((r) => ({
            registry: registry.id,
            ...r,
          })),
        );
        if (options.json) {
          printJson(rows);
          return;
        }
        if (rows.length === 0) {
          print('No agencies match.');
          return;
        }
        print(
          table(
            ['REGISTRY', 'CODE', 'NAME', 'GROUP', 'VALID', 'SUCCESSORS'],
            rows.map((r) => [
              r.registry,
              r.code,
              r.name,
              r.group,
              period(r.validFrom, r.validTo),
              r.successors.map((s) => `${s.code} (${s.date})`).join(', ') ||
                (r.validTo ? 'none recorded' : ''),
            ]),
          ),
          `${rows.length} agenc${rows.length === 1 ? 'y' : 'ies'}${options.date ? ` valid on ${options.date}` : ''}`,
        );
      });
    });
  agencies
    .command('apply-succession')
    .description(
      'transfer the open obligations of the agencies that ended the day before --date to their successors',
    )
    .requiredOption(
      '--date <YYYY-MM-DD>',
      'the succession date (the first day of the successors)',
      parseCivilDate,
    )
    .option('--plan <id>', 'only this plan')
    .option('--dry-run', 'list what would be transferred, changing nothing')
    .option('--json', 'print the report as JSON')
    .addOption(writerOption())
    .action(async (options: ApplyOptions) => {
      // A dry run reads (as --as if given, else the local reader); a run acts as an admin.
      const as = options.dryRun ? options.as : writerName(options.as);
      const { withApp } = await import('../app-context.js');
      const { SuccessionService } = await import('../../agencies/succession.service.js');
      await withApp(async ({ app, caller }) => {
        const service = app.get(SuccessionService);
        const scope = { date: options.date, planId: options.plan };
        let report: SuccessionReport;
        if (options.dryRun) {
          report = await service.plan(scope);
        } else {
          requireRole(caller, 'admin', 'agencies apply-succession');
          report = await service.apply(scope, caller);
        }
        if (options.json) printJson(report);
        else print(...render(report));
      }, as);
    });
}
