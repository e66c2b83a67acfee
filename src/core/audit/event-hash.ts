/**
 * Tamper evidence: a canonical serialisation (sorted keys, UTF-8, Unicode NFC) and SHA-256 hash
 * chains, per obligation (each event names its predecessor's hash) and over all events in
 * commit order (the ledger). Pure: same input, same hash, on any machine, years later.
 */
import { createHash } from 'node:crypto';

/** The hash before the first link of a chain. */
export const GENESIS_HASH = '0'.repeat(64);

/** JSON with object keys sorted at every depth and every string in NFC. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'number' || typeof value === 'boolean')
    return JSON.stringify(value);
  if (typeof value === 'string') return JSON.stringify(value.normalize('NFC'));
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k.normalize('NFC'), v] as const)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  throw new TypeError(`cannot serialise a ${typeof value}`);
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The fields of an event that its hash covers. Instants are ISO strings (UTC). */
export interface HashedEventFields {
  obligationId: string;
  seq: number;
  type: string;
  payload: unknown;
  actor: string;
  reason: string | null;
  effectiveAt: string;
  recordedAt: string;
  machineVersion: string;
  prevHash: string;
}

export function eventHash(e: HashedEventFields): string {
  return sha256Hex(
    canonicalJson({
      obligationId: e.obligationId,
      seq: e.seq,
      type: e.type,
      payload: e.payload,
      actor: e.actor,
      reason: e.reason,
      effectiveAt: e.effectiveAt,
      recordedAt: e.recordedAt,
      machineVersion: e.machineVersion,
      prevHash: e.prevHash,
    }),
  );
}

/** One link of the global ledger: its position, the event's hash and the previous link. */
export function ledgerHash(position: number, eventHashValue: string, prevHash: string): string {
  return sha256Hex(canonicalJson({ position, eventHash: eventHashValue, prevHash }));
}
