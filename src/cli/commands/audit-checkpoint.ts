import type { Command } from 'commander';

/** Placeholder until `dondoc audit checkpoint` lands (registers nothing). */
export function registerAuditCheckpoint(_audit: Command): void {}
