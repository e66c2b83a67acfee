import { describe, expect, it } from '@jest/globals';
import { eventHash, GENESIS_HASH, ledgerHash } from '../../../src/core/audit/event-hash.js';
import { replay } from '../../../src/core/audit/replay.js';
import {
  checkHashChain,
  checkSequence,
  LedgerChainCheck,
  sameJson,
  verifyObligation,
  type AuditProblem,
  type StoredEvent,
  type StoredLedgerEntry,
  type StoredObligation,
} from '../../../src/core/audit/verify-chain.js';

const V1 = 'annual-report@1';
const ID = '00000000-0000-4000-8000-000000000001';

type Step = [type: string, payload: Record<string, unknown>];
const STEPS: Step[] = [
  ['OBLIGATION_OPENED', { dueAt: '2025-11-14T17:00:00.000Z' }],
  ['START_IMPLEMENTATION', { planRef: '45/KH-SCT' }],
  ['SUBMIT_REPORT', { reportRef: '210/BC-SCT' }],
  ['AGGREGATE', {}],
];

/** A valid history: events chained from GENESIS_HASH, ledger positions from `firstPosition`. */
function history(id = ID, firstPosition = 1): StoredEvent[] {
  let prev = GENESIS_HASH;
  return STEPS.map(([type, payload], i) => {
    const fields = {
      obligationId: id,
      seq: i + 1,
      type,
      payload,
      actor: 'tester',
      reason: null,
      effectiveAt: `2025-0${i + 2}-01T03:00:00.000Z`,
      recordedAt: `2025-0${i + 2}-01T03:00:00.000Z`,
      machineVersion: V1,
      prevHash: prev,
    };
    const hash = eventHash(fields);
    prev = hash;
    return { ...fields, hash, ledgerPosition: firstPosition + i };
  });
}

/** The stored obligation its events reproduce. */
function obligationOf(events: StoredEvent[], id = ID): StoredObligation {
  const { state } = replay(events);
  return {
    id,
    stage: state!.stage,
    snapshot: JSON.parse(JSON.stringify(state!.snapshot)),
    version: events.length,
    machineVersion: V1,
  };
}

/** Re-chains events after an edit, as a careful tamperer would. */
function rechain(events: StoredEvent[]): StoredEvent[] {
  let prev = GENESIS_HASH;
  return events.map((e) => {
    const fields = { ...e, prevHash: prev };
    const hash = eventHash(fields);
    prev = hash;
    return { ...fields, hash };
  });
}

function ledgerOf(events: StoredEvent[]): StoredLedgerEntry[] {
  let prev = GENESIS_HASH;
  return events.map((e, i) => {
    const position = i + 1;
    const hash = ledgerHash(position, e.hash, prev);
    const entry: StoredLedgerEntry = {
      position,
      obligationId: e.obligationId,
      seq: e.seq,
      eventHash: e.hash,
      prevHash: prev,
      hash,
      event: { obligationId: e.obligationId, seq: e.seq, hash: e.hash },
      obligationLastSeq: null,
    };
    prev = hash;
    return entry;
  });
}

function runLedger(entries: StoredLedgerEntry[], anchors = new LedgerChainCheck()) {
  const problems: AuditProblem[] = [];
  for (const e of entries) problems.push(...anchors.push(e));
  problems.push(...anchors.finish());
  return problems;
}

const kinds = (problems: AuditProblem[]) => problems.map((p) => [p.kind, p.obligationId, p.seq]);

describe('verifying one obligation', () => {
  it('a valid history has no problems', () => {
    const events = history();
    expect(verifyObligation(obligationOf(events), events)).toEqual([]);
  });

  it('one changed byte of a payload is a HASH_MISMATCH at that event only (and a replay mismatch)', () => {
    const events = history();
    const stored = obligationOf(events);
    events[1] = { ...events[1]!, payload: { planRef: '46/KH-SCT' } };
    expect(kinds(verifyObligation(stored, events))).toEqual([
      ['HASH_MISMATCH', ID, 2],
      ['REPLAY_MISMATCH', ID, 4],
    ]);
    expect(verifyObligation(stored, events)[1]!.detail).toContain('planRef');
  });

  it('a deleted middle event is a SEQUENCE_GAP and breaks the chain and the replay', () => {
    const events = history();
    const stored = obligationOf(events);
    const gapped = [events[0]!, events[2]!, events[3]!];
    const problems = verifyObligation(stored, gapped);
    expect(kinds(problems)).toEqual([
      ['SEQUENCE_GAP', ID, 3],
      ['HASH_MISMATCH', ID, 3],
      ['REPLAY_MISMATCH', ID, 3],
    ]);
    expect(problems[0]!.detail).toBe('seq 3 follows seq 1: seq 2 is missing');
  });

  it('two swapped events are named at both seqs', () => {
    const events = history();
    const stored = obligationOf(events);
    const swapped = [events[0]!, { ...events[2]!, seq: 2 }, { ...events[1]!, seq: 3 }, events[3]!];
    const problems = verifyObligation(stored, swapped);
    expect(problems.filter((p) => p.kind === 'HASH_MISMATCH').map((p) => p.seq)).toEqual([2, 3, 4]);
    expect(problems.find((p) => p.kind === 'REPLAY_MISMATCH')).toMatchObject({ seq: 2 });
  });

  it('an edited snapshot is a REPLAY_MISMATCH at the last seq', () => {
    const events = history();
    const stored = obligationOf(events);
    const edited = { ...stored, snapshot: { ...stored.snapshot, value: 'reported_to_ubnd' } };
    const problems = verifyObligation(edited, events);
    expect(kinds(problems)).toEqual([['REPLAY_MISMATCH', ID, 4]]);
  });

  it('a stored version past the last event is a REPLAY_MISMATCH (the tail is gone)', () => {
    const events = history();
    const stored = obligationOf(events);
    const problems = verifyObligation(stored, events.slice(0, 3));
    expect(kinds(problems)).toEqual([['REPLAY_MISMATCH', ID, 3]]);
    expect(problems[0]!.detail).toContain('version: stored 4, the history ends at seq 3');
  });

  it('an event that does not replay is a REPLAY_MISMATCH at that event', () => {
    const events = rechain([...history().slice(0, 2), { ...history()[3]!, seq: 3 }]);
    const stored = { ...obligationOf(history()), version: 3 };
    expect(kinds(verifyObligation(stored, events))).toEqual([['REPLAY_MISMATCH', ID, 3]]);
  });

  it('an event with a recomputed chain but no ledger entry is a LEDGER_MISMATCH', () => {
    const events = history();
    const extra = rechain([
      ...events,
      {
        ...events[3]!,
        seq: 5,
        type: 'REPORT_TO_UBND',
        payload: { consolidatedReportRef: '300/BC' },
        ledgerPosition: null,
      },
    ]);
    const problems = verifyObligation(obligationOf(extra), extra);
    expect(kinds(problems)).toEqual([['LEDGER_MISMATCH', ID, 5]]);
  });

  it('checks sequence and chain separately', () => {
    expect(checkSequence(ID, [])).toEqual([]);
    const events = history();
    expect(checkHashChain(ID, [{ ...events[0]!, prevHash: 'f'.repeat(64) }])).toMatchObject([
      { kind: 'HASH_MISMATCH', seq: 1 },
    ]);
  });
});

describe('comparing a snapshot with the replayed one', () => {
  it('ignores key order and undefined members, nothing else', () => {
    expect(sameJson({ a: 1, b: [1, { c: null }] }, { b: [1, { c: null }], a: 1 })).toBe(true);
    expect(sameJson({ a: 1, u: undefined }, { a: 1 })).toBe(true);
    expect(sameJson({ a: 1 }, { a: '1' })).toBe(false);
    expect(sameJson({ a: null }, {})).toBe(false);
    expect(sameJson([1, 2], [2, 1])).toBe(false);
    expect(sameJson([], {})).toBe(false);
    expect(sameJson('Ế', 'Ế'.normalize('NFD'))).toBe(false);
  });
});

describe('verifying the ledger', () => {
  const events = [...history('a'), ...history('b')];
  const entries = ledgerOf(events);

  it('a valid ledger has no problems', () => {
    const check = new LedgerChainCheck();
    expect(runLedger(entries, check)).toEqual([]);
    expect(check.entries).toBe(8);
    expect(check.head).toEqual({ position: 8, hash: entries[7]!.hash });
  });

  it("an entry whose event is gone is MISSING_TAIL when it was the obligation's newest", () => {
    const changed = entries.map((e) =>
      e.position === 8 ? { ...e, event: null, obligationLastSeq: 3 } : e,
    );
    expect(kinds(runLedger(changed))).toEqual([['MISSING_TAIL', 'b', 4]]);
  });

  it('an entry whose event is gone from the middle is a LEDGER_MISMATCH', () => {
    const changed = entries.map((e) =>
      e.position === 6 ? { ...e, event: null, obligationLastSeq: 4 } : e,
    );
    expect(kinds(runLedger(changed))).toEqual([['LEDGER_MISMATCH', 'b', 2]]);
  });

  it('a deleted entry, a broken link or a different event hash is a LEDGER_MISMATCH', () => {
    expect(kinds(runLedger(entries.filter((e) => e.position !== 3)))).toEqual([
      ['LEDGER_MISMATCH', 'a', 4],
    ]);
    const relinked = entries.map((e) => (e.position === 5 ? { ...e, prevHash: GENESIS_HASH } : e));
    expect(kinds(runLedger(relinked))).toEqual([['LEDGER_MISMATCH', 'b', 1]]);
    const rehashed = entries.map((e) =>
      e.position === 2 ? { ...e, event: { ...e.event!, hash: 'e'.repeat(64) } } : e,
    );
    expect(runLedger(rehashed)).toMatchObject([
      {
        kind: 'LEDGER_MISMATCH',
        obligationId: 'a',
        seq: 2,
        detail: expect.stringContaining("the event's hash"),
      },
    ]);
  });

  it('checks anchors: a match passes, a different hash mismatches, one past the end is a rollback', () => {
    const at = (position: number, hash = entries[position - 1]!.hash) => ({
      position,
      hash,
      label: `checkpoint ${position}`,
    });
    expect(runLedger(entries, new LedgerChainCheck([at(4), at(8), at(0, GENESIS_HASH)]))).toEqual(
      [],
    );
    expect(kinds(runLedger(entries, new LedgerChainCheck([at(5, 'a'.repeat(64))])))).toEqual([
      ['LEDGER_MISMATCH', 'b', 1],
    ]);
    const rolledBack = runLedger(entries.slice(0, 6), new LedgerChainCheck([at(8)]));
    expect(kinds(rolledBack)).toEqual([['MISSING_TAIL', null, null]]);
    expect(rolledBack[0]!.detail).toMatch(/^database is older than checkpoint 8/);
  });
});
