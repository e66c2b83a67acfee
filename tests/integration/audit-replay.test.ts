/**
 * Bitemporal replay (Given/When/Then), on every database: a year with a paper report recorded
 * late by the aggregator, an extension and the scheduler's reminders and escalations; then the
 * state of an obligation and of the whole roster as of chosen instants, and as the system knew
 * it at chosen instants.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { ReplayQueryService, type AsOf } from '../../src/audit/replay-query.service.js';
import { CycleStatsService } from '../../src/cycles/cycle-stats.service.js';
import { CycleService } from '../../src/cycles/cycle.service.js';
import { DomainError } from '../../src/core/errors.js';
import { CommandService } from '../../src/obligations/command.service.js';
import { SweepService } from '../../src/timers/sweep.service.js';
import { admin, aggregator, auditor, officerOf } from '../support/callers.js';
import { describeEachDatabase } from '../support/databases.js';
import { loginAll, seedUsers, type TestUsername } from '../support/http-auth.js';
import { createTestHttpApp, type TestHarness } from '../support/test-app.js';

const PLAN = 'thanh-hoa-nq46';
/** Deadline of 2025: end of 14/11 in Hà Nội (15/11 00:00 ICT). */
const DUE = '2025-11-14T17:00:00.000Z';
/** Sở Tư pháp's paper report: received 12/11 09:00 ICT, recorded the next day. */
const TP_RECEIVED = '2025-11-12T02:00:00.000Z';
const TP_RECORDED = '2025-11-13T03:00:00.000Z';
/** Sở Công Thương's paper report: received 24/11 08:00 ICT, recorded two days later. */
const CT_RECEIVED = '2025-11-24T01:00:00.000Z';
const CT_RECORDED = '2025-11-26T03:00:00.000Z';

describeEachDatabase('bitemporal replay', (dialect) => {
  let h: TestHarness<NestExpressApplication>;
  let http: ReturnType<typeof request>;
  let tok: Record<TestUsername, string>;
  let ids: Record<string, string>;

  const as = (user: TestUsername) => ({
    get: (url: string) => http.get(url).set('Authorization', `Bearer ${tok[user]}`),
  });
  const state = (code: string, asOf: AsOf) =>
    h.app.get(ReplayQueryService).stateAt(ids[code]!, asOf, auditor);
  const setClock = (iso: string) => h.clock.set(new Date(iso));
  const sweepAt = (iso: string) => {
    setClock(iso);
    return h.app.get(SweepService).sweep();
  };

  beforeAll(async () => {
    h = await createTestHttpApp(dialect);
    http = request(h.app.getHttpServer());
    await seedUsers(h.app);
    // 1/6: the cycle opens (its obligations exist from 1/1 00:00 ICT).
    const opened = await h.app.get(CycleService).open(PLAN, 2025, admin);
    ids = Object.fromEntries(opened.obligations.map((o) => [o.agencyCode, o.id]));
    const cmd = h.app.get(CommandService);
    // 10/6: two agencies start.
    setClock('2025-06-10T02:00:00.000Z');
    for (const code of ['SO_CONGTHUONG', 'SO_TUPHAP']) {
      await cmd.execute({
        obligationId: ids[code]!,
        type: 'START_IMPLEMENTATION',
        payload: { planRef: `KH-${code}` },
        caller: officerOf(code),
      });
    }
    // 16/10 00:00 ICT: the first reminder for everyone.
    // 53: the 2025 roster (Đông Sơn merged into the city on 01/01/2025).
    expect(await sweepAt('2025-10-15T17:00:00.000Z')).toHaveLength(53);
    // 1/11: Sở Y tế gets an extension to 30/11.
    setClock('2025-11-01T03:00:00.000Z');
    await cmd.execute({
      obligationId: ids.SO_YTE!,
      type: 'EXTEND_DEADLINE',
      payload: { newDueDate: '2025-11-30', basis: 'Công văn 123/SNN-KH' },
      caller: aggregator,
    });
    // 13/11: the aggregator records Sở Tư pháp's paper report received on 12/11.
    setClock(TP_RECORDED);
    await cmd.execute({
      obligationId: ids.SO_TUPHAP!,
      type: 'SUBMIT_REPORT',
      payload: { reportRef: '88/BC-STP', summary: 'Báo cáo giấy, đã đóng dấu' },
      effectiveAt: TP_RECEIVED,
      reason: 'Báo cáo bản giấy, số đến 456 ngày 12/11/2025',
      caller: aggregator,
    });
    // 15/11 00:00 ICT: the deadline passes (level 1); 22/11: directed agencies reach level 2.
    await sweepAt(DUE);
    await sweepAt('2025-11-21T17:00:00.000Z');
    // 26/11: Sở Công Thương's paper report of 24/11 is recorded.
    setClock(CT_RECORDED);
    await cmd.execute({
      obligationId: ids.SO_CONGTHUONG!,
      type: 'SUBMIT_REPORT',
      payload: { reportRef: '301/BC-SCT' },
      effectiveAt: CT_RECEIVED,
      reason: 'Báo cáo bản giấy nhận ngày 24/11/2025',
      caller: aggregator,
    });
    setClock('2025-12-01T03:00:00.000Z');
    tok = await loginAll(http); // the tokens of 1/6 have expired by now
  });
  afterAll(async () => h?.close());

  describe('one obligation as of an effective time', () => {
    it('Before its obligation was opened (1/1 00:00 ICT) there is no state', async () => {
      expect(await state('SO_CONGTHUONG', { at: '2024-12-31T16:59:59.999Z' })).toMatchObject({
        stage: null,
        overdue: false,
        escalationLevel: 0,
        eventsApplied: 0,
        machineVersion: null,
        dueAt: null,
        at: '2024-12-31T16:59:59.999Z',
        asRecordedAt: null,
      });
      expect(await state('SO_CONGTHUONG', { at: '2025-01-01T00:00:00+07:00' })).toMatchObject({
        stage: 'plan_drafted',
        eventsApplied: 1,
        machineVersion: 'annual-report@1',
        dueAt: DUE,
        at: '2024-12-31T17:00:00.000Z',
      });
    });

    it('Sở Công Thương: each event changes the state at its effective time, not before', async () => {
      const cases: Array<[string, Record<string, unknown>]> = [
        ['2025-06-10T01:59:59.999Z', { stage: 'plan_drafted', eventsApplied: 1 }],
        ['2025-06-10T02:00:00.000Z', { stage: 'implementing', eventsApplied: 2 }],
        // Reminders 2 and 3, swept late together with the deadline, are effective when they were
        // due, before the deadline: they count here.
        [
          '2025-11-14T16:59:59.999Z',
          { stage: 'implementing', overdue: false, escalationLevel: 0, eventsApplied: 5 },
        ],
        [
          DUE,
          {
            stage: 'implementing',
            overdue: true,
            escalationLevel: 1,
            status: 'IN_PROGRESS_OVERDUE',
            eventsApplied: 6,
          },
        ],
        ['2025-11-21T16:59:59.999Z', { overdue: true, escalationLevel: 1, eventsApplied: 6 }],
        ['2025-11-21T17:00:00.000Z', { overdue: true, escalationLevel: 2, eventsApplied: 7 }],
        ['2025-11-24T00:59:59.999Z', { stage: 'implementing', overdue: true, eventsApplied: 7 }],
        [
          CT_RECEIVED,
          {
            stage: 'report_submitted',
            overdue: false,
            escalationLevel: 2,
            status: 'DONE_LATE',
            eventsApplied: 8,
          },
        ],
      ];
      for (const [at, expected] of cases) {
        expect(await state('SO_CONGTHUONG', { at })).toMatchObject({ at, ...expected });
      }
    });

    it('Sở Y tế: the extension moves the deadline from its effective time on', async () => {
      expect(await state('SO_YTE', { at: '2025-11-01T02:59:59.999Z' })).toMatchObject({
        dueAt: DUE,
        eventsApplied: 2,
      });
      expect(await state('SO_YTE', { at: '2025-11-20T00:00:00.000Z' })).toMatchObject({
        stage: 'plan_drafted',
        overdue: false,
        escalationLevel: 0,
        dueAt: '2025-11-30T17:00:00.000Z',
        status: 'IN_PROGRESS_ON_TIME',
        eventsApplied: 3,
      });
    });

    it('Without `at`, the state is as of now (the clock) and matches the stored obligation', async () => {
      const now = await state('SO_CONGTHUONG', {});
      expect(now.at).toBe('2025-12-01T03:00:00.000Z');
      const stored = (await as('kiemtoan').get(`/api/obligations/${ids.SO_CONGTHUONG}`).expect(200))
        .body as Record<string, unknown>;
      expect(now).toMatchObject({
        stage: stored.stage,
        overdue: stored.overdue,
        escalationLevel: stored.escalationLevel,
        dueAt: stored.dueAt,
        machineVersion: stored.machineVersion,
        eventsApplied: stored.version,
      });
    });
  });

  describe('what the system knew (asRecordedAt)', () => {
    it('Given the paper report of 12/11 recorded on 13/11, then as known on 12/11 Sở Tư pháp was still implementing', async () => {
      expect(
        await state('SO_TUPHAP', { at: TP_RECEIVED, asRecordedAt: '2025-11-13T02:59:59.999Z' }),
      ).toMatchObject({
        stage: 'implementing',
        eventsApplied: 3,
        asRecordedAt: '2025-11-13T02:59:59.999Z',
      });
      expect(
        await state('SO_TUPHAP', { at: TP_RECEIVED, asRecordedAt: TP_RECORDED }),
      ).toMatchObject({
        stage: 'report_submitted',
        status: 'DONE_ON_TIME',
        overdue: false,
        eventsApplied: 4,
      });
    });

    it('Given the paper report of 24/11 recorded on 26/11, then as known on 25/11 Sở Công Thương was overdue at level 2', async () => {
      expect(
        await state('SO_CONGTHUONG', {
          at: CT_RECEIVED,
          asRecordedAt: '2025-11-25T00:00:00+07:00',
        }),
      ).toMatchObject({
        stage: 'implementing',
        overdue: true,
        escalationLevel: 2,
        eventsApplied: 7,
        asRecordedAt: '2025-11-24T17:00:00.000Z',
      });
      expect(
        await state('SO_CONGTHUONG', { at: CT_RECEIVED, asRecordedAt: '2025-11-26T04:00:00Z' }),
      ).toMatchObject({ stage: 'report_submitted', overdue: false, eventsApplied: 8 });
    });

    it('Before the extension was recorded, Sở Y tế looked overdue on 20/11', async () => {
      expect(
        await state('SO_YTE', {
          at: '2025-11-20T00:00:00.000Z',
          asRecordedAt: '2025-10-31T00:00:00.000Z',
        }),
      ).toMatchObject({ overdue: true, dueAt: DUE, eventsApplied: 2 });
    });

    it('Before the cycle was opened (recorded 1/6), nothing was known', async () => {
      expect(
        await state('SO_TUPHAP', {
          at: '2025-05-01T00:00:00.000Z',
          asRecordedAt: '2025-05-31T00:00:00.000Z',
        }),
      ).toMatchObject({ stage: null, eventsApplied: 0 });
    });
  });

  describe('the roster as of a time', () => {
    const status = (asOf: AsOf, caller = auditor) =>
      h.app.get(ReplayQueryService).cycleStatusAt(PLAN, 2025, asOf, caller);
    const sum = (counts: Record<string, number>) =>
      Object.values(counts).reduce((a, b) => a + b, 0);

    it('On 20/11 the 53 obligations add up, and each row is that obligation’s replayed state', async () => {
      const at = '2025-11-20T00:00:00.000Z';
      const s = await status({ at });
      expect(s.obligations).toHaveLength(53);
      expect(sum(s.counts.byStage)).toBe(53);
      expect(sum(s.counts.byStatus)).toBe(53);
      expect(s.counts.notOpened).toBe(0);
      expect(s.counts.byStage).toMatchObject({
        plan_drafted: 51,
        implementing: 1,
        report_submitted: 1,
      });
      expect(s.counts.byStatus).toEqual({
        IN_PROGRESS_ON_TIME: 1,
        IN_PROGRESS_OVERDUE: 51,
        DONE_ON_TIME: 1,
        DONE_LATE: 0,
      });
      const tally = (key: 'stage' | 'status') =>
        s.obligations.reduce<Record<string, number>>((acc, o) => {
          const k = String(o[key]);
          acc[k] = (acc[k] ?? 0) + 1;
          return acc;
        }, {});
      expect(tally('stage')).toEqual(
        Object.fromEntries(Object.entries(s.counts.byStage).filter(([, n]) => n > 0)),
      );
      expect(tally('status')).toEqual(
        Object.fromEntries(Object.entries(s.counts.byStatus).filter(([, n]) => n > 0)),
      );
      for (const row of s.obligations) {
        const one = await h.app.get(ReplayQueryService).stateAt(row.obligationId, { at }, auditor);
        expect(row).toEqual({
          obligationId: row.obligationId,
          agencyCode: row.agencyCode,
          stage: one.stage,
          overdue: one.overdue,
          escalationLevel: one.escalationLevel,
          status: one.status,
          eventsApplied: one.eventsApplied,
        });
      }
    });

    it('As known on 12/11, nobody had reported; the recorded paper report counts from 13/11', async () => {
      const before = await status({ at: TP_RECEIVED, asRecordedAt: '2025-11-12T12:00:00Z' });
      expect(before.counts.byStage.report_submitted).toBe(0);
      const after = await status({ at: TP_RECEIVED, asRecordedAt: TP_RECORDED });
      expect(after.counts.byStage.report_submitted).toBe(1);
      expect(sum(after.counts.byStatus)).toBe(53);
    });

    it('Replayed now, it matches the stored cycle summary', async () => {
      const s = await status({});
      const summary = await h.app.get(CycleStatsService).statistics(PLAN, 2025);
      expect(s.counts.byStage).toEqual(summary.counts.byStage);
      expect(s.counts.byStatus).toEqual(summary.counts.byStatus);
    });

    it('Before 2025 began, no obligation existed yet', async () => {
      const s = await status({ at: '2024-12-01T00:00:00.000Z' });
      expect(s.counts.notOpened).toBe(53);
      expect(sum(s.counts.byStage)).toBe(0);
    });

    it('An officer sees only their own agency’s row', async () => {
      const s = await status({ at: '2025-11-20T00:00:00.000Z' }, officerOf('SO_CONGTHUONG'));
      expect(s.obligations.map((o) => o.agencyCode)).toEqual(['SO_CONGTHUONG']);
    });
  });

  describe('over HTTP', () => {
    it('GET /api/obligations/:id/state?at= answers the contract fields; /:id and /history still work', async () => {
      const res = await as('kiemtoan')
        .get(`/api/obligations/${ids.SO_CONGTHUONG}/state?at=${encodeURIComponent(CT_RECEIVED)}`)
        .expect(200);
      expect(res.body).toMatchObject({
        obligationId: ids.SO_CONGTHUONG,
        stage: 'report_submitted',
        overdue: false,
        escalationLevel: 2,
        eventsApplied: 8,
        at: CT_RECEIVED,
        asRecordedAt: null,
      });
      const known = await as('lanhdao.ubnd')
        .get(`/api/obligations/${ids.SO_CONGTHUONG}/state`)
        .query({ at: CT_RECEIVED, asRecordedAt: '2025-11-25T00:00:00Z' })
        .expect(200);
      expect(known.body).toMatchObject({ stage: 'implementing', eventsApplied: 7 });
      await as('kiemtoan').get(`/api/obligations/${ids.SO_CONGTHUONG}`).expect(200);
      await as('kiemtoan').get(`/api/obligations/${ids.SO_CONGTHUONG}/history`).expect(200);
    });

    it('An officer reads their own agency’s state and gets 403 for another’s', async () => {
      await as('canbo.sct').get(`/api/obligations/${ids.SO_CONGTHUONG}/state`).expect(200);
      const res = await as('canbo.sct').get(`/api/obligations/${ids.SO_TUPHAP}/state`).expect(403);
      expect(res.body.code).toBe('FORBIDDEN');
      await expect(
        h.app.get(ReplayQueryService).stateAt(ids.SO_TUPHAP!, {}, officerOf('SO_CONGTHUONG')),
      ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    });

    it('A bad `at` or `asRecordedAt` is 400 VALIDATION_FAILED naming the field', async () => {
      for (const [query, field] of [
        [{ at: 'yesterday' }, 'at'],
        [{ at: '2025-11-20' }, 'at'],
        [{ at: '2025-13-40T00:00:00Z' }, 'at'],
        [{ asRecordedAt: '2025-11-20T00:00:00' }, 'asRecordedAt'],
      ] as const) {
        const res = await as('kiemtoan')
          .get(`/api/obligations/${ids.SO_YTE}/state`)
          .query(query)
          .expect(400);
        expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED', fields: [{ path: field }] });
      }
      const status = await as('kiemtoan')
        .get(`/api/plans/${PLAN}/cycles/2025/status?at=soon`)
        .expect(400);
      expect(status.body.fields).toEqual([{ path: 'at', message: expect.any(String) }]);
      await as('kiemtoan').get(`/api/obligations/${ids.SO_YTE}/state?when=now`).expect(400);
    });

    it('Unknown obligations, plans and cycles are 404', async () => {
      await as('kiemtoan').get('/api/obligations/no-such-id/state').expect(404);
      await as('kiemtoan').get('/api/plans/no-such-plan/cycles/2025/status').expect(404);
      await as('kiemtoan').get(`/api/plans/${PLAN}/cycles/2026/status`).expect(404);
      await expect(
        h.app.get(ReplayQueryService).stateAt('no-such-id', {}, auditor),
      ).rejects.toBeInstanceOf(DomainError);
    });

    it('GET /api/plans/:planId/cycles/:year/status gives the roster; the summary route still works', async () => {
      const res = await as('lanhdao.ubnd')
        .get(`/api/plans/${PLAN}/cycles/2025/status`)
        .query({ at: '2025-11-20T07:00:00+07:00' })
        .expect(200);
      expect(res.body).toMatchObject({
        planId: PLAN,
        year: 2025,
        at: '2025-11-20T00:00:00.000Z',
        asRecordedAt: null,
      });
      expect(res.body.obligations).toHaveLength(53);
      const officer = await as('canbo.sct')
        .get(`/api/plans/${PLAN}/cycles/2025/status`)
        .expect(200);
      expect(officer.body.obligations).toHaveLength(1);
      await as('kiemtoan').get(`/api/plans/${PLAN}/cycles/2025`).expect(200);
      await as('kiemtoan').get(`/api/plans/${PLAN}/cycles/20x5/status`).expect(400);
    });
  });
});
