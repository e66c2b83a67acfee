import { describe, expect, it } from '@jest/globals';
import {
  acceptedEvents,
  applyEvent,
  describeMachine,
  parseEventPayload,
  startObligation,
  type EngineState,
} from '../../../src/core/machine/obligation-engine.js';
import {
  FINAL_STAGES,
  type EventType,
  type MachineEvent,
  type Stage,
} from '../../../src/core/machine/obligation-events.js';
import { DomainError, ValidationError } from '../../../src/core/errors.js';
import { sampleEvent } from './sample-events.js';

const REF = 'annual-report@1';
const DUE = '2025-11-14T17:00:00.000Z';

/** Every simple path of stage-changing events from the initial stage to a final stage. */
function enumeratePaths(): Array<{ events: EventType[]; stages: Stage[] }> {
  const paths: Array<{ events: EventType[]; stages: Stage[] }> = [];
  const walk = (state: EngineState, events: EventType[], stages: Stage[]): void => {
    if (FINAL_STAGES.includes(state.stage)) {
      paths.push({ events, stages });
      return;
    }
    for (const type of acceptedEvents(REF, state.snapshot)) {
      const next = applyEvent(REF, state.snapshot, sampleEvent(type));
      if (next.stage === state.stage || stages.includes(next.stage)) continue;
      walk(next, [...events, type], [...stages, next.stage]);
    }
  };
  const start = startObligation(REF, { dueAt: DUE });
  walk(start, [], [start.stage]);
  return paths;
}

describe('annual-report machine v1', () => {
  it('starts in plan_drafted with the due instant in context', () => {
    const s = startObligation(REF, { dueAt: DUE });
    expect(s.stage).toBe('plan_drafted');
    expect(s.context.dueAt).toBe(DUE);
    expect(s.context.escalationLevel).toBe(0);
  });

  it('has exactly the expected simple paths to a final stage', () => {
    const paths = enumeratePaths().map((p) => p.stages.join(' > '));
    expect(paths.sort()).toEqual(
      [
        'plan_drafted > implementing > report_submitted > aggregated > reported_to_ubnd',
        'plan_drafted > implementing > report_submitted > aggregated > withdrawn',
        'plan_drafted > implementing > report_submitted > withdrawn',
        'plan_drafted > implementing > withdrawn',
        'plan_drafted > withdrawn',
      ].sort(),
    );
  });

  it.each([
    [
      'plan_drafted',
      [
        'START_IMPLEMENTATION',
        'EXTEND_DEADLINE',
        'WITHDRAW',
        'TRANSFER',
        'REMIND',
        'DEADLINE_PASSED',
        'ESCALATE',
      ],
    ],
    [
      'implementing',
      [
        'SUBMIT_REPORT',
        'EXTEND_DEADLINE',
        'WITHDRAW',
        'TRANSFER',
        'REMIND',
        'DEADLINE_PASSED',
        'ESCALATE',
      ],
    ],
    ['report_submitted', ['RETURN_REPORT', 'AGGREGATE', 'EXTEND_DEADLINE', 'WITHDRAW', 'TRANSFER']],
    ['aggregated', ['REPORT_TO_UBND', 'WITHDRAW', 'TRANSFER']],
    ['reported_to_ubnd', []],
    ['withdrawn', []],
  ] as Array<[Stage, EventType[]]>)('stage %s accepts exactly %j', (stage, expected) => {
    const s = startObligation(REF, { dueAt: DUE });
    const snapshot = { value: stage, context: s.context };
    expect(acceptedEvents(REF, snapshot).sort()).toEqual([...expected].sort());
  });

  it('a returned report goes back to implementing and counts the return', () => {
    let s = startObligation(REF, { dueAt: DUE });
    for (const t of ['START_IMPLEMENTATION', 'SUBMIT_REPORT', 'RETURN_REPORT'] as EventType[]) {
      s = applyEvent(REF, s.snapshot, sampleEvent(t));
    }
    expect(s.stage).toBe('implementing');
    expect(s.context.returnCount).toBe(1);
    expect(s.context.lastReturnReason).toBe('Thiếu số liệu');
    expect(s.context.submittedAt).toBeNull();
  });

  it('rejects an event the stage does not accept, naming the stage and the allowed events', () => {
    const s = startObligation(REF, { dueAt: DUE });
    try {
      applyEvent(REF, s.snapshot, sampleEvent('AGGREGATE'));
      throw new Error('expected a rejection');
    } catch (e) {
      expect(e).toBeInstanceOf(DomainError);
      const err = e as DomainError;
      expect(err.code).toBe('EVENT_NOT_ALLOWED');
      expect(err.details.stage).toBe('plan_drafted');
      expect(err.details.allowedEvents).toContain('START_IMPLEMENTATION');
    }
  });

  it('escalation never lowers the level and extension replaces the due instant', () => {
    let s = startObligation(REF, { dueAt: DUE });
    s = applyEvent(REF, s.snapshot, sampleEvent('ESCALATE'));
    s = applyEvent(REF, s.snapshot, sampleEvent('DEADLINE_PASSED'));
    expect(s.context.escalationLevel).toBe(2);
    const ext = { ...sampleEvent('EXTEND_DEADLINE'), dueAt: '2025-11-30T17:00:00.000Z' };
    s = applyEvent(REF, s.snapshot, ext);
    expect(s.context.dueAt).toBe('2025-11-30T17:00:00.000Z');
    expect(s.context.extensions).toHaveLength(1);
  });

  it('TRANSFER keeps the stage and appends to a transfers list that is absent until then', () => {
    let s = startObligation(REF, { dueAt: DUE });
    expect('transfers' in s.context).toBe(false);
    s = applyEvent(REF, s.snapshot, sampleEvent('START_IMPLEMENTATION'));
    const before = JSON.parse(JSON.stringify(s.snapshot));
    s = applyEvent(REF, s.snapshot, {
      ...sampleEvent('TRANSFER', '2025-03-01T00:00:00.000+07:00'),
      fromAgency: 'SO_NNPTNT',
    } as MachineEvent);
    expect(s.stage).toBe('implementing');
    expect(s.context.transfers).toEqual([
      {
        from: 'SO_NNPTNT',
        to: 'SO_NNMT',
        basis: 'Nghị định 45/2025/NĐ-CP',
        at: '2025-03-01T00:00:00.000+07:00',
      },
    ]);
    // Everything else in the context is as before.
    const { transfers: _t, ...rest } = s.context;
    expect(rest).toEqual(before.context);
    const reported = ['SUBMIT_REPORT', 'AGGREGATE', 'REPORT_TO_UBND'] as EventType[];
    for (const t of reported) s = applyEvent(REF, s.snapshot, sampleEvent(t));
    expect(() => applyEvent(REF, s.snapshot, sampleEvent('TRANSFER'))).toThrow(
      'TRANSFER is not allowed in stage reported_to_ubnd',
    );
  });

  it('TRANSFER needs an agency code and a basis, nothing else', () => {
    expect(parseEventPayload('TRANSFER', { toAgency: 'SO_NNMT', basis: ' NĐ 45 ' })).toEqual({
      type: 'TRANSFER',
      payload: { toAgency: 'SO_NNMT', basis: 'NĐ 45' },
    });
    for (const bad of [
      { basis: 'x' },
      { toAgency: 'so_nnmt', basis: 'x' },
      { toAgency: 'SO_NNMT' },
      { toAgency: 'SO_NNMT', basis: 'x', fromAgency: 'SO_NNPTNT' },
    ]) {
      expect(() => parseEventPayload('TRANSFER', bad)).toThrow(ValidationError);
    }
  });

  it('the persisted snapshot is plain JSON that survives a round trip', () => {
    let s = startObligation(REF, { dueAt: DUE });
    s = applyEvent(REF, s.snapshot, sampleEvent('START_IMPLEMENTATION'));
    const stored = JSON.parse(JSON.stringify(s.snapshot));
    expect(stored).toEqual(s.snapshot);
  });

  describe('persist → restore → continue, at every stage', () => {
    const script: EventType[] = [
      'START_IMPLEMENTATION',
      'SUBMIT_REPORT',
      'AGGREGATE',
      'REPORT_TO_UBND',
    ];
    it.each(script.map((_, i) => i))(
      'after %i events the restored snapshot continues identically',
      (n) => {
        let live = startObligation(REF, { dueAt: DUE });
        for (const t of script.slice(0, n)) live = applyEvent(REF, live.snapshot, sampleEvent(t));
        const restored = JSON.parse(JSON.stringify(live.snapshot));
        let a = live;
        let b = { ...live, snapshot: restored };
        for (const t of script.slice(n)) {
          a = applyEvent(REF, a.snapshot, sampleEvent(t));
          b = applyEvent(REF, b.snapshot, sampleEvent(t));
          expect(b.snapshot).toEqual(a.snapshot);
        }
        expect(b.stage).toBe('reported_to_ubnd');
      },
    );
  });

  describe('payload validation', () => {
    it('names the missing field', () => {
      expect(() => parseEventPayload('SUBMIT_REPORT', {})).toThrow(ValidationError);
      try {
        parseEventPayload('SUBMIT_REPORT', { summary: 'x' });
      } catch (e) {
        expect((e as ValidationError).fields[0]?.path).toBe('payload.reportRef');
      }
    });
    it('rejects unknown payload fields and unknown types', () => {
      expect(() => parseEventPayload('AGGREGATE', { extra: 1 })).toThrow(/AGGREGATE/);
      expect(() => parseEventPayload('FLY', {})).toThrow(/Unknown event type/);
    });
    it('rejects an impossible civil date', () => {
      expect(() =>
        parseEventPayload('EXTEND_DEADLINE', { newDueDate: '2025-02-30', basis: 'x' }),
      ).toThrow(/real calendar date/);
    });
  });

  it('describes its stages and transitions as JSON', () => {
    const d = describeMachine(REF);
    expect(d.initial).toBe('plan_drafted');
    expect(d.stages.map((s) => s.name)).toEqual([
      'plan_drafted',
      'implementing',
      'report_submitted',
      'aggregated',
      'reported_to_ubnd',
      'withdrawn',
    ]);
    const drafted = d.stages.find((s) => s.name === 'plan_drafted');
    expect(drafted?.on).toContainEqual({ event: 'START_IMPLEMENTATION', target: 'implementing' });
  });
});
