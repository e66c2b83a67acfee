/**
 * Whether an obligation can move to another version of its lifecycle machine, judged from its
 * events alone. Pure: no database, no clock.
 *
 * The rule: every event of the obligation's history, re-interpreted under the target version,
 * must replay (the pure replay of src/core/audit/replay.ts) and end in the stage and context the
 * obligation has now. Then MIGRATED can carry the snapshot over unchanged and the history stays
 * consistent under both readings.
 * - `invalid`: the current stage does not exist in the target, or an event is not accepted there
 *   (the first such event is named), or the snapshot does not resolve under the target, or the
 *   events give another context;
 * - `changes-stage`: every event replays but ends in another stage;
 * - `unchanged`: the same stage and context: it migrates cleanly.
 */
import { canonicalJson } from '../core/audit/event-hash.js';
import { replay, type ReplayEvent } from '../core/audit/replay.js';
import { DomainError, ErrorCode } from '../core/errors.js';
import { getMachine, knownMachines, machineRef } from '../core/machine/machine-registry.js';
import type { PersistedSnapshot } from '../core/machine/obligation-engine.js';
import type { Stage } from '../core/machine/obligation-events.js';

export const VERDICTS = ['unchanged', 'changes-stage', 'invalid'] as const;
export type Verdict = (typeof VERDICTS)[number];

export interface MigrationVerdict {
  verdict: Verdict;
  /** The stage the re-interpreted history ends in (changes-stage), or the current stage. */
  stageAfter: Stage | null;
  /** Why it is not `unchanged`; null when it is. */
  reason: string | null;
  /** The first event the target version does not accept (invalid only). */
  failedSeq: number | null;
}

/** `annual-report@1`, `annual-report@2`, …: every registered version, in registry order. */
export function knownMachineRefs(): string[] {
  return knownMachines().map((m) => machineRef(m.id, m.version));
}

export function isKnownMachineRef(ref: string): boolean {
  return knownMachineRefs().includes(ref);
}

/** The stage names of a machine version. */
export function stagesOf(ref: string): string[] {
  return Object.keys(getMachine(ref).machine.root.states);
}

const invalid = (reason: string, failedSeq: number | null = null): MigrationVerdict => ({
  verdict: 'invalid',
  stageAfter: null,
  reason,
  failedSeq,
});

/** The first event that does not replay, the stage it met, and the engine's reason. */
function firstFailure(events: ReplayEvent[]): {
  event: ReplayEvent;
  stage: string | null;
  cause: unknown;
} {
  const sorted = [...events].sort((a, b) => a.seq - b.seq);
  let stage: string | null = null;
  for (let n = 1; n <= sorted.length; n++) {
    try {
      stage = replay(sorted.slice(0, n)).state?.stage ?? null;
    } catch (error) {
      // Replay wraps the engine's error (EVENT_NOT_ALLOWED, usually) as its cause.
      return { event: sorted[n - 1]!, stage, cause: (error as Error).cause ?? error };
    }
  }
  throw new Error('the history replays, yet it did not'); // not reached
}

/** Which top-level context fields differ between two contexts (JSON comparison). */
function differingFields(a: object, b: object): string[] {
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(ra), ...Object.keys(rb)])].sort();
  return keys.filter((k) => canonicalJson(ra[k] ?? null) !== canonicalJson(rb[k] ?? null));
}

/**
 * Judges one obligation: its events (in any order; seq orders them), its current snapshot, and the
 * target machine version (which must be registered).
 */
export function judgeMigration(input: {
  events: ReplayEvent[];
  snapshot: PersistedSnapshot;
  to: string;
}): MigrationVerdict {
  const { events, snapshot, to } = input;
  const stage = snapshot.value;
  const target = getMachine(to);
  if (!stagesOf(to).includes(stage)) return invalid(`stage ${stage} does not exist in ${to}`);
  try {
    target.machine.resolveState({ value: snapshot.value, context: snapshot.context });
  } catch (error) {
    return invalid(`the snapshot does not resolve under ${to}: ${(error as Error).message}`);
  }
  const reinterpreted = events.map((e) => ({ ...e, machineVersion: to }));
  let result: ReturnType<typeof replay>;
  try {
    result = replay(reinterpreted);
  } catch {
    const { event, stage: met, cause } = firstFailure(reinterpreted);
    const notAllowed = cause instanceof DomainError && cause.code === ErrorCode.EVENT_NOT_ALLOWED;
    return invalid(
      notAllowed
        ? `event ${event.seq} (${event.type}) is not accepted in stage ${met ?? '?'} under ${to}`
        : `event ${event.seq} (${event.type}) does not replay under ${to}: ${(cause as Error)?.message ?? String(cause)}`,
      event.seq,
    );
  }
  if (!result.state) return invalid('the obligation has no events');
  if (result.state.stage !== stage) {
    return {
      verdict: 'changes-stage',
      stageAfter: result.state.stage,
      reason: `under ${to} its events end in ${result.state.stage}, not ${stage}`,
      failedSeq: null,
    };
  }
  const fields = differingFields(result.state.context, snapshot.context);
  if (fields.length > 0) {
    return invalid(`under ${to} its events give another context (${fields.join(', ')})`);
  }
  return { verdict: 'unchanged', stageAfter: stage, reason: null, failedSeq: null };
}
