/**
 * The yearly obligation of one agency under a plan, version 2: version 1 plus one stage,
 * `report_verified`, in which the aggregator has checked a submitted report before aggregating it:
 * plan_drafted → implementing → report_submitted → report_verified → aggregated → reported_to_ubnd,
 * or withdrawn. AGGREGATE is accepted only from report_verified (no longer from report_submitted);
 * RETURN_REPORT from report_submitted and report_verified.
 *
 * The context and the actions are the same as version 1's (VERIFY_REPORT records nothing in the
 * context; the event itself is in the history), so a version 1 snapshot in a stage both versions
 * have is a valid version 2 snapshot and MIGRATED carries it over as it is.
 * Pure and deterministic, like version 1.
 */
import { assign, setup } from 'xstate';
import type { ObligationContext, ObligationInput } from './annual-report.machine.js';
import type { MachineEvent } from './obligation-events.js';

type Ev<T extends MachineEvent['type']> = Extract<MachineEvent, { type: T }>;

/** Events accepted in every stage before the report is in; they do not change the stage. */
const openStageEvents = {
  EXTEND_DEADLINE: { actions: 'extendDeadline' },
  WITHDRAW: { target: 'withdrawn', actions: 'withdraw' },
  TRANSFER: { actions: 'transfer' },
  REMIND: { actions: 'remind' },
  DEADLINE_PASSED: { actions: 'deadlinePassed' },
  ESCALATE: { actions: 'escalate' },
} as const;

/** Events accepted while the aggregator holds the report (submitted or verified). */
const reportHeldEvents = {
  RETURN_REPORT: { target: 'implementing', actions: 'returnReport' },
  EXTEND_DEADLINE: openStageEvents.EXTEND_DEADLINE,
  WITHDRAW: openStageEvents.WITHDRAW,
  TRANSFER: openStageEvents.TRANSFER,
} as const;

/**
 * A machine version is frozen once obligations use it, so this one carries its own copy of the
 * actions; they are version 1's, line for line (the unit tests check both give the same context).
 */
export const annualReportMachineV2 = setup({
  types: {
    context: {} as ObligationContext,
    events: {} as MachineEvent,
    input: {} as ObligationInput,
  },
  actions: {
    startImplementation: assign(({ event }) => ({
      planRef: (event as Ev<'START_IMPLEMENTATION'>).payload.planRef,
    })),
    submitReport: assign(({ event }) => {
      const e = event as Ev<'SUBMIT_REPORT'>;
      return {
        reportRef: e.payload.reportRef,
        reportSummary: e.payload.summary ?? null,
        submittedAt: e.effectiveAt,
      };
    }),
    returnReport: assign(({ context, event }) => ({
      returnCount: context.returnCount + 1,
      lastReturnReason: (event as Ev<'RETURN_REPORT'>).payload.reason,
      submittedAt: null,
    })),
    aggregate: assign(({ event }) => ({ aggregatedAt: event.effectiveAt })),
    reportToUbnd: assign(({ event }) => ({
      consolidatedReportRef: (event as Ev<'REPORT_TO_UBND'>).payload.consolidatedReportRef,
      reportedAt: event.effectiveAt,
    })),
    extendDeadline: assign(({ context, event }) => {
      const e = event as Ev<'EXTEND_DEADLINE'>;
      const dueAt = e.dueAt ?? context.dueAt;
      return {
        dueAt,
        extensions: [
          ...context.extensions,
          { newDueDate: e.payload.newDueDate, basis: e.payload.basis, dueAt, at: e.effectiveAt },
        ],
      };
    }),
    withdraw: assign(({ event }) => ({
      withdrawnBasis: (event as Ev<'WITHDRAW'>).payload.basis,
    })),
    transfer: assign(({ context, event }) => {
      const e = event as Ev<'TRANSFER'>;
      return {
        transfers: [
          ...(context.transfers ?? []),
          {
            from: e.fromAgency ?? null,
            to: e.payload.toAgency,
            basis: e.payload.basis,
            at: e.effectiveAt,
          },
        ],
      };
    }),
    remind: assign(({ context }) => ({ remindersSent: context.remindersSent + 1 })),
    deadlinePassed: assign(({ context, event }) => ({
      deadlinePassedAt: event.effectiveAt,
      escalationLevel: Math.max(
        context.escalationLevel,
        (event as Ev<'DEADLINE_PASSED'>).payload.level,
      ),
    })),
    escalate: assign(({ context, event }) => ({
      escalationLevel: Math.max(context.escalationLevel, (event as Ev<'ESCALATE'>).payload.level),
    })),
  },
}).createMachine({
  id: 'annual-report',
  initial: 'plan_drafted',
  // XState also evaluates this without input while computing a transition; don't throw then.
  context: ({ input }) => ({
    dueAt: input?.dueAt ?? '',
    planRef: null,
    reportRef: null,
    reportSummary: null,
    submittedAt: null,
    returnCount: 0,
    lastReturnReason: null,
    aggregatedAt: null,
    consolidatedReportRef: null,
    reportedAt: null,
    withdrawnBasis: null,
    extensions: [],
    remindersSent: 0,
    deadlinePassedAt: null,
    escalationLevel: 0,
  }),
  states: {
    plan_drafted: {
      on: {
        START_IMPLEMENTATION: { target: 'implementing', actions: 'startImplementation' },
        ...openStageEvents,
      },
    },
    implementing: {
      on: {
        SUBMIT_REPORT: { target: 'report_submitted', actions: 'submitReport' },
        ...openStageEvents,
      },
    },
    report_submitted: {
      on: {
        VERIFY_REPORT: { target: 'report_verified' },
        ...reportHeldEvents,
      },
    },
    report_verified: {
      on: {
        AGGREGATE: { target: 'aggregated', actions: 'aggregate' },
        ...reportHeldEvents,
      },
    },
    aggregated: {
      on: {
        REPORT_TO_UBND: { target: 'reported_to_ubnd', actions: 'reportToUbnd' },
        WITHDRAW: openStageEvents.WITHDRAW,
        TRANSFER: openStageEvents.TRANSFER,
      },
    },
    reported_to_ubnd: { type: 'final' },
    withdrawn: { type: 'final' },
  },
});
