import type { Command } from 'commander';

/** Placeholder until `dondoc audit replay` lands (registers nothing). */
export function registerAuditReplay(_audit: Command): void {}
