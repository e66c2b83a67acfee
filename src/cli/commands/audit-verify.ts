/**
 * `dondoc audit verify [--plan <id>] [--year <y>] [--checkpoint <file>] [--json]`: recomputes
 * both hash chains, replays every obligation against its stored snapshot and checks the ledger
 * against exported checkpoints. Prints OK or each problem; exit 0 when ok, 1 when not.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { DomainError, ErrorCode } from '../../core/errors.js';
import type { CheckpointDocument } from '../../audit/checkpoint.service.js';
import type { VerifyReport } from '../../audit/verify.service.js';
import { UsageError } from '../errors.js';
import { print, printJson } from '../output.js';
import { parseYear } from '../parse.js';

interface VerifyOptions {
  plan?: string;
  year?: number;
  checkpoint?: string[];
  json?: boolean;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

async function readCheckpoint(file: string): Promise<CheckpointDocument> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(
      code === 'ENOENT'
        ? `checkpoint file not found: ${file}`
        : `cannot read checkpoint file ${file}: ${(error as Error).message}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch {
    throw new UsageError(`checkpoint file ${file} is not valid JSON`);
  }
  const { parseCheckpointDocument } = await import('../../audit/checkpoint.service.js');
  try {
    return parseCheckpointDocument(parsed);
  } catch (error) {
    throw new UsageError(`checkpoint file ${file}: ${(error as Error).message}`);
  }
}

function render(report: VerifyReport): string[] {
  const lines = report.problems.map((p) => {
    const where = [
      p.obligationId ? `obligation ${p.obligationId}` : null,
      p.seq !== null ? `seq ${p.seq}` : null,
    ]
      .filter(Boolean)
      .join(' ');
    return `${p.kind}${where ? ` ${where}` : ''}: ${p.detail}`;
  });
  const counts =
    `${report.obligations} obligation(s), ${report.events} event(s), ` +
    `${report.ledgerEntries} ledger entr${report.ledgerEntries === 1 ? 'y' : 'ies'}` +
    (report.checkpoints ? `, ${report.checkpoints} checkpoint(s)` : '');
  if (report.ok) return [`OK: ${counts} verified.`];
  if (report.truncated) {
    lines.push(`… ${report.problemCount - report.problems.length} more problem(s) not listed.`);
  }
  lines.push(`${report.problemCount} problem(s) in ${counts}.`);
  return lines;
}

export function registerAuditVerify(audit: Command): void {
  audit
    .command('verify')
    .description('verify the hash chains, the ledger and every obligation’s replay')
    .option('--plan <id>', 'only the obligations of this plan (the ledger is always whole)')
    .option('--year <year>', 'only the obligations of this cycle year', parseYear)
    .option(
      '--checkpoint <file>',
      'an exported checkpoint the ledger must still match (repeatable)',
      collect,
    )
    .option('--json', 'print the report as JSON')
    .action(async (options: VerifyOptions) => {
      const checkpoints: CheckpointDocument[] = [];
      for (const file of options.checkpoint ?? []) checkpoints.push(await readCheckpoint(file));
      const { withApp } = await import('../app-context.js');
      const { VerifyService } = await import('../../audit/verify.service.js');
      const report = await withApp(({ app }) =>
        app
          .get(VerifyService)
          .verify({ planId: options.plan, year: options.year }, { checkpoint: checkpoints }),
      );
      if (options.json) printJson(report);
      else print(...render(report));
      if (!report.ok) {
        // Exit 1 with one line on stderr; the problems are on stdout above.
        throw new DomainError(
          ErrorCode.INTERNAL,
          `the audit trail does not verify: ${report.problemCount} problem(s) (` +
            [...new Set(report.problems.map((p) => p.kind))].join(', ') +
            ')',
        );
      }
    });
}
