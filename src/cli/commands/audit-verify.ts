import type { Command } from 'commander';

/** Placeholder until `dondoc audit verify` lands (registers nothing). */
export function registerAuditVerify(_audit: Command): void {}
