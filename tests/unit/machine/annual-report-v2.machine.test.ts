import { describe, expect, it } from '@jest/globals';
import { replay, type ReplayEvent } from '../../../src/core/audit/replay.js';
import { isDone, statusOf } from '../../../src/core/deadline/obligation-status.js';
import { DomainError } from '../../../src/core/errors.js';
import { getMachine, knownMachines } from '../../../src/core/machine/machine-registry.js';
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
  STAGES,
  type EventType,
  type MachineEvent,
  type Stage,
} from '../../../src/core/machine/obligation-events.js';
import { eventDenial } from '../../../src/core/access/caller.js';
import { sampleEvent } from './sample-events.js';

const V1 = 'annual-report@1';
const V2 = 'annual-report@2';
const DUE = '2025-11-14T17:00:00.000Z';

/** A valid event of any type, VERIFY_REPORT included (sample-events predates it). */
function ev(type: EventType, effectiveAt?: string): MachineEvent {
  if (type === 'VERIFY_REPORT') {
    return {
      type,
      payload: {},
      effectiveAt: effectiveAt ?? '2025-06-01T03:00:00.000Z',
      actor: 'test',
    };
  }
  return sampleEvent(type, effectiveAt);
}

function run(ref: string, types: EventType[]): EngineState {
  let s = startObligation(ref, { dueAt: DUE });
  for (const t of types) s = applyEvent(ref, s.snapshot, ev(t));
  return s;
}

/** Every simple path of stage-changing events from the initial stage to a final stage. */
function enumeratePaths(ref: string): string[] {
  const paths: string[] = [];
  const walk = (state: EngineState, stages: Stage[]): void => {
    if (FINAL_STAGES.includes(state.stage)) {
      paths.push(stages.join(' > '));
      return;
    }
    for (const type of acceptedEvents(ref, state.snapshot)) {
      const next = applyEvent(ref, state.snapshot, ev(type));
      if (next.stage === state.stage || stages.includes(next.stage)) continue;
      walk(next, [...stages, next.stage]);
    }
  };
  const start = startObligation(ref, { dueAt: DUE });
  walk(start, [start.stage]);
  return paths.sort();
}

describe('annual-report machine v2', () => {
  it('is registered next to v1, both guard-free', () => {
    expect(knownMachines()).toEqual([
      { id: 'annual-report', version: 1 },
      { id: 'annual-report', version: 2 },
    ]);
    expect(getMachine(V1).guardFree).toBe(true);
    expect(getMachine(V2).guardFree).toBe(true);
    expect(getMachine(V1).machine).not.toBe(getMachine(V2).machine);
  });

  it('starts in plan_drafted with the same initial context as v1', () => {
    const s = startObligation(V2, { dueAt: DUE });
    expect(s.stage).toBe('plan_drafted');
    expect(s.context).toEqual(startObligation(V1, { dueAt: DUE }).context);
  });

  it('has exactly the expected simple paths to a final stage', () => {
    expect(enumeratePaths(V2)).toEqual(
      [
        'plan_drafted > implementing > report_submitted > report_verified > aggregated > reported_to_ubnd',
        'plan_drafted > implementing > report_submitted > report_verified > aggregated > withdrawn',
        'plan_drafted > implementing > report_submitted > report_verified > withdrawn',
        'plan_drafted > implementing > report_submitted > withdrawn',
        'plan_drafted > implementing > withdrawn',
        'plan_drafted > withdrawn',
      ].sort(),
    );
  });

  it('v1 still has its own paths (no report_verified)', () => {
    expect(enumeratePaths(V1).some((p) => p.includes('report_verified'))).toBe(false);
    expect(enumeratePaths(V1)).toContain(
      'plan_drafted > implementing > report_submitted > aggregated > reported_to_ubnd',
    );
  });

  const OPEN = ['EXTEND_DEADLINE', 'WITHDRAW', 'TRANSFER', 'REMIND', 'DEADLINE_PASSED', 'ESCALATE'];
  const HELD = ['RETURN_REPORT', 'EXTEND_DEADLINE', 'WITHDRAW', 'TRANSFER'];
  it.each([
    ['plan_drafted', ['START_IMPLEMENTATION', ...OPEN]],
    ['implementing', ['SUBMIT_REPORT', ...OPEN]],
    ['report_submitted', ['VERIFY_REPORT', ...HELD]],
    ['report_verified', ['AGGREGATE', ...HELD]],
    ['aggregated', ['REPORT_TO_UBND', 'WITHDRAW', 'TRANSFER']],
    ['reported_to_ubnd', []],
    ['withdrawn', []],
  ] as Array<[Stage, EventType[]]>)('stage %s accepts exactly %j', (stage, expected) => {
    const s = startObligation(V2, { dueAt: DUE });
    expect(acceptedEvents(V2, { value: stage, context: s.context }).sort()).toEqual(
      [...expected].sort(),
    );
  });

  it('memoises accepted events per version: report_submitted differs between v1 and v2', () => {
    const context = startObligation(V1, { dueAt: DUE }).context;
    const snapshot = { value: 'report_submitted' as Stage, context };
    for (let i = 0; i < 2; i++) {
      expect(acceptedEvents(V1, snapshot)).toContain('AGGREGATE');
      expect(acceptedEvents(V1, snapshot)).not.toContain('VERIFY_REPORT');
      expect(acceptedEvents(V2, snapshot)).toContain('VERIFY_REPORT');
      expect(acceptedEvents(V2, snapshot)).not.toContain('AGGREGATE');
    }
  });

  it('refuses AGGREGATE straight from report_submitted, naming VERIFY_REPORT as allowed', () => {
    const s = run(V2, ['START_IMPLEMENTATION', 'SUBMIT_REPORT']);
    try {
      applyEvent(V2, s.snapshot, ev('AGGREGATE'));
      throw new Error('expected a rejection');
    } catch (e) {
      expect(e).toBeInstanceOf(DomainError);
      const err = e as DomainError;
      expect(err.code).toBe('EVENT_NOT_ALLOWED');
      expect(err.details.stage).toBe('report_submitted');
      expect(err.details.allowedEvents).toContain('VERIFY_REPORT');
      expect(err.details.allowedEvents).not.toContain('AGGREGATE');
    }
  });

  it('refuses VERIFY_REPORT outside report_submitted (and v1 never accepts it)', () => {
    for (const types of [[], ['START_IMPLEMENTATION']] as EventType[][]) {
      const s = run(V2, types);
      expect(() => applyEvent(V2, s.snapshot, ev('VERIFY_REPORT'))).toThrow(/not allowed/);
    }
    const verified = run(V2, ['START_IMPLEMENTATION', 'SUBMIT_REPORT', 'VERIFY_REPORT']);
    expect(() => applyEvent(V2, verified.snapshot, ev('VERIFY_REPORT'))).toThrow(/not allowed/);
    const v1 = run(V1, ['START_IMPLEMENTATION', 'SUBMIT_REPORT']);
    expect(() => applyEvent(V1, v1.snapshot, ev('VERIFY_REPORT'))).toThrow(/not allowed/);
  });

  it('verify → aggregate → report: the whole happy path', () => {
    const s = run(V2, [
      'START_IMPLEMENTATION',
      'SUBMIT_REPORT',
      'VERIFY_REPORT',
      'AGGREGATE',
      'REPORT_TO_UBND',
    ]);
    expect(s.stage).toBe('reported_to_ubnd');
    expect(s.context.aggregatedAt).toBe('2025-06-01T03:00:00.000Z');
    expect(s.context.consolidatedReportRef).toBe('99/BC-SNNMT');
  });

  it('VERIFY_REPORT changes the stage only, not the context', () => {
    const submitted = run(V2, ['START_IMPLEMENTATION', 'SUBMIT_REPORT']);
    const verified = applyEvent(V2, submitted.snapshot, ev('VERIFY_REPORT'));
    expect(verified.stage).toBe('report_verified');
    expect(verified.context).toEqual(submitted.context);
  });

  it.each(['report_submitted', 'report_verified'])(
    'a report returned from %s goes back to implementing and can be resubmitted',
    (from) => {
      const toFrom: EventType[] =
        from === 'report_verified'
          ? ['START_IMPLEMENTATION', 'SUBMIT_REPORT', 'VERIFY_REPORT']
          : ['START_IMPLEMENTATION', 'SUBMIT_REPORT'];
      let s = run(V2, toFrom);
      expect(s.stage).toBe(from);
      s = applyEvent(V2, s.snapshot, ev('RETURN_REPORT'));
      expect(s.stage).toBe('implementing');
      expect(s.context).toMatchObject({
        returnCount: 1,
        lastReturnReason: 'Thiếu số liệu',
        submittedAt: null,
      });
      for (const t of ['SUBMIT_REPORT', 'VERIFY_REPORT', 'AGGREGATE'] as EventType[])
        s = applyEvent(V2, s.snapshot, ev(t));
      expect(s.stage).toBe('aggregated');
    },
  );

  it.each(['report_submitted', 'report_verified', 'aggregated'])(
    'an obligation in %s can be withdrawn',
    (stage) => {
      const path: EventType[] = ['START_IMPLEMENTATION', 'SUBMIT_REPORT'];
      if (stage !== 'report_submitted') path.push('VERIFY_REPORT');
      if (stage === 'aggregated') path.push('AGGREGATE');
      const s = run(V2, path);
      expect(s.stage).toBe(stage);
      const w = applyEvent(V2, s.snapshot, ev('WITHDRAW'));
      expect(w.stage).toBe('withdrawn');
      expect(w.context.withdrawnBasis).toBe('Quyết định 2/QĐ-UBND');
    },
  );

  it('extends the deadline in report_verified; reminders are not accepted there', () => {
    const s = run(V2, ['START_IMPLEMENTATION', 'SUBMIT_REPORT', 'VERIFY_REPORT']);
    const ext = { ...ev('EXTEND_DEADLINE'), dueAt: '2025-11-30T17:00:00.000Z' } as MachineEvent;
    const e = applyEvent(V2, s.snapshot, ext);
    expect(e.stage).toBe('report_verified');
    expect(e.context.dueAt).toBe('2025-11-30T17:00:00.000Z');
    expect(() => applyEvent(V2, s.snapshot, ev('REMIND'))).toThrow(/not allowed/);
  });

  it('for any event sequence v1 accepts and v2 accepts too, both give the same context', () => {
    const script: EventType[] = [
      'REMIND',
      'ESCALATE',
      'START_IMPLEMENTATION',
      'DEADLINE_PASSED',
      'SUBMIT_REPORT',
      'RETURN_REPORT',
      'SUBMIT_REPORT',
      'EXTEND_DEADLINE',
      'TRANSFER',
    ];
    expect(run(V2, script).snapshot).toEqual(run(V1, script).snapshot);
  });

  describe('persist → restore → continue, from every wait state and with every accepted event', () => {
    const waits: Array<[Stage, EventType[]]> = [
      ['plan_drafted', []],
      ['implementing', ['START_IMPLEMENTATION']],
      ['report_submitted', ['START_IMPLEMENTATION', 'SUBMIT_REPORT']],
      ['report_verified', ['START_IMPLEMENTATION', 'SUBMIT_REPORT', 'VERIFY_REPORT']],
      ['aggregated', ['START_IMPLEMENTATION', 'SUBMIT_REPORT', 'VERIFY_REPORT', 'AGGREGATE']],
    ];
    const rest: EventType[] = [
      'START_IMPLEMENTATION',
      'SUBMIT_REPORT',
      'VERIFY_REPORT',
      'AGGREGATE',
      'REPORT_TO_UBND',
    ];
    it.each(waits)('%s', (stage, path) => {
      const live = run(V2, path);
      expect(live.stage).toBe(stage);
      const restored = JSON.parse(JSON.stringify(live.snapshot));
      expect(restored).toEqual(live.snapshot);
      // Every event this stage accepts gives the same result from the live and restored snapshot.
      for (const t of acceptedEvents(V2, restored)) {
        const e = { ...ev(t), dueAt: t === 'EXTEND_DEADLINE' ? DUE : undefined } as MachineEvent;
        expect(applyEvent(V2, restored, e).snapshot).toEqual(
          applyEvent(V2, live.snapshot, e).snapshot,
        );
      }
      // And the rest of the happy path runs to the end from the restored snapshot.
      let a = live;
      let b = { ...live, snapshot: restored };
      for (const t of rest.slice(path.length)) {
        a = applyEvent(V2, a.snapshot, ev(t));
        b = applyEvent(V2, b.snapshot, ev(t));
        expect(b.snapshot).toEqual(a.snapshot);
      }
      expect(b.stage).toBe('reported_to_ubnd');
    });
  });

  it('VERIFY_REPORT takes an empty payload, is sent by the aggregator only', () => {
    expect(parseEventPayload('VERIFY_REPORT', undefined)).toEqual({
      type: 'VERIFY_REPORT',
      payload: {},
    });
    expect(() => parseEventPayload('VERIFY_REPORT', { note: 'x' })).toThrow(/VERIFY_REPORT/);
    const aggregator = { name: 'a', role: 'aggregator', agencyCode: null, system: false } as const;
    const officer = { name: 'o', role: 'officer', agencyCode: 'SO_X', system: false } as const;
    const admin = { name: 'ad', role: 'admin', agencyCode: null, system: false } as const;
    expect(eventDenial(aggregator, 'SO_X', 'VERIFY_REPORT')).toBeNull();
    expect(eventDenial(officer, 'SO_X', 'VERIFY_REPORT')).toMatch(/aggregator/);
    expect(eventDenial(admin, 'SO_X', 'VERIFY_REPORT')).toMatch(/aggregator/);
  });

  it('report_verified is a stage of its own, counted as done (hoàn thành)', () => {
    expect(STAGES).toContain('report_verified');
    expect(isDone('report_verified')).toBe(true);
    const s = run(V2, ['START_IMPLEMENTATION', 'SUBMIT_REPORT', 'VERIFY_REPORT']);
    const due = Date.parse(DUE);
    expect(statusOf('report_verified', s.context, due, due + 1)).toBe('DONE_ON_TIME');
  });

  it('describes its stages and transitions as JSON', () => {
    const d = describeMachine(V2);
    expect(d).toMatchObject({ id: 'annual-report', version: 2, ref: V2, initial: 'plan_drafted' });
    expect(d.stages.map((s) => s.name)).toEqual([
      'plan_drafted',
      'implementing',
      'report_submitted',
      'report_verified',
      'aggregated',
      'reported_to_ubnd',
      'withdrawn',
    ]);
    const submitted = d.stages.find((s) => s.name === 'report_submitted');
    expect(submitted?.on).toContainEqual({ event: 'VERIFY_REPORT', target: 'report_verified' });
    expect(submitted?.on.map((o) => o.event)).not.toContain('AGGREGATE');
    const verified = d.stages.find((s) => s.name === 'report_verified');
    expect(verified?.on).toContainEqual({ event: 'AGGREGATE', target: 'aggregated' });
    expect(verified?.on).toContainEqual({ event: 'RETURN_REPORT', target: 'implementing' });
  });
});

describe('replay across versions', () => {
  let seq = 0;
  const e = (
    type: string,
    machineVersion: string,
    payload: Record<string, unknown> = {},
  ): ReplayEvent => {
    seq += 1;
    const at = new Date(Date.UTC(2025, 5, 1, 3, seq)).toISOString();
    return { seq, type, payload, actor: 'test', effectiveAt: at, recordedAt: at, machineVersion };
  };
  const opened = (v: string) => e('OBLIGATION_OPENED', v, { dueAt: DUE });

  it('replays an old v1 history (AGGREGATE straight from report_submitted) under v1', () => {
    seq = 0;
    const events = [
      opened(V1),
      e('START_IMPLEMENTATION', V1, { planRef: 'KH' }),
      e('SUBMIT_REPORT', V1, { reportRef: 'BC' }),
      e('AGGREGATE', V1),
      e('REPORT_TO_UBND', V1, { consolidatedReportRef: 'BC-TH' }),
    ];
    const r = replay(events);
    expect(r.state?.stage).toBe('reported_to_ubnd');
    expect(r.machineVersion).toBe(V1);
    expect(r.eventsApplied).toBe(5);
    // The same events read as v2 do not replay: each event's own version matters.
    expect(() => replay(events.map((x) => ({ ...x, machineVersion: V2 })))).toThrow(
      /event 4 \(AGGREGATE\)/,
    );
  });

  it('a history migrated midway uses v1 before MIGRATED and v2 after it', () => {
    seq = 0;
    const events = [
      opened(V1),
      e('START_IMPLEMENTATION', V1, { planRef: 'KH' }),
      e('SUBMIT_REPORT', V1, { reportRef: 'BC' }),
      e('MIGRATED', V2, { from: V1, to: V2 }),
      e('VERIFY_REPORT', V2),
      e('AGGREGATE', V2),
    ];
    const r = replay(events);
    expect(r.machineVersion).toBe(V2);
    expect(r.state?.stage).toBe('aggregated');
    expect(r.state?.context.reportRef).toBe('BC');
  });
});
