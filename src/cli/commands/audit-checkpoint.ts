/**
 * `dondoc audit checkpoint [--out <file>] --as <admin|auditor>`: signs a checkpoint of the
 * ledger now, stores it, and writes the document (to stdout without --out) for the auditor to
 * keep outside the system.
 */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { DomainError, ErrorCode } from '../../core/errors.js';
import { UsageError } from '../errors.js';
import { writerName, writerOption } from '../identity.js';
import { print, printJson } from '../output.js';

interface CheckpointOptions {
  out?: string;
  as?: string;
}

export function registerAuditCheckpoint(audit: Command): void {
  audit
    .command('checkpoint')
    .description('sign a checkpoint of the ledger and export it (needs role admin or auditor)')
    .option('--out <file>', 'write the checkpoint document to this file (default: stdout)')
    .addOption(writerOption())
    .action(async (options: CheckpointOptions) => {
      const as = writerName(options.as);
      const { withApp } = await import('../app-context.js');
      const { CheckpointService } = await import('../../audit/checkpoint.service.js');
      const doc = await withApp(async ({ app, caller }) => {
        if (caller.role !== 'admin' && caller.role !== 'auditor') {
          throw new DomainError(
            ErrorCode.FORBIDDEN,
            `audit checkpoint needs role admin or auditor (you are ${caller.role})`,
            { role: caller.role },
          );
        }
        return app.get(CheckpointService).create();
      }, as);
      if (!options.out) {
        printJson(doc);
        return;
      }
      try {
        writeFileSync(options.out, JSON.stringify(doc, null, 2) + '\n', { flag: 'w' });
      } catch (error) {
        throw new UsageError(
          `checkpoint ${doc.id} was stored but cannot be written to ${options.out}: ` +
            `${(error as Error).message} (GET /api/audit/checkpoints/${doc.id} exports it)`,
        );
      }
      print(
        `Checkpoint ${doc.id}: ledger position ${doc.position}, ${doc.eventCount} event(s), ` +
          `signed ${doc.createdAt}; written to ${options.out}.`,
      );
    });
}
