/**
 * Where the audit verify's time goes, per event, on a sample of the seeded obligations held in
 * memory: replay() (the engine's pure replay, as the verifier runs it), the event hash, the
 * ledger hash, and a WHAT IF: the same replay with one XState actor scope reused across calls.
 * XState's pure `transition()` / `initialTransition()` build a new inert actor (an Actor and its
 * initial snapshot) on every call; obligation-engine.ts calls them once per event. The what-if
 * keeps the engine's steps (resolveState, can, transition) and only reuses the scope; its states
 * are compared with replay()'s, so the figure is for the same result.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { createActor, type AnyActorScope, type AnyMachineSnapshot } from 'xstate';
import { ledgerHash } from '../core/audit/event-hash.js';
import { replay } from '../core/audit/replay.js';
import { recomputeEventHash, sameJson, type StoredEvent } from '../core/audit/verify-chain.js';
import { getMachine } from '../core/machine/machine-registry.js';

export interface Breakdown {
  obligations: number;
  events: number;
  /** Microseconds per event. */
  replayMicros: number;
  eventHashMicros: number;
  ledgerHashMicros: number;
  whatIfReplayMicros: number;
  whatIfSameStates: boolean;
}

/** The sample's events, grouped by obligation, as the verifier reads them. */
function loadSample(raw: BetterSqlite3.Database, obligations: number): StoredEvent[][] {
  const rows = raw
    .prepare(
      `SELECT obligation_id, seq, type, payload, actor, reason, effective_at, recorded_at,
         machine_version, prev_hash, hash
       FROM obligation_events WHERE obligation_id IN
         (SELECT id FROM obligations ORDER BY id LIMIT ?)
       ORDER BY obligation_id, seq`,
    )
    .all(obligations) as Array<Record<string, string | number | null>>;
  const groups = new Map<string, StoredEvent[]>();
  for (const r of rows) {
    const e: StoredEvent = {
      obligationId: String(r.obligation_id),
      seq: Number(r.seq),
      type: String(r.type),
      payload: JSON.parse(String(r.payload)) as Record<string, unknown>,
      actor: String(r.actor),
      reason: r.reason === null ? null : String(r.reason),
      effectiveAt: new Date(Number(r.effective_at)).toISOString(),
      recordedAt: new Date(Number(r.recorded_at)).toISOString(),
      machineVersion: String(r.machine_version),
      prevHash: String(r.prev_hash),
      hash: String(r.hash),
      ledgerPosition: null,
    };
    const list = groups.get(e.obligationId) ?? [];
    list.push(e);
    groups.set(e.obligationId, list);
  }
  return [...groups.values()];
}

/** An inert actor scope like XState's own (actions are collected by nobody: pure steps only). */
function inertScope(ref: string): AnyActorScope {
  const self = createActor(getMachine(ref).machine);
  return {
    self,
    defer: () => undefined,
    id: '',
    logger: () => undefined,
    sessionId: '',
    stopChild: () => undefined,
    system: self.system,
    emit: () => undefined,
    actionExecutor: () => undefined,
  } as unknown as AnyActorScope;
}

/** The what-if: replay's steps for OPENED and machine events, with a scope reused per machine. */
function replayReusingScope(
  events: StoredEvent[],
  scopes: Map<string, AnyActorScope>,
): AnyMachineSnapshot {
  let snapshot: AnyMachineSnapshot | null = null;
  for (const e of events) {
    const { machine } = getMachine(e.machineVersion);
    let scope = scopes.get(e.machineVersion);
    if (!scope) scopes.set(e.machineVersion, (scope = inertScope(e.machineVersion)));
    if (e.type === 'OBLIGATION_OPENED') {
      snapshot = machine.getInitialSnapshot(scope, { dueAt: String(e.payload.dueAt) });
      continue;
    }
    const restored = machine.resolveState({ value: snapshot!.value, context: snapshot!.context });
    const event = {
      type: e.type,
      payload: e.payload,
      effectiveAt: e.effectiveAt,
      actor: e.actor,
    } as never;
    if (!restored.can(event)) throw new Error(`event ${e.seq} (${e.type}) does not replay`);
    snapshot = machine.transition(restored, event, scope);
  }
  return snapshot!;
}

function microsPerEvent(events: number, work: () => void): number {
  work(); // warm-up
  const start = performance.now();
  work();
  return ((performance.now() - start) * 1000) / events;
}

export function measureBreakdown(raw: BetterSqlite3.Database, obligations: number): Breakdown {
  const sample = loadSample(raw, obligations);
  const events = sample.reduce((n, list) => n + list.length, 0);
  const all = sample.flat();
  const hashes = all.map((e) => e.hash);
  const scopes = new Map<string, AnyActorScope>();
  const whatIfSameStates = sample.every((list) => {
    const expected = replay(list).state!;
    const got = replayReusingScope(list, scopes);
    return got.value === expected.stage && sameJson(got.context, expected.context);
  });
  return {
    obligations: sample.length,
    events,
    replayMicros: microsPerEvent(events, () => sample.forEach((list) => replay(list))),
    eventHashMicros: microsPerEvent(events, () => all.forEach((e) => recomputeEventHash(e))),
    ledgerHashMicros: microsPerEvent(events, () =>
      hashes.forEach((h, i) => ledgerHash(i + 1, h, h)),
    ),
    whatIfReplayMicros: microsPerEvent(events, () =>
      sample.forEach((list) => replayReusingScope(list, scopes)),
    ),
    whatIfSameStates,
  };
}
