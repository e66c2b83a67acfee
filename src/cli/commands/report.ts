/**
 * `dondoc report --plan <id> --year <y> --out <dir> [--at <instant>]`: writes the cycle's
 * consolidated report (DOCX) and status table (XLSX) into a folder, as of now or `--at`. Reads as
 * the local reader, or as `--as <username>` (officers may not: the documents cover every agency).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { readerOption } from '../identity.js';
import { print, printJson } from '../output.js';
import { parseYear } from '../parse.js';

interface ReportOptions {
  plan: string;
  year: number;
  out: string;
  at?: string;
  json?: boolean;
  as?: string;
}

export function registerReportCommand(program: Command): void {
  program
    .command('report')
    .description("write a cycle's consolidated report (.docx) and status table (.xlsx)")
    .requiredOption('--plan <id>', 'the plan id')
    .requiredOption('--year <year>', 'the cycle year', parseYear)
    .requiredOption('--out <dir>', 'the folder to write both files to (created if missing)')
    .option('--at <instant>', 'as of this ISO 8601 instant with an offset (default: now)')
    .option('--json', 'print JSON ({ at, contentHash, files }) instead of text')
    .addOption(readerOption())
    .action(async (options: ReportOptions) => {
      const { withApp } = await import('../app-context.js');
      const { ReportsService } = await import('../../reports/reports.service.js');
      const files = await withApp(
        ({ app, caller }) =>
          app
            .get(ReportsService)
            .renderAll(['docx', 'xlsx'], options.plan, options.year, options.at, caller),
        options.as,
      );
      const written = files.map((f) => ({ ...f, file: path.join(options.out, f.asciiFileName) }));
      try {
        mkdirSync(options.out, { recursive: true });
        for (const f of written) writeFileSync(f.file, f.bytes);
      } catch (error) {
        throw new UsageError(`cannot write to ${options.out}: ${(error as Error).message}`);
      }
      const [docx] = written;
      if (options.json) {
        printJson({
          at: docx!.at,
          contentHash: docx!.contentHash,
          files: written.map((f) => ({
            file: f.file,
            contentType: f.contentType,
            bytes: f.bytes.length,
          })),
        });
        return;
      }
      print(
        ...written.map((f) => `Wrote ${f.file} (${f.bytes.length} bytes)`),
        `Data as of ${docx!.at}; content hash (SHA-256) ${docx!.contentHash}`,
      );
    });
}
