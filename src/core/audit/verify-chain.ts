/**
 * Verification of the audit trail, pure: one obligation's stored events against its hash chain,
 * its replay and its stored snapshot; and the global ledger, one entry at a time in position
 * order, against its own chain, the events it names and signed checkpoints. Built to stream:
 * the caller reads obligations one page at a time and the ledger in pages, and nothing here
 * keeps more than one obligation's events or one ledger entry.
 */
import { canonicalJson, eventHash, GENESIS_HASH, ledgerHash } from './event-hash.js';
import { replay, type ReplayEvent } from './replay.js';

export const AUDIT_PROBLEM_KINDS = [
  'HASH_MISMATCH',
  'SEQUENCE_GAP',
  'REPLAY_MISMATCH',
  'MISSING_TAIL',
  'LEDGER_MISMATCH',
] as const;
export type AuditProblemKind = (typeof AUDIT_PROBLEM_KINDS)[number];

/** One problem found: where (null when it concerns the whole trail), what kind, and why. */
export interface AuditProblem {
  obligationId: string | null;
  seq: number | null;
  kind: AuditProblemKind;
  detail: string;
}

/** An event as stored: its hashed fields (instants as ISO strings), its hash, its ledger link. */
export interface StoredEvent extends ReplayEvent {
  obligationId: string;
  reason: string | null;
  prevHash: string;
  hash: string;
  /** The position of the ledger entry that names this event; null when no entry does. */
  ledgerPosition: number | null;
}

/** The stored state of an obligation that its events must reproduce. */
export interface StoredObligation {
  id: string;
  stage: string;
  snapshot: { value: unknown; context: unknown };
  version: number;
  machineVersion: string;
  /** The stored agency; when given, it must be the one the events give (opened for, or transferred to). */
  agencyCode?: string;
}

function problem(
  kind: AuditProblemKind,
  obligationId: string | null,
  seq: number | null,
  detail: string,
): AuditProblem {
  return { obligationId, seq, kind, detail };
}

/** Seqs must run 1, 2, …, n: each break is a SEQUENCE_GAP at the event after it. */
export function checkSequence(
  obligationId: string,
  events: readonly StoredEvent[],
): AuditProblem[] {
  const problems: AuditProblem[] = [];
  let expected = 1;
  for (const e of events) {
    if (e.seq !== expected) {
      problems.push(
        problem(
          'SEQUENCE_GAP',
          obligationId,
          e.seq,
          e.seq > expected
            ? `seq ${e.seq} follows seq ${expected - 1}: ${e.seq === expected + 1 ? `seq ${expected} is` : `seqs ${expected}–${e.seq - 1} are`} missing`
            : `seq ${e.seq} follows seq ${expected - 1}: out of order or repeated`,
        ),
      );
    }
    expected = e.seq + 1;
  }
  return problems;
}

/** The hash an event should have, recomputed from its stored fields and stored prevHash. */
export function recomputeEventHash(e: StoredEvent): string {
  return eventHash({
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
  });
}

/**
 * Each event must name its predecessor's stored hash (GENESIS_HASH for the first) and hash to
 * its own stored hash. A changed byte is named at the one event whose fields changed.
 */
export function checkHashChain(
  obligationId: string,
  events: readonly StoredEvent[],
): AuditProblem[] {
  const problems: AuditProblem[] = [];
  let prev = GENESIS_HASH;
  let prevSeq: number | null = null;
  for (const e of events) {
    const reasons: string[] = [];
    if (e.prevHash !== prev) {
      reasons.push(
        prevSeq === null
          ? 'prevHash is not the genesis hash of a first event'
          : `prevHash does not name the hash of seq ${prevSeq}`,
      );
    }
    if (recomputeEventHash(e) !== e.hash)
      reasons.push("the event's fields do not hash to its hash");
    if (reasons.length)
      problems.push(problem('HASH_MISMATCH', obligationId, e.seq, reasons.join('; ')));
    prev = e.hash;
    prevSeq = e.seq;
  }
  return problems;
}

/** Every event must have a ledger entry: one inserted behind the ledger's back has none. */
export function checkLedgerLinks(
  obligationId: string,
  events: readonly StoredEvent[],
): AuditProblem[] {
  return events
    .filter((e) => e.ledgerPosition === null)
    .map((e) =>
      problem('LEDGER_MISMATCH', obligationId, e.seq, 'the event has no entry in the ledger'),
    );
}

function seqOfReplayError(message: string): number | null {
  const match = /^event (\d+) /.exec(message);
  return match ? Number(match[1]) : null;
}

/**
 * Replays the events (each under its machine version) and compares the result with the stored
 * obligation: stage, snapshot (stage and context), machine version, agency (when given), and
 * version = last seq.
 */
export function checkReplay(o: StoredObligation, events: readonly StoredEvent[]): AuditProblem[] {
  const lastSeq = events.length ? events[events.length - 1]!.seq : null;
  if (!events.length) {
    return [problem('REPLAY_MISMATCH', o.id, null, 'the obligation has no events to replay')];
  }
  let result: ReturnType<typeof replay>;
  try {
    result = replay(events as StoredEvent[]);
  } catch (error) {
    const message = (error as Error).message;
    return [
      problem(
        'REPLAY_MISMATCH',
        o.id,
        seqOfReplayError(message) ?? lastSeq,
        `replay fails: ${message}`,
      ),
    ];
  }
  const differences: string[] = [];
  const state = result.state;
  if (!state) {
    differences.push('replay gives no state');
  } else {
    if (state.stage !== o.stage) {
      differences.push(`stage: stored ${o.stage}, replayed ${state.stage}`);
    }
    if (!sameJson(o.snapshot.value, state.snapshot.value)) {
      differences.push(
        `snapshot stage: stored ${canonicalJson(o.snapshot.value)}, replayed ${state.stage}`,
      );
    }
    if (!sameJson(o.snapshot.context, state.snapshot.context)) {
      differences.push(
        `snapshot context differs (${contextDiff(o.snapshot.context, state.context)})`,
      );
    }
  }
  if (result.machineVersion !== o.machineVersion) {
    differences.push(
      `machine version: stored ${o.machineVersion}, replayed ${result.machineVersion ?? 'none'}`,
    );
  }
  if (o.agencyCode !== undefined && result.agencyCode !== o.agencyCode) {
    differences.push(`agency: stored ${o.agencyCode}, replayed ${result.agencyCode ?? 'none'}`);
  }
  if (o.version !== lastSeq) {
    differences.push(`version: stored ${o.version}, the history ends at seq ${lastSeq}`);
  }
  return differences.length
    ? [problem('REPLAY_MISMATCH', o.id, lastSeq, differences.join('; '))]
    : [];
}

/** Whether two JSON values are equal (object key order aside; undefined members ignored). */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => sameJson(x, b[i]));
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const keys = Object.keys(x).filter((k) => x[k] !== undefined);
  if (keys.length !== Object.keys(y).filter((k) => y[k] !== undefined).length) return false;
  return keys.every((k) => sameJson(x[k], y[k]));
}

/** The context keys whose values differ, for the problem's detail. */
function contextDiff(stored: unknown, replayed: unknown): string {
  const a = (stored ?? {}) as Record<string, unknown>;
  const b = (replayed ?? {}) as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  const differing = keys.filter((k) => !sameJson(a[k] ?? null, b[k] ?? null));
  return differing.length ? `keys ${differing.join(', ')}` : 'shape';
}

/**
 * Every check of one obligation, its events sorted by seq: sequence, hash chain, ledger links,
 * replay against the stored snapshot.
 */
export function verifyObligation(
  o: StoredObligation,
  events: readonly StoredEvent[],
): AuditProblem[] {
  return [
    ...checkSequence(o.id, events),
    ...checkHashChain(o.id, events),
    ...checkLedgerLinks(o.id, events),
    ...checkReplay(o, events),
  ];
}

/** A ledger entry as stored, with the event row it names (looked up by the event's id). */
export interface StoredLedgerEntry {
  position: number;
  obligationId: string;
  seq: number;
  eventHash: string;
  prevHash: string;
  hash: string;
  /** The event the entry names, as stored now; null when that row no longer exists. */
  event: { obligationId: string; seq: number; hash: string } | null;
  /** When the event is missing: the highest seq its obligation still has (null: none). */
  obligationLastSeq: number | null;
}

/** A ledger position whose hash is known from outside (a signed checkpoint). */
export interface LedgerAnchor {
  position: number;
  hash: string;
  /** Names the anchor in problems, e.g. `checkpoint of 2025-11-14T17:00:00.000Z`. */
  label: string;
}

/** An anchor of the empty ledger (position 0) holds when its hash is the genesis hash. */
function genesisAnchor(anchor: LedgerAnchor): AuditProblem[] {
  return anchor.hash === GENESIS_HASH
    ? []
    : [problem('LEDGER_MISMATCH', null, null, `${anchor.label} has a bad hash for position 0`)];
}

/**
 * Checks the ledger one entry at a time, in position order: positions 1..N without gaps, each
 * prev_hash the previous entry's hash, each hash = ledgerHash(position, event_hash, prev_hash),
 * each named event present with the same obligation, seq and hash, and the anchors' hashes at
 * their positions. `finish` reports anchors past the end: the database is older than they are.
 */
export class LedgerChainCheck {
  private readonly anchors: LedgerAnchor[];
  private nextAnchor = 0;
  private last: { position: number; hash: string } = { position: 0, hash: GENESIS_HASH };
  private count = 0;

  /**
   * `start`: the last entry before the first one pushed, to check one stretch of the ledger on
   * its own (the stretch after it gives the same problems as a walk from the beginning).
   */
  constructor(
    anchors: readonly LedgerAnchor[] = [],
    start: { position: number; hash: string } = { position: 0, hash: GENESIS_HASH },
  ) {
    this.anchors = [...anchors].sort((a, b) => a.position - b.position);
    this.last = { ...start };
  }

  /** Entries checked so far. */
  get entries(): number {
    return this.count;
  }

  /** The last entry checked (position 0 and GENESIS_HASH before the first). */
  get head(): { position: number; hash: string } {
    return { ...this.last };
  }

  push(entry: StoredLedgerEntry): AuditProblem[] {
    const problems: AuditProblem[] = [];
    const mismatches: string[] = [];
    const where = (kind: AuditProblemKind, detail: string) =>
      problems.push(problem(kind, entry.obligationId, entry.seq, detail));
    const expected = this.last.position + 1;
    if (entry.position !== expected) {
      mismatches.push(
        entry.position > expected
          ? `ledger position ${entry.position} follows ${this.last.position}: ${entry.position - expected} entr${entry.position - expected === 1 ? 'y is' : 'ies are'} missing`
          : `ledger position ${entry.position} follows ${this.last.position}`,
      );
    }
    if (entry.prevHash !== this.last.hash) {
      mismatches.push(
        this.last.position === 0
          ? `ledger entry ${entry.position}: prev_hash is not the genesis hash`
          : `ledger entry ${entry.position}: prev_hash does not name entry ${this.last.position}'s hash`,
      );
    }
    if (ledgerHash(entry.position, entry.eventHash, entry.prevHash) !== entry.hash) {
      mismatches.push(`ledger entry ${entry.position} does not hash to its hash`);
    }
    if (entry.event === null) {
      const tail = entry.obligationLastSeq === null || entry.seq > entry.obligationLastSeq;
      const detail = `ledger entry ${entry.position} names an event that no longer exists`;
      if (tail) {
        where(
          'MISSING_TAIL',
          `${detail}: the obligation's history ends at ${entry.obligationLastSeq === null ? 'no event' : `seq ${entry.obligationLastSeq}`}`,
        );
      } else mismatches.push(detail);
    } else {
      const e = entry.event;
      if (e.obligationId !== entry.obligationId || e.seq !== entry.seq) {
        mismatches.push(
          `ledger entry ${entry.position} names ${entry.obligationId} seq ${entry.seq}, the event row is ${e.obligationId} seq ${e.seq}`,
        );
      }
      if (e.hash !== entry.eventHash) {
        mismatches.push(`ledger entry ${entry.position}: the event's hash is not the one recorded`);
      }
    }
    while (
      this.nextAnchor < this.anchors.length &&
      this.anchors[this.nextAnchor]!.position <= entry.position
    ) {
      const anchor = this.anchors[this.nextAnchor++]!;
      if (anchor.position === 0) {
        problems.push(...genesisAnchor(anchor));
      } else if (anchor.position < entry.position) {
        problems.push(
          problem(
            'LEDGER_MISMATCH',
            null,
            null,
            `ledger entry ${anchor.position} is missing (${anchor.label} covers it)`,
          ),
        );
      } else if (anchor.hash !== entry.hash) {
        mismatches.push(`ledger entry ${entry.position} does not have the hash of ${anchor.label}`);
      }
    }
    if (mismatches.length) where('LEDGER_MISMATCH', mismatches.join('; '));
    this.last = { position: entry.position, hash: entry.hash };
    this.count += 1;
    return problems;
  }

  /**
   * After the last entry of a stretch that ends at position `end` (not the ledger's end): anchors
   * up to `end` that no entry reached name entries missing from the stretch.
   */
  endStretch(end: number): AuditProblem[] {
    const problems: AuditProblem[] = [];
    for (; this.nextAnchor < this.anchors.length; this.nextAnchor++) {
      const anchor = this.anchors[this.nextAnchor]!;
      if (anchor.position > end) break;
      if (anchor.position === 0) {
        problems.push(...genesisAnchor(anchor));
        continue;
      }
      problems.push(
        problem(
          'LEDGER_MISMATCH',
          null,
          null,
          `ledger entry ${anchor.position} is missing (${anchor.label} covers it)`,
        ),
      );
    }
    return problems;
  }

  /** After the last entry: anchors at or past the end of the ledger. */
  finish(): AuditProblem[] {
    const problems: AuditProblem[] = [];
    for (; this.nextAnchor < this.anchors.length; this.nextAnchor++) {
      const anchor = this.anchors[this.nextAnchor]!;
      if (anchor.position === 0) {
        problems.push(...genesisAnchor(anchor));
        continue;
      }
      problems.push(
        problem(
          'MISSING_TAIL',
          null,
          null,
          `database is older than ${anchor.label}: the ledger ends at position ${this.last.position}, the checkpoint covers ${anchor.position}`,
        ),
      );
    }
    return problems;
  }
}
