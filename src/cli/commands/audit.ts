/** `dondoc audit …`: verification, checkpoints and offline replay of exports. */
import type { Command } from 'commander';
import { registerAuditCheckpoint } from './audit-checkpoint.js';
import { registerAuditReplay } from './audit-replay.js';
import { registerAuditVerify } from './audit-verify.js';

export function registerAuditCommands(program: Command): void {
  const audit = program
    .command('audit')
    .description('verify the audit trail, sign checkpoints, replay exports');
  registerAuditVerify(audit);
  registerAuditCheckpoint(audit);
  registerAuditReplay(audit);
}
