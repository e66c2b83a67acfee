/** The pure migration verdict (src/migration/migration-verdict.ts), v1 ⇄ v2. */
import { describe, expect, it } from '@jest/globals';
import { replay, type ReplayEvent } from '../../../src/core/audit/replay.js';
import type { PersistedSnapshot } from '../../../src/core/machine/obligation-engine.js';
import {
  isKnownMachineRef,
  judgeMigration,
  knownMachineRefs,
  stagesOf,
} from '../../../src/migration/migration-verdict.js';

const V1 = 'annual-report@1';
const V2 = 'annual-report@2';
const DUE = '2025-11-14T17:00:00.000Z';

const PAYLOADS: Record<string, Record<string, unknown>> = {
  OBLIGATION_OPENED: { dueAt: DUE },
  START_IMPLEMENTATION: { planRef: '12/KH' },
  SUBMIT_REPORT: { reportRef: '34/BC' },
  RETURN_REPORT: { reason: 'Thiếu số liệu' },
  EXTEND_DEADLINE: { newDueDate: '2025-11-30', basis: 'CV 1', dueAt: '2025-11-30T16:59:59.999Z' },
  REMIND: { level: 1 },
  REPORT_TO_UBND: { consolidatedReportRef: '9/BC' },
  WITHDRAW: { basis: 'QĐ 2' },
};

/** A recorded history: each type under `version` (OBLIGATION_OPENED first). */
function history(version: string, types: string[]): ReplayEvent[] {
  return ['OBLIGATION_OPENED', ...types].map((type, i) => {
    const at = new Date(Date.UTC(2025, 5, 1, 3, i)).toISOString();
    return {
      seq: i + 1,
      type,
      payload: PAYLOADS[type] ?? {},
      actor: 'test',
      effectiveAt: at,
      recordedAt: at,
      machineVersion: version,
    };
  });
}

/** The stored snapshot of a history: its replay under its own versions. */
function snapshotOf(events: ReplayEvent[]): PersistedSnapshot {
  return replay(events).state!.snapshot;
}

function judge(version: string, types: string[], to: string) {
  const events = history(version, types);
  return judgeMigration({ events, snapshot: snapshotOf(events), to });
}

describe('migration verdicts', () => {
  it('knows both versions', () => {
    expect(knownMachineRefs()).toEqual([V1, V2]);
    expect(isKnownMachineRef(V2)).toBe(true);
    expect(isKnownMachineRef('annual-report@3')).toBe(false);
    expect(stagesOf(V2)).toContain('report_verified');
    expect(stagesOf(V1)).not.toContain('report_verified');
  });

  it.each([
    ['plan_drafted', ['REMIND']],
    ['implementing', ['START_IMPLEMENTATION', 'EXTEND_DEADLINE']],
    ['report_submitted', ['START_IMPLEMENTATION', 'SUBMIT_REPORT']],
    [
      'report_submitted',
      ['START_IMPLEMENTATION', 'SUBMIT_REPORT', 'RETURN_REPORT', 'SUBMIT_REPORT'],
    ],
  ])('v1 → v2: %s (%j) is unchanged', (stage, types) => {
    const v = judge(V1, types, V2);
    expect(v).toEqual({ verdict: 'unchanged', stageAfter: stage, reason: null, failedSeq: null });
  });

  it('v1 → v2: aggregated is invalid, naming the AGGREGATE that v2 refuses', () => {
    const v = judge(V1, ['START_IMPLEMENTATION', 'SUBMIT_REPORT', 'AGGREGATE'], V2);
    expect(v).toEqual({
      verdict: 'invalid',
      stageAfter: null,
      failedSeq: 4,
      reason: `event 4 (AGGREGATE) is not accepted in stage report_submitted under ${V2}`,
    });
  });

  it('v2 → v1: report_verified does not exist in v1', () => {
    const v = judge(V2, ['START_IMPLEMENTATION', 'SUBMIT_REPORT', 'VERIFY_REPORT'], V1);
    expect(v).toMatchObject({
      verdict: 'invalid',
      failedSeq: null,
      reason: `stage report_verified does not exist in ${V1}`,
    });
  });

  it('v2 → v1: a report returned after verification fails at VERIFY_REPORT', () => {
    const types = ['START_IMPLEMENTATION', 'SUBMIT_REPORT', 'VERIFY_REPORT', 'RETURN_REPORT'];
    const v = judge(V2, types, V1);
    expect(v).toMatchObject({ verdict: 'invalid', failedSeq: 4 });
    expect(v.reason).toMatch(/VERIFY_REPORT/);
  });

  it('v2 → v1: report_submitted without verification is unchanged', () => {
    expect(judge(V2, ['START_IMPLEMENTATION', 'SUBMIT_REPORT'], V1).verdict).toBe('unchanged');
  });

  it('a history already migrated once is judged on all its events', () => {
    const events = history(V1, ['START_IMPLEMENTATION', 'SUBMIT_REPORT']);
    const at = '2025-06-01T04:00:00.000Z';
    const migrated = [
      ...events,
      {
        seq: 4,
        type: 'MIGRATED',
        payload: { from: V1, to: V2 },
        actor: 'admin',
        effectiveAt: at,
        recordedAt: at,
        machineVersion: V2,
      },
    ];
    const snapshot = snapshotOf(migrated);
    expect(judgeMigration({ events: migrated, snapshot, to: V1 }).verdict).toBe('unchanged');
  });

  it('changes-stage: every event replays but ends in another stage than the stored one', () => {
    const events = history(V1, ['START_IMPLEMENTATION', 'SUBMIT_REPORT']);
    const stored = snapshotOf(events);
    const v = judgeMigration({
      events,
      snapshot: { ...stored, value: 'implementing' },
      to: V2,
    });
    expect(v).toEqual({
      verdict: 'changes-stage',
      stageAfter: 'report_submitted',
      failedSeq: null,
      reason: `under ${V2} its events end in report_submitted, not implementing`,
    });
  });

  it('invalid when the events give another context than the stored one', () => {
    const events = history(V1, ['START_IMPLEMENTATION']);
    const stored = snapshotOf(events);
    const v = judgeMigration({
      events,
      snapshot: { ...stored, context: { ...stored.context, remindersSent: 7 } },
      to: V2,
    });
    expect(v).toMatchObject({
      verdict: 'invalid',
      reason: expect.stringContaining('remindersSent'),
    });
  });

  it('invalid when there are no events', () => {
    const snapshot = snapshotOf(history(V1, []));
    expect(judgeMigration({ events: [], snapshot, to: V2 })).toMatchObject({
      verdict: 'invalid',
      reason: 'the obligation has no events',
    });
  });
});
