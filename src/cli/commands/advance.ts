/** `dondoc advance <obligationId> <EVENT>`: sends one event through the command path. */
import type { Command } from 'commander';
import { print } from '../output.js';
import { parseJsonObject, parsePositiveInteger } from '../parse.js';

interface AdvanceOptions {
  payload?: Record<string, unknown>;
  expectedVersion?: number;
  effectiveAt?: string;
  reason?: string;
}

export function registerAdvanceCommand(program: Command): void {
  program
    .command('advance')
    .description('send an event (e.g. START_IMPLEMENTATION) to an obligation as the local user')
    .argument('<obligationId>', 'the obligation id')
    .argument('<event>', 'the event type, e.g. START_IMPLEMENTATION, SUBMIT_REPORT')
    .option('--payload <json>', 'the event payload as a JSON object', parseJsonObject)
    .option(
      '--expected-version <n>',
      "fail unless the obligation's version is n",
      parsePositiveInteger,
    )
    .option('--effective-at <iso>', 'when it happened (ISO 8601 instant with offset)')
    .option('--reason <text>', 'why, required when --effective-at is in the past')
    .action(async (obligationId: string, event: string, options: AdvanceOptions) => {
      const { withApp } = await import('../app-context.js');
      const { CommandService } = await import('../../obligations/command.service.js');
      await withApp(async ({ app, caller }) => {
        const view = await app.get(CommandService).execute({
          obligationId,
          type: event,
          payload: options.payload ?? {},
          expectedVersion: options.expectedVersion,
          effectiveAt: options.effectiveAt,
          reason: options.reason,
          caller,
        });
        print(
          `${view.id} (${view.agencyCode}): ${event} accepted; stage ${view.stage}, version ${view.version}`,
          `Allowed next: ${view.allowedEvents.join(', ') || 'none'}`,
        );
      });
    });
}
