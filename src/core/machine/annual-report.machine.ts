/**
 * The yearly obligation of one agency under a plan, version 1:
 * plan_drafted → implementing → report_submitted → aggregated → reported_to_ubnd, or withdrawn.
 * Pure and deterministic: no clocks or ids inside; every instant arrives in the event.
 * Context is JSON only, so a persisted snapshot restores exactly.
 */
import { assign, setup } from 'xstate';
import type { MachineEvent } from './obligation-events.js';

export interface ObligationContext {
  dueAt: string;
  planRef: string | null;
  reportRef: string | null;
  reportSummary: string | null;
  /** Effective time of the (latest) report submission. */
  submittedAt: string | null;
  returnCount: number;
  lastReturnReason: string | null;
  aggregatedAt: string | null;
  consolidatedReportRef: string | null;
  reportedAt: string | null;
  withdrawnBasis: string | null;
  extensions: Array<{ newDueDate: string; basis: string; dueAt: string; at: string }>;
  /**
   * Transfers to another agency, oldest first. Absent until the first TRANSFER, so snapshots
   * stored before TRANSFER existed still equal their replay.
   */
  transfers?: Array<{ from: string | null; to: string; basis: string; at: string }>;
  remindersSent: number;
  deadlinePassedAt: string | null;
  escalationLevel: number;
}

export interface ObligationInput {
  dueAt: string;
}

type Ev<T extends MachineEvent['type']> = Extract<MachineEvent, { type: T }>;

/** Events accepted in every open stage; they do not change the stage. */
const openStageEvents = {
  EXTEND_DEADLINE: { actions: 'extendDeadline' },
  WITHDRAW: { target: 'withdrawn', actions: 'withdraw' },
  TRANSFER: { actions: 'transfer' },
  REMIND: { actions: 'remind' },
  DEADLINE_PASSED: { actions: 'deadlinePassed' },
  ESCALATE: { actions: 'escalate' },
} as const;

export const annualReportMachineV1 = setup({
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
        RETURN_REPORT: { target: 'implementing', actions: 'returnReport' },
        AGGREGATE: { target: 'aggregated', actions: 'aggregate' },
        EXTEND_DEADLINE: openStageEvents.EXTEND_DEADLINE,
        WITHDRAW: openStageEvents.WITHDRAW,
        TRANSFER: openStageEvents.TRANSFER,
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
