/**
 * `dondoc audit replay <export.jsonl> [--checkpoint file] [--key-file file] [--json]`: verifies
 * an audit export offline (no database, no configuration) and prints each obligation's replayed
 * state. Exit 0 when everything checks, 1 when the export has problems, 2 on usage errors.
 */
import { readFileSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { DomainError, ErrorCode } from '../../core/errors.js';
import type { Checkpoint, OfflineReplayReport } from '../../audit/offline-replay.js';
import { UsageError } from '../errors.js';
import { print, printJson, table } from '../output.js';

interface ReplayOptions {
  checkpoint?: string;
  keyFile?: string;
  json?: boolean;
}

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(
      code === 'ENOENT'
        ? `${what} not found: ${file}`
        : `cannot read ${what} ${file}: ${(error as Error).message}`,
    );
  }
}

function requireFile(file: string, what: string): void {
  let isFile: boolean;
  try {
    isFile = statSync(file).isFile();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(
      code === 'ENOENT'
        ? `${what} not found: ${file}`
        : `cannot read ${what} ${file}: ${(error as Error).message}`,
    );
  }
  if (!isFile) throw new UsageError(`${what} is not a file: ${file}`);
}

function render(report: OfflineReplayReport): string[] {
  const lines: string[] = [];
  lines.push(
    table(
      ['obligation', 'agency', 'year', 'stage', 'level', 'events', 'problems'],
      report.obligations.map((o) => [
        o.obligationId,
        o.agencyCode,
        String(o.year),
        o.stage ?? '-',
        String(o.escalationLevel),
        String(o.eventsApplied),
        o.problems.length ? [...new Set(o.problems.map((p) => p.kind))].join(',') : 'ok',
      ]),
    ),
    '',
  );
  const { first, last, linksChecked } = report.ledger;
  lines.push(
    `${report.obligations.length} obligation(s), ${report.events} event(s); ledger positions ` +
      (first === null ? 'none' : `${first}–${last}, ${linksChecked} link(s) checked`) +
      '.',
  );
  if (report.checkpoint) {
    const c = report.checkpoint;
    lines.push(
      `Checkpoint at position ${c.position}: ` +
        (c.covered
          ? c.hashMatches
            ? 'the ledger entry has its hash'
            : 'the ledger entry does NOT have its hash'
          : 'not covered by this export') +
        `; signature ${c.signature}.`,
    );
  }
  for (const p of report.problems) {
    const where = [
      p.obligationId ? `obligation ${p.obligationId}` : null,
      p.seq !== null ? `seq ${p.seq}` : null,
      p.line !== null ? `line ${p.line}` : null,
    ]
      .filter(Boolean)
      .join(' ');
    lines.push(`${p.kind}${where ? ` ${where}` : ''}: ${p.detail}`);
  }
  lines.push(report.ok ? 'OK: no problems.' : `${report.problems.length} problem(s).`);
  return lines;
}

export function registerAuditReplay(audit: Command): void {
  audit
    .command('replay')
    .description('verify an audit export (JSONL) offline and print each obligation’s state')
    .argument('<export>', 'the export file (GET /api/audit/export?format=jsonl)')
    .option('--checkpoint <file>', 'a checkpoint (dondoc audit checkpoint) to check against')
    .option('--key-file <file>', 'the audit key (DONDOC_AUDIT_KEY) to check its signature')
    .option('--json', 'print the report as JSON')
    .action(async (file: string, options: ReplayOptions) => {
      const { parseCheckpoint, replayExportFile } = await import('../../audit/offline-replay.js');
      requireFile(file, 'export file');
      if (options.keyFile && !options.checkpoint) {
        throw new UsageError('--key-file needs --checkpoint (the key checks its signature)');
      }
      let checkpoint: Checkpoint | undefined;
      if (options.checkpoint) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(readText(options.checkpoint, 'checkpoint file'));
        } catch (error) {
          if (error instanceof UsageError) throw error;
          throw new UsageError(`checkpoint file ${options.checkpoint} is not valid JSON`);
        }
        const cp = parseCheckpoint(parsed);
        if (typeof cp === 'string') {
          throw new UsageError(`checkpoint file ${options.checkpoint}: ${cp}`);
        }
        checkpoint = cp;
      }
      const key = options.keyFile ? readText(options.keyFile, 'key file').trim() : null;
      if (options.keyFile && !key) throw new UsageError(`key file ${options.keyFile} is empty`);
      const report = await replayExportFile(file, { checkpoint, key });
      if (report.events === 0 && report.problems.some((p) => p.kind === 'MALFORMED_LINE')) {
        throw new UsageError(
          `${file} is not a JSON lines export (export with format=jsonl; CSV cannot be replayed)`,
        );
      }
      if (options.json) printJson(report);
      else print(...render(report));
      if (!report.ok) {
        // Exit 1 with one line on stderr; the details are on stdout above.
        throw new DomainError(
          ErrorCode.INTERNAL,
          `the export does not verify: ${report.problems.length} problem(s) (` +
            [...new Set(report.problems.map((p) => p.kind))].join(', ') +
            ')',
        );
      }
    });
}
