/**
 * Rebuilds an obligation's state from its events alone, each under the machine version it was
 * recorded with. Pure: no database, no clock; the same events always give the same state.
 */
import { ReplayCursor, type EngineState } from '../machine/obligation-engine.js';
import type { MachineEvent } from '../machine/obligation-events.js';

/** An event as replay needs it (what the history and the export carry). */
export interface ReplayEvent {
  seq: number;
  type: string;
  payload: Record<string, unknown>;
  actor: string;
  effectiveAt: string;
  recordedAt: string;
  machineVersion: string;
}

export interface ReplayResult {
  state: EngineState | null;
  machineVersion: string | null;
  eventsApplied: number;
  /** The agency the obligation belongs to: the one it was opened for, or its last TRANSFER's. */
  agencyCode: string | null;
}

/** Events that a replay as of `at` (effective time) and `asRecordedAt` (what was known) keeps. */
export function eventsAsOf<E extends ReplayEvent>(
  events: E[],
  at?: string,
  asRecordedAt?: string,
): E[] {
  const atMs = at === undefined ? Infinity : Date.parse(at);
  const knownMs = asRecordedAt === undefined ? Infinity : Date.parse(asRecordedAt);
  return events.filter(
    (e) => Date.parse(e.effectiveAt) <= atMs && Date.parse(e.recordedAt) <= knownMs,
  );
}

/**
 * Replays events in seq order. The first must be OBLIGATION_OPENED (its payload's dueAt starts
 * the machine, its agencyCode names the agency); MIGRATED { to } moves the state to another
 * machine version unchanged; TRANSFER { toAgency } moves the obligation to another agency.
 * Throws (with the seq) when an event does not fit the state: the history is then not valid.
 */
export function replay(events: readonly ReplayEvent[]): ReplayResult {
  let cursor: ReplayCursor | null = null;
  let machineVersion: string | null = null;
  let agencyCode: string | null = null;
  let applied = 0;
  for (const e of inSeqOrder(events)) {
    if (e.type === 'OBLIGATION_OPENED') {
      machineVersion = e.machineVersion;
      cursor = ReplayCursor.start(machineVersion, { dueAt: String(e.payload.dueAt) });
      agencyCode = typeof e.payload.agencyCode === 'string' ? e.payload.agencyCode : null;
    } else if (!cursor || !machineVersion) {
      throw new Error(`event ${e.seq} (${e.type}) comes before OBLIGATION_OPENED`);
    } else if (e.type === 'MIGRATED') {
      machineVersion = String(e.payload.to); // the stage and context carry over unchanged
    } else {
      // What the service added to the stored payload goes back beside it.
      const { dueAt, ...rest } = e.payload;
      const { fromAgency, ...transferPayload } = rest;
      const transfer = e.type === 'TRANSFER';
      const event = {
        type: e.type,
        payload: transfer ? transferPayload : rest,
        effectiveAt: e.effectiveAt,
        actor: e.actor,
        ...(typeof dueAt === 'string' && e.type === 'EXTEND_DEADLINE' ? { dueAt } : {}),
        ...(transfer && typeof fromAgency === 'string' ? { fromAgency } : {}),
      } as MachineEvent;
      try {
        cursor.apply(e.machineVersion, event);
      } catch (error) {
        throw new Error(`event ${e.seq} (${e.type}) does not replay: ${(error as Error).message}`, {
          cause: error,
        });
      }
    }
    if (e.type === 'TRANSFER' && typeof e.payload.toAgency === 'string') {
      agencyCode = e.payload.toAgency;
    }
    applied += 1;
  }
  const state: EngineState | null = cursor ? cursor.state : null;
  return { state, machineVersion, eventsApplied: applied, agencyCode };
}

/** The events sorted by seq; the list itself when it already is (the verifier reads them so). */
function inSeqOrder(events: readonly ReplayEvent[]): readonly ReplayEvent[] {
  for (let i = 1; i < events.length; i++) {
    if (events[i - 1]!.seq > events[i]!.seq) return [...events].sort((a, b) => a.seq - b.seq);
  }
  return events;
}
