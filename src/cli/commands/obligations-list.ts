/**
 * `dondoc obligations list`: obligations matching the filters, as a table or JSON. With `--as`
 * it reads as that user (an officer sees only their agency); otherwise as the local reader.
 */
import { Option, type Command } from 'commander';
import { STAGES } from '../../core/machine/obligation-events.js';
import type { ObligationView } from '../../obligations/obligation-view.js';
import { readerOption } from '../identity.js';
import { print, printJson, table } from '../output.js';
import { parseBoolean, parseYear } from '../parse.js';

interface ListOptions {
  plan?: string;
  year?: number;
  agency?: string;
  stage?: string;
  overdue?: boolean;
  json?: boolean;
  as?: string;
}

const PAGE_SIZE = 500;

export function registerObligationCommands(program: Command): void {
  const obligations = program.command('obligations').description('read obligations');
  obligations
    .command('list')
    .description('list obligations (all pages), ordered by plan, year and agency code')
    .option('--plan <id>', 'only this plan')
    .option('--year <year>', 'only this cycle year', parseYear)
    .option('--agency <code>', 'only this agency code')
    .addOption(new Option('--stage <stage>', 'only this stage').choices(STAGES))
    .option('--overdue <true|false>', 'only late (true) or not late (false) reports', parseBoolean)
    .option('--json', 'print JSON ({ items, total }) instead of a table')
    .addOption(readerOption())
    .action(async (options: ListOptions) => {
      const { withApp } = await import('../app-context.js');
      const { ObligationQueryService } =
        await import('../../obligations/obligation-query.service.js');
      await withApp(async ({ app, caller }) => {
        const service = app.get(ObligationQueryService);
        const filter = {
          planId: options.plan,
          year: options.year,
          agencyCode: options.agency,
          stage: options.stage,
          overdue: options.overdue,
        };
        const items: ObligationView[] = [];
        let total: number;
        for (let page = 1; ; page++) {
          const result = await service.list(filter, page, PAGE_SIZE, caller);
          items.push(...result.items);
          total = result.total;
          if (result.items.length < PAGE_SIZE || items.length >= total) break;
        }
        if (options.json) {
          printJson({ items, total });
          return;
        }
        if (items.length === 0) {
          print('No obligations match.');
          return;
        }
        const rows = items.map((o) => [
          o.id,
          o.agencyCode,
          o.stage,
          o.overdue ? 'yes' : 'no',
          String(o.version),
        ]);
        print(
          table(['ID', 'AGENCY', 'STAGE', 'OVERDUE', 'VERSION'], rows),
          `${total} obligation(s)`,
        );
      }, options.as);
    });
}
