/**
 * Where the audit verify's time goes, per event, on a sample of the seeded obligations held in
 * memory: replay() (the engine's pure replay, as the verifier runs it), the event hash and the
 * ledger hash.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { ledgerHash } from '../core/audit/event-hash.js';
import { replay } from '../core/audit/replay.js';
import { recomputeEventHash, type StoredEvent } from '../core/audit/verify-chain.js';

export interface Breakdown {
  obligations: number;
  events: number;
  /** Microseconds per event. */
  replayMicros: number;
  eventHashMicros: number;
  ledgerHashMicros: number;
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
  return {
    obligations: sample.length,
    events,
    replayMicros: microsPerEvent(events, () => sample.forEach((list) => replay(list))),
    eventHashMicros: microsPerEvent(events, () => all.forEach((e) => recomputeEventHash(e))),
    ledgerHashMicros: microsPerEvent(events, () =>
      hashes.forEach((h, i) => ledgerHash(i + 1, h, h)),
    ),
  };
}
