/**
 * Offline verification of an audit export (JSONL): no NestJS, no database. Streams the file line
 * by line, one obligation at a time (the export is ordered by obligation and seq), recomputes
 * every event hash and chain link, the ledger links between consecutive positions the file holds,
 * replays each obligation under its recorded machine versions, and optionally checks a signed
 * checkpoint. Memory holds one obligation's events plus one ledger link per event.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { CHECKPOINT_ALGORITHM, signatureMatches } from '../core/audit/checkpoint-signature.js';
import { eventHash, GENESIS_HASH, ledgerHash } from '../core/audit/event-hash.js';
import { replay, type ReplayEvent } from '../core/audit/replay.js';

/** One line of the JSONL export (one row of the CSV, in this column order). */
export interface ExportRow {
  obligationId: string;
  planId: string;
  year: number;
  agencyCode: string;
  seq: number;
  type: string;
  payload: Record<string, unknown>;
  actor: string;
  reason: string | null;
  effectiveAt: string;
  recordedAt: string;
  stageAfter: string;
  machineVersion: string;
  prevHash: string;
  hash: string;
  /** The event's link in the global ledger (null only if the ledger lacks it). */
  ledgerPosition: number | null;
  ledgerPrevHash: string | null;
  ledgerHash: string | null;
}

export const EXPORT_FIELDS: ReadonlyArray<keyof ExportRow> = [
  'obligationId',
  'planId',
  'year',
  'agencyCode',
  'seq',
  'type',
  'payload',
  'actor',
  'reason',
  'effectiveAt',
  'recordedAt',
  'stageAfter',
  'machineVersion',
  'prevHash',
  'hash',
  'ledgerPosition',
  'ledgerPrevHash',
  'ledgerHash',
];

export type ProblemKind =
  | 'HASH_MISMATCH'
  | 'SEQUENCE_GAP'
  | 'REPLAY_MISMATCH'
  | 'LEDGER_MISMATCH'
  | 'MALFORMED_LINE'
  | 'CHECKPOINT_MISMATCH';

export interface ReplayProblem {
  kind: ProblemKind;
  obligationId: string | null;
  seq: number | null;
  /** 1-based line of the export file. */
  line: number | null;
  detail: string;
}

export interface ReplayedObligation {
  obligationId: string;
  planId: string;
  year: number;
  agencyCode: string;
  stage: string | null;
  escalationLevel: number;
  eventsApplied: number;
  machineVersion: string | null;
  problems: ReplayProblem[];
}

/** A checkpoint document written by `dondoc audit checkpoint`. */
export interface Checkpoint {
  position: number;
  hash: string;
  eventCount: number;
  createdAt: string;
  signature: string;
  algorithm: string;
}

export interface CheckpointResult {
  position: number;
  /** Whether the export holds the ledger entry at that position. */
  covered: boolean;
  /** null when the export does not cover the position. */
  hashMatches: boolean | null;
  signature: 'valid' | 'invalid' | 'not checked (no key)';
}

export interface OfflineReplayReport {
  ok: boolean;
  events: number;
  obligations: ReplayedObligation[];
  /** Every problem, the obligations' ones included. */
  problems: ReplayProblem[];
  ledger: { first: number | null; last: number | null; linksChecked: number };
  checkpoint: CheckpointResult | null;
}

const HEX64 = /^[0-9a-f]{64}$/;

/** Parses one export line; returns the row or why it is not one. Pure. */
export function parseExportLine(text: string): ExportRow | string {
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return 'not valid JSON';
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return 'not a JSON object';
  const str = (k: string) => typeof v[k] === 'string';
  for (const k of [
    'obligationId',
    'planId',
    'agencyCode',
    'type',
    'actor',
    'effectiveAt',
    'recordedAt',
    'stageAfter',
    'machineVersion',
    'prevHash',
    'hash',
  ]) {
    if (!str(k)) return `field ${k} is missing or not a string`;
  }
  for (const k of ['seq', 'year']) {
    if (!Number.isInteger(v[k])) return `field ${k} is missing or not an integer`;
  }
  if (!v.payload || typeof v.payload !== 'object' || Array.isArray(v.payload))
    return 'field payload is missing or not an object';
  if (v.reason !== null && !str('reason')) return 'field reason is not a string or null';
  if (v.ledgerPosition !== null && !Number.isInteger(v.ledgerPosition))
    return 'field ledgerPosition is not an integer or null';
  for (const k of ['ledgerPrevHash', 'ledgerHash']) {
    if (v[k] !== null && !str(k)) return `field ${k} is not a string or null`;
  }
  return v as unknown as ExportRow;
}

interface Numbered {
  row: ExportRow;
  line: number;
}

/** Verifies and replays one obligation's events (in file order). Pure. */
export function verifyObligation(events: Numbered[]): ReplayedObligation {
  const first = events[0]!.row;
  const problems: ReplayProblem[] = [];
  const problem = (kind: ProblemKind, e: Numbered, detail: string) =>
    problems.push({
      kind,
      obligationId: first.obligationId,
      seq: e.row.seq,
      line: e.line,
      detail,
    });
  let prevHash = GENESIS_HASH;
  let expectedSeq = 1;
  for (const e of events) {
    const r = e.row;
    if (r.seq !== expectedSeq) {
      problem('SEQUENCE_GAP', e, `expected seq ${expectedSeq}, found ${r.seq}`);
    }
    expectedSeq = r.seq + 1;
    if (r.prevHash !== prevHash) {
      problem('HASH_MISMATCH', e, `prevHash does not name the previous event's hash`);
    }
    const recomputed = eventHash({
      obligationId: r.obligationId,
      seq: r.seq,
      type: r.type,
      payload: r.payload,
      actor: r.actor,
      reason: r.reason,
      effectiveAt: r.effectiveAt,
      recordedAt: r.recordedAt,
      machineVersion: r.machineVersion,
      prevHash: r.prevHash,
    });
    if (recomputed !== r.hash) {
      problem('HASH_MISMATCH', e, `the event's content does not hash to its recorded hash`);
    }
    prevHash = r.hash;
    if (r.ledgerPosition === null || r.ledgerPrevHash === null || r.ledgerHash === null) {
      problem('LEDGER_MISMATCH', e, 'the event has no ledger entry');
    } else if (ledgerHash(r.ledgerPosition, r.hash, r.ledgerPrevHash) !== r.ledgerHash) {
      problem('LEDGER_MISMATCH', e, `ledger entry ${r.ledgerPosition} does not hash to its hash`);
    }
  }
  // Replay each prefix so that every recorded stageAfter is checked, not only the last.
  const replayEvents: ReplayEvent[] = events.map((e) => e.row);
  let result: ReturnType<typeof replay> = {
    state: null,
    machineVersion: null,
    eventsApplied: 0,
    agencyCode: null,
  };
  for (let k = 1; k <= events.length; k++) {
    const e = events[k - 1]!;
    try {
      result = replay(replayEvents.slice(0, k));
    } catch (error) {
      problem('REPLAY_MISMATCH', e, (error as Error).message);
      break;
    }
    if (result.state?.stage !== e.row.stageAfter) {
      problem(
        'REPLAY_MISMATCH',
        e,
        `replay gives stage ${result.state?.stage ?? 'none'}, the event records ${e.row.stageAfter}`,
      );
    }
  }
  // Each row names the obligation's agency at export time: the one its events give.
  const last = events[events.length - 1]!;
  if (
    result.eventsApplied === events.length &&
    result.agencyCode !== null &&
    result.agencyCode !== first.agencyCode
  ) {
    problem(
      'REPLAY_MISMATCH',
      last,
      `replay gives agency ${result.agencyCode}, the export records ${first.agencyCode}`,
    );
  }
  return {
    obligationId: first.obligationId,
    planId: first.planId,
    year: first.year,
    agencyCode: first.agencyCode,
    stage: result.state?.stage ?? null,
    escalationLevel: result.state?.context.escalationLevel ?? 0,
    eventsApplied: result.eventsApplied,
    machineVersion: result.machineVersion,
    problems,
  };
}

export { CHECKPOINT_ALGORITHM };

/** Checks a checkpoint's signature with the audit key (see src/core/audit/checkpoint-signature.ts). */
export function checkSignature(cp: Checkpoint, key: string | null): CheckpointResult['signature'] {
  if (key === null) return 'not checked (no key)';
  return signatureMatches(key, cp, cp.signature) ? 'valid' : 'invalid';
}

/** Validates a parsed checkpoint document; returns it or what is wrong. Pure. */
export function parseCheckpoint(value: unknown): Checkpoint | string {
  const v = value as Record<string, unknown> | null;
  if (!v || typeof v !== 'object' || Array.isArray(v)) return 'not a JSON object';
  const isCount = (x: unknown) => Number.isSafeInteger(x) && (x as number) >= 0;
  if (!isCount(v.position)) return 'position must be a whole number';
  if (typeof v.hash !== 'string' || !HEX64.test(v.hash)) return 'hash must be 64 hex digits';
  if (!isCount(v.eventCount)) return 'eventCount must be a whole number';
  if (typeof v.createdAt !== 'string' || Number.isNaN(Date.parse(v.createdAt)))
    return 'createdAt must be an ISO 8601 instant';
  if (typeof v.signature !== 'string') return 'signature must be a string';
  if (v.algorithm !== CHECKPOINT_ALGORITHM)
    return `algorithm must be ${JSON.stringify(CHECKPOINT_ALGORITHM)}`;
  return {
    position: v.position as number,
    hash: v.hash,
    eventCount: v.eventCount as number,
    createdAt: v.createdAt,
    signature: v.signature,
    algorithm: v.algorithm,
  };
}

export interface OfflineReplayOptions {
  checkpoint?: Checkpoint;
  /** The audit key (DONDOC_AUDIT_KEY) to check the checkpoint's signature. */
  key?: string | null;
}

/** Reads an export file and verifies it (see the file comment). */
export async function replayExportFile(
  file: string,
  options: OfflineReplayOptions = {},
): Promise<OfflineReplayReport> {
  const input = createReadStream(file, { encoding: 'utf8' });
  const lines = createInterface({ input, crlfDelay: Infinity });
  const obligations: ReplayedObligation[] = [];
  const problems: ReplayProblem[] = [];
  /** position → [ledger prevHash, ledger hash] of every entry in the file. */
  const ledger = new Map<number, [string, string]>();
  const done = new Set<string>();
  let group: Numbered[] = [];
  let events = 0;
  let lineNo = 0;

  const flush = () => {
    if (!group.length) return;
    const result = verifyObligation(group);
    obligations.push(result);
    problems.push(...result.problems);
    done.add(result.obligationId);
    group = [];
  };

  for await (const raw of lines) {
    lineNo += 1;
    const text = lineNo === 1 ? raw.replace(/^\uFEFF/, '') : raw;
    if (!text.trim()) continue;
    const row = parseExportLine(text);
    if (typeof row === 'string') {
      problems.push({
        kind: 'MALFORMED_LINE',
        obligationId: null,
        seq: null,
        line: lineNo,
        detail: row,
      });
      continue;
    }
    events += 1;
    if (group.length && group[0]!.row.obligationId !== row.obligationId) flush();
    if (!group.length && done.has(row.obligationId)) {
      problems.push({
        kind: 'SEQUENCE_GAP',
        obligationId: row.obligationId,
        seq: row.seq,
        line: lineNo,
        detail: 'the obligation appears again after other obligations (the export is not ordered)',
      });
    }
    group.push({ row, line: lineNo });
    if (row.ledgerPosition !== null && row.ledgerPrevHash !== null && row.ledgerHash !== null) {
      if (ledger.has(row.ledgerPosition)) {
        problems.push({
          kind: 'LEDGER_MISMATCH',
          obligationId: row.obligationId,
          seq: row.seq,
          line: lineNo,
          detail: `ledger position ${row.ledgerPosition} appears twice`,
        });
      }
      ledger.set(row.ledgerPosition, [row.ledgerPrevHash, row.ledgerHash]);
    }
  }
  flush();

  // Links between consecutive ledger positions that are both in the file.
  const positions = [...ledger.keys()].sort((a, b) => a - b);
  let linksChecked = 0;
  for (const p of positions) {
    const prev = p === 1 ? [GENESIS_HASH, GENESIS_HASH] : ledger.get(p - 1);
    if (!prev) continue;
    linksChecked += 1;
    if (ledger.get(p)![0] !== prev[1]) {
      problems.push({
        kind: 'LEDGER_MISMATCH',
        obligationId: null,
        seq: null,
        line: null,
        detail: `ledger entry ${p} does not link to entry ${p - 1}`,
      });
    }
  }

  let checkpoint: CheckpointResult | null = null;
  if (options.checkpoint) {
    const cp = options.checkpoint;
    const entry = ledger.get(cp.position);
    checkpoint = {
      position: cp.position,
      covered: entry !== undefined,
      hashMatches: entry === undefined ? null : entry[1] === cp.hash,
      signature: checkSignature(cp, options.key ?? null),
    };
    if (checkpoint.hashMatches === false || checkpoint.signature === 'invalid') {
      problems.push({
        kind: 'CHECKPOINT_MISMATCH',
        obligationId: null,
        seq: null,
        line: null,
        detail:
          checkpoint.hashMatches === false
            ? `ledger entry ${cp.position} does not have the checkpoint's hash`
            : `the checkpoint's signature is not valid for this key`,
      });
    }
  }

  return {
    ok: problems.length === 0,
    events,
    obligations,
    problems,
    ledger: {
      first: positions[0] ?? null,
      last: positions[positions.length - 1] ?? null,
      linksChecked,
    },
    checkpoint,
  };
}
