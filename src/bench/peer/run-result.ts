/** What each side of the peer benchmark prints as its last stdout line (JSON). */
export interface PeerRunResult {
  side: 'dondoc' | 'bpmn-engine';
  /** bpmn-engine only: waiting instances kept in memory, or recovered from SQLite each step. */
  mode?: 'memory' | 'recover';
  obligations: number;
  concurrency: number;
  /** Transitions (4 per obligation), each persisted. */
  steps: number;
  /** Opening the obligations and all their steps. */
  seconds: number;
  /** Only the 4 steps of each, after every obligation was opened. */
  stepSeconds: number;
  peakRssMiB: number;
  problems: string[];
}

export function printResult(result: PeerRunResult): void {
  console.log(JSON.stringify(result));
}
