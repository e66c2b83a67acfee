/** The 4 transitions every benchmarked obligation goes through, shared by engine and raw runs. */

export interface Step {
  type: 'START_IMPLEMENTATION' | 'SUBMIT_REPORT' | 'AGGREGATE' | 'REPORT_TO_UBND';
  stageAfter: string;
  /** The payload for the i-th obligation. */
  payload(i: number): Record<string, unknown>;
  /** The context fields the raw baseline writes into its snapshot (what the machine assigns). */
  context(payload: Record<string, unknown>, at: string): Record<string, unknown>;
}

export const STEPS: readonly Step[] = [
  {
    type: 'START_IMPLEMENTATION',
    stageAfter: 'implementing',
    payload: (i) => ({ planRef: `KH-${i + 1}/2025` }),
    context: (p) => ({ planRef: p.planRef }),
  },
  {
    type: 'SUBMIT_REPORT',
    stageAfter: 'report_submitted',
    payload: (i) => ({ reportRef: `BC-${i + 1}/2025` }),
    context: (p, at) => ({ reportRef: p.reportRef, reportSummary: null, submittedAt: at }),
  },
  {
    type: 'AGGREGATE',
    stageAfter: 'aggregated',
    payload: () => ({}),
    context: (_p, at) => ({ aggregatedAt: at }),
  },
  {
    type: 'REPORT_TO_UBND',
    stageAfter: 'reported_to_ubnd',
    payload: () => ({ consolidatedReportRef: 'BC-TH-01/2025' }),
    context: (p, at) => ({ consolidatedReportRef: p.consolidatedReportRef, reportedAt: at }),
  },
];

export interface Timed {
  commands: number;
  seconds: number;
}
