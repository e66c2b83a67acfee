/**
 * `dondoc advance <obligationId> <EVENT> --as <user>`: sends one event through the command path,
 * which checks that the user's role (and agency) may send it, as on HTTP.
 */
import type { Command } from 'commander';
import { writerName, writerOption } from '../identity.js';
import { print } from '../output.js';
import { parseJsonObject, parsePositiveInteger } from '../parse.js';

interface AdvanceOptions {
  payload?: Record<string, unknown>;
  expectedVersion?: number;
  effectiveAt?: string;
  reason?: string;
  as?: string;
}

export function registerAdvanceCommand(program: Command): void {
  program
    .command('advance')
    .description('send an event (e.g. START_IMPLEMENTATION) to an obligation as a user')
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
    .addOption(writerOption())
    .action(async (obligationId: string, event: string, options: AdvanceOptions) => {
      const as = writerName(options.as);
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
      }, as);
    });
}
