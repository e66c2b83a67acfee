/**
 * Tamper evidence: a canonical serialisation (sorted keys, UTF-8, Unicode NFC) and SHA-256 hash
 * chains, per obligation (each event names its predecessor's hash) and over all events in
 * commit order (the ledger). Pure: same input, same hash, on any machine, years later.
 */
import { hash } from 'node:crypto';

/** The hash before the first link of a chain. */
export const GENESIS_HASH = '0'.repeat(64);

/** Printable ASCII without `"` or `\\`: JSON.stringify and NFC leave it as it is. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** A JSON string literal of the NFC form of `s` (the common plain case without any copying). */
function jsonString(s: string): string {
  return PLAIN.test(s) ? `"${s}"` : JSON.stringify(s.normalize('NFC'));
}

function byKey(a: readonly [string, string], b: readonly [string, string]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

/** JSON with object keys sorted at every depth and every string in NFC. */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return jsonString(value);
    case 'number':
    case 'boolean':
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) out += (i ? ',' : '') + canonicalJson(value[i]);
        return `${out}]`;
      }
      const record = value as Record<string, unknown>;
      // [normalised key, own key], sorted by the normalised key in UTF-16 code unit order.
      const keys = Object.keys(record)
        .filter((k) => record[k] !== undefined)
        .map((k) => [PLAIN.test(k) ? k : k.normalize('NFC'), k] as const)
        .sort(byKey);
      let out = '{';
      for (let i = 0; i < keys.length; i++) {
        const [key, own] = keys[i]!;
        out += `${i ? ',' : ''}${jsonString(key)}:${canonicalJson(record[own])}`;
      }
      return `${out}}`;
    }
    default:
      throw new TypeError(`cannot serialise a ${typeof value}`);
  }
}

export function sha256Hex(text: string): string {
  return hash('sha256', text, 'hex');
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

/**
 * SHA-256 of canonicalJson of the fields above, written out directly in their sorted key order
 * (a test checks it equals the generic serialisation): this runs for every event written and
 * verified.
 */
export function eventHash(e: HashedEventFields): string {
  // An absent member is left out by canonicalJson: rare enough to take the generic path.
  if (e.payload === undefined || e.reason === undefined) return eventHashGeneric(e);
  return sha256Hex(
    `{"actor":${jsonString(e.actor)},"effectiveAt":${jsonString(e.effectiveAt)},` +
      `"machineVersion":${jsonString(e.machineVersion)},"obligationId":${jsonString(e.obligationId)},` +
      `"payload":${canonicalJson(e.payload)},"prevHash":${jsonString(e.prevHash)},` +
      `"reason":${e.reason === null ? 'null' : jsonString(e.reason)},"recordedAt":${jsonString(e.recordedAt)},` +
      `"seq":${JSON.stringify(e.seq)},"type":${jsonString(e.type)}}`,
  );
}

/** The same hash through the generic serialisation: the definition the fast path must match. */
export function eventHashGeneric(e: HashedEventFields): string {
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
  return sha256Hex(
    `{"eventHash":${jsonString(eventHashValue)},"position":${JSON.stringify(position)},"prevHash":${jsonString(prevHash)}}`,
  );
}

/** The same link through the generic serialisation: the definition the fast path must match. */
export function ledgerHashGeneric(
  position: number,
  eventHashValue: string,
  prevHash: string,
): string {
  return sha256Hex(canonicalJson({ position, eventHash: eventHashValue, prevHash }));
}
