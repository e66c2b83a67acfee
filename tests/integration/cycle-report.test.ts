/**
 * The aggregator's year, on every database (Given/When/Then): a 2024 cycle with obligations in
 * each of the four statuses, paper reports recorded late with their receipt dates, an extension
 * and a withdrawal; then the statistics now and as of earlier instants, and the report to UBND in
 * one transaction: a failure midway changes nothing, success moves only the aggregated ones.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { INestApplicationContext } from '@nestjs/common';
import { VerifyService } from '../../src/audit/verify.service.js';
import type { Caller } from '../../src/core/access/caller.js';
import { DomainError } from '../../src/core/errors.js';
import { CycleStatsService } from '../../src/cycles/cycle-stats.service.js';
import { CycleService } from '../../src/cycles/cycle.service.js';
import { ReportToUbndService } from '../../src/cycles/report-to-ubnd.service.js';
import { Database } from '../../src/database/database.js';
import { CommandService } from '../../src/obligations/command.service.js';
import { admin, aggregator, auditor, officerOf } from '../support/callers.js';
import { describeEachDatabase } from '../support/databases.js';
import { createTestContext, type TestHarness } from '../support/test-app.js';

const PLAN = 'thanh-hoa-nq46';
/** 10:00 on 20/11/2024 in Hà Nội: five days after the deadline (15/11/2024 00:00 ICT). */
const NOW = '2024-11-20T03:00:00.000Z';
const AGGREGATED = ['H_MUONGLAT', 'SO_CONGTHUONG', 'SO_TAICHINH'];

describeEachDatabase('statistics and the report to UBND', (dialect) => {
  let h: TestHarness<INestApplicationContext>;
  let ids: Record<string, string>;
  let cmd: CommandService;

  const setClock = (iso: string) => h.clock.set(new Date(iso));
  const send = (code: string, type: string, caller: Caller, more: object = {}) =>
    cmd.execute({ obligationId: ids[code]!, type, caller, ...more });
  const stats = (at?: string) => h.app.get(CycleStatsService).statistics(PLAN, 2024, at);
  const reportToUbnd = (ref: unknown, caller: Caller = aggregator) =>
    h.app.get(ReportToUbndService).report(PLAN, 2024, ref, caller);
  /** Stage, version and event count of every obligation, the ledger length and the cycle row. */
  const everything = () =>
    h.app.get(Database).read(async (sql) => ({
      obligations: await sql.query('SELECT id, stage, version FROM obligations ORDER BY id'),
      events: await sql.query('SELECT COUNT(*) AS n FROM obligation_events'),
      ledger: await sql.query('SELECT COUNT(*) AS n FROM ledger'),
      cycles: await sql.query('SELECT * FROM cycles ORDER BY year'),
    }));

  beforeAll(async () => {
    h = await createTestContext(dialect);
    cmd = h.app.get(CommandService);
    // 1/6/2024: the cycle opens (its obligations exist from 1/1).
    setClock('2024-06-01T03:00:00.000Z');
    const opened = await h.app.get(CycleService).open(PLAN, 2024, admin);
    ids = Object.fromEntries(opened.obligations.map((o) => [o.agencyCode, o.id]));
    // 1/10: four agencies report on time; two start; one is withdrawn; one gets more time.
    setClock('2024-10-01T02:00:00.000Z');
    for (const code of [...AGGREGATED, 'SO_TUPHAP', 'TINH_DOAN', 'HOI_NONGDAN_TINH']) {
      await send(code, 'START_IMPLEMENTATION', officerOf(code), {
        payload: { planRef: `KH/${code}` },
      });
    }
    for (const code of AGGREGATED) {
      await send(code, 'SUBMIT_REPORT', officerOf(code), { payload: { reportRef: `BC/${code}` } });
      await send(code, 'AGGREGATE', aggregator, { payload: {} });
    }
    await send('SO_NGOAIVU', 'WITHDRAW', admin, { payload: { basis: 'QĐ 12/QĐ-UBND' } });
    await send('SO_KHCN', 'EXTEND_DEADLINE', aggregator, {
      payload: { newDueDate: '2024-11-30', basis: 'CV 345/SNN' },
    });
    // 20/11: Sở Tư pháp reports late; two paper reports are recorded with their receipt dates.
    setClock(NOW);
    await send('SO_TUPHAP', 'SUBMIT_REPORT', officerOf('SO_TUPHAP'), {
      payload: { reportRef: '88/BC-STP' },
    });
    await send('HOI_NONGDAN_TINH', 'SUBMIT_REPORT', aggregator, {
      payload: { reportRef: '77-BC/HND' },
      effectiveAt: '2024-11-12T02:00:00.000Z',
      reason: 'Báo cáo giấy nhận ngày 12/11/2024',
    });
    await send('TINH_DOAN', 'SUBMIT_REPORT', aggregator, {
      payload: { reportRef: '301-BC/TĐTN' },
      effectiveAt: '2024-11-15T01:00:00.000Z',
      reason: 'Báo cáo giấy nhận ngày 15/11/2024',
    });
  });
  afterAll(async () => h?.close());

  describe('statistics', () => {
    it('Given the 20/11 roster, it counts the four statuses, judging paper reports by their receipt date', async () => {
      const s = await stats();
      expect(s).toMatchObject({
        planId: PLAN,
        year: 2024,
        dueAt: '2024-11-14T17:00:00.000Z',
        at: NOW,
        counts: {
          byStatus: {
            IN_PROGRESS_ON_TIME: 1, // Sở KH&CN, extended to 30/11
            IN_PROGRESS_OVERDUE: 46,
            DONE_ON_TIME: 4, // three on 1/10, Hội Nông dân's paper report of 12/11
            DONE_LATE: 2, // Sở Tư pháp on 20/11, Tỉnh đoàn's paper report of 15/11
          },
          total: 54,
          withdrawn: 1,
          notOpened: 0,
        },
        pastDue: 52,
        completedPastDue: 6,
        consolidatedReport: null,
      });
      expect(s.counts.byStage).toMatchObject({
        plan_drafted: 47,
        aggregated: 3,
        report_submitted: 3,
        withdrawn: 1,
      });
      expect(s.completionRate).toBeCloseTo(6 / 52, 12);
    });

    it('lists the overdue obligations with their agencies; none of them has reported', async () => {
      const s = await stats();
      expect(s.overdue).toHaveLength(46);
      expect(s.overdueObligations.map((o) => o.obligationId)).toEqual(s.overdue);
      expect(s.overdueObligations[0]).toEqual({
        obligationId: ids.SO_TTTT,
        agencyCode: 'SO_TTTT',
        agencyName: 'Sở Thông tin và Truyền thông',
        group: 'department',
        dueAt: '2024-11-14T17:00:00.000Z',
        escalationLevel: 0,
      });
      const codes = s.overdueObligations.map((o) => o.agencyCode);
      for (const code of ['SO_KHCN', 'SO_NGOAIVU', 'SO_TUPHAP', 'TINH_DOAN', ...AGGREGATED])
        expect(codes).not.toContain(code);
    });

    it('breaks the figures down by group, the six poor districts included', async () => {
      const by = Object.fromEntries((await stats()).byGroup.map((g) => [g.key, g]));
      expect(by.departments).toMatchObject({
        total: 21,
        byStatus: {
          IN_PROGRESS_ON_TIME: 1,
          IN_PROGRESS_OVERDUE: 16,
          DONE_ON_TIME: 2,
          DONE_LATE: 1,
        },
        pastDue: 19,
        completedPastDue: 3,
      });
      expect(by.districts).toMatchObject({
        total: 27,
        byStatus: { IN_PROGRESS_OVERDUE: 26, DONE_ON_TIME: 1 },
      });
      expect(by.requested).toMatchObject({
        total: 6,
        byStatus: { IN_PROGRESS_OVERDUE: 4, DONE_ON_TIME: 1, DONE_LATE: 1 },
      });
      expect(by['poor-districts']).toMatchObject({
        label: 'Các huyện nghèo',
        total: 6,
        byStatus: { IN_PROGRESS_OVERDUE: 5, DONE_ON_TIME: 1, DONE_LATE: 0 },
        pastDue: 6,
        completedPastDue: 1,
      });
    });

    it('As of 10/11, before the deadline: nothing overdue, no completion rate yet', async () => {
      const s = await stats('2024-11-10T00:00:00+07:00');
      expect(s.at).toBe('2024-11-09T17:00:00.000Z');
      expect(s.counts.byStatus).toEqual({
        IN_PROGRESS_ON_TIME: 50,
        IN_PROGRESS_OVERDUE: 0,
        DONE_ON_TIME: 3,
        DONE_LATE: 0,
      });
      expect(s.completionRate).toBeNull();
      expect(s.overdue).toEqual([]);
    });

    it('As of 16/11, the paper report received on 15/11 already counts, late', async () => {
      const s = await stats('2024-11-16T00:00:00.000Z');
      expect(s.counts.byStatus).toEqual({
        IN_PROGRESS_ON_TIME: 1,
        IN_PROGRESS_OVERDUE: 47, // Sở Tư pháp had not reported yet
        DONE_ON_TIME: 4,
        DONE_LATE: 1,
      });
      expect(s.overdue).toContain(ids.SO_TUPHAP);
      expect(s.overdue).not.toContain(ids.TINH_DOAN);
    });

    it('Replayed as of now, it equals the stored state', async () => {
      const now = await stats();
      const replayed = await stats(NOW);
      expect({ ...replayed }).toEqual({ ...now });
    });

    it('refuses an as-of time that is malformed or in the future, naming `at`', async () => {
      for (const at of ['20/11/2024', '2024-11-20', '2024-11-21T00:00:00.000Z']) {
        const error = await stats(at).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(DomainError);
        expect((error as DomainError).code).toBe('VALIDATION_FAILED');
        expect((error as DomainError).details.fields).toEqual([
          expect.objectContaining({ path: 'at' }),
        ]);
      }
    });

    it('an unopened cycle is NOT_FOUND', async () => {
      await expect(h.app.get(CycleStatsService).statistics(PLAN, 2030)).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });
    });
  });

  describe('report to UBND', () => {
    it('only the aggregator may; a bad ref is VALIDATION_FAILED; nothing changes', async () => {
      const before = await everything();
      for (const caller of [admin, auditor, officerOf('SO_NNPTNT')]) {
        await expect(reportToUbnd('15/BC-SNN', caller)).rejects.toMatchObject({
          code: 'FORBIDDEN',
        });
      }
      for (const ref of ['', '   ', 42, 'x'.repeat(201)]) {
        await expect(reportToUbnd(ref)).rejects.toMatchObject({
          code: 'VALIDATION_FAILED',
          details: { fields: [expect.objectContaining({ path: 'consolidatedReportRef' })] },
        });
      }
      expect(await everything()).toEqual(before);
    });

    it('When one obligation fails midway, the whole report rolls back', async () => {
      const commands = h.app.get(CommandService);
      const original = commands.executeIn.bind(commands);
      const spy = jest.spyOn(commands, 'executeIn').mockImplementation(async (tx, command, now) => {
        if (command.obligationId === ids.SO_TAICHINH) throw new Error('injected failure');
        return original(tx, command, now);
      });
      const before = await everything();
      try {
        await expect(reportToUbnd('15/BC-SNN')).rejects.toThrow('injected failure');
        // The first two had moved inside the transaction before the third failed.
        expect(spy.mock.calls.map(([, c]) => c.obligationId)).toEqual(
          AGGREGATED.map((code) => ids[code]),
        );
        const moved = await Promise.all(spy.mock.results.slice(0, 2).map((r) => r.value));
        expect(moved.map((v) => (v as { stage: string }).stage)).toEqual([
          'reported_to_ubnd',
          'reported_to_ubnd',
        ]);
      } finally {
        spy.mockRestore();
      }
      expect(await everything()).toEqual(before);
    });

    it('moves exactly the aggregated obligations, records the report on the cycle, leaves the rest open', async () => {
      setClock('2024-11-25T02:00:00.000Z');
      const result = await reportToUbnd('  15/BC-SNN ');
      expect(result).toMatchObject({
        planId: PLAN,
        year: 2024,
        consolidatedReportRef: '15/BC-SNN',
        reportedAt: '2024-11-25T02:00:00.000Z',
        reportedBy: 'tonghop.snn',
        repeated: false,
      });
      expect(result.reported.map((r) => r.agencyCode)).toEqual(AGGREGATED);
      expect(result.reported.every((r) => r.version === 5)).toBe(true);
      expect(result.notReported).toHaveLength(51);
      const why = Object.fromEntries(result.notReported.map((n) => [n.agencyCode, n]));
      expect(why.SO_TUPHAP).toMatchObject({
        stage: 'report_submitted',
        status: 'DONE_LATE',
        reason: 'Đã gửi báo cáo, chưa được tổng hợp',
      });
      expect(why.SO_NGOAIVU).toMatchObject({ stage: 'withdrawn', status: null });
      expect(why.H_QUANSON).toMatchObject({
        stage: 'plan_drafted',
        status: 'IN_PROGRESS_OVERDUE',
        reason: 'Chưa gửi báo cáo',
      });
      const { obligations, cycles } = await everything();
      const stageOf = new Map(obligations.map((o) => [String(o.id), String(o.stage)]));
      for (const code of AGGREGATED) expect(stageOf.get(ids[code]!)).toBe('reported_to_ubnd');
      expect(stageOf.get(ids.SO_TUPHAP!)).toBe('report_submitted');
      expect(stageOf.get(ids.H_QUANSON!)).toBe('plan_drafted');
      expect(cycles[0]).toMatchObject({
        consolidated_report_ref: '15/BC-SNN',
        reported_to_ubnd_by: 'tonghop.snn',
      });
      expect(Number(cycles[0]!.reported_to_ubnd_at)).toBe(Date.parse('2024-11-25T02:00:00.000Z'));
    });

    it('each move is a REPORT_TO_UBND event on the hash chain and in the ledger', async () => {
      const events = await h.app
        .get(Database)
        .read((sql) =>
          sql.query<{ obligation_id: string; type: string; payload: unknown; actor: string }>(
            `SELECT obligation_id, type, payload, actor FROM obligation_events WHERE type = 'REPORT_TO_UBND'`,
          ),
        );
      expect(events.map((e) => e.obligation_id).sort()).toEqual(
        AGGREGATED.map((c) => ids[c]).sort(),
      );
      for (const e of events) {
        expect(typeof e.payload === 'string' ? JSON.parse(e.payload) : e.payload).toEqual({
          consolidatedReportRef: '15/BC-SNN',
        });
        expect(e.actor).toBe('tonghop.snn');
      }
      const verified = await h.app.get(VerifyService).verify({ planId: PLAN, year: 2024 });
      expect(verified).toMatchObject({ ok: true, problemCount: 0 });
    });

    it('the statistics show the consolidated report and the new stage', async () => {
      const s = await stats();
      expect(s.consolidatedReport).toEqual({
        ref: '15/BC-SNN',
        reportedAt: '2024-11-25T02:00:00.000Z',
        reportedBy: 'tonghop.snn',
      });
      expect(s.counts.byStage.reported_to_ubnd).toBe(3);
      expect(s.counts.byStage.aggregated).toBe(0);
      // As of before the report, the cycle was not reported yet.
      expect((await stats(NOW)).consolidatedReport).toBeNull();
    });

    it('the same request again answers the same outcome and changes nothing', async () => {
      const before = await everything();
      const again = await reportToUbnd('15/BC-SNN');
      expect(again).toMatchObject({ repeated: true, reportedAt: '2024-11-25T02:00:00.000Z' });
      expect(again.reported.map((r) => r.agencyCode)).toEqual(AGGREGATED);
      expect(again.notReported).toHaveLength(51);
      expect(await everything()).toEqual(before);
    });

    it('another consolidated report for a reported cycle is ALREADY_REPORTED', async () => {
      await expect(reportToUbnd('16/BC-SNN')).rejects.toMatchObject({
        code: 'ALREADY_REPORTED',
        details: { consolidatedReportRef: '15/BC-SNN' },
      });
    });

    it('a cycle with nothing aggregated is NOTHING_TO_REPORT, and an unopened one NOT_FOUND', async () => {
      await h.app.get(CycleService).open(PLAN, 2025, admin);
      const before = await everything();
      await expect(
        h.app.get(ReportToUbndService).report(PLAN, 2025, '1/BC-SNN', aggregator),
      ).rejects.toMatchObject({ code: 'NOTHING_TO_REPORT' });
      await expect(
        h.app.get(ReportToUbndService).report(PLAN, 2031, '1/BC-SNN', aggregator),
      ).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect(await everything()).toEqual(before);
    });

    it('two reports at once: one moves the obligations, the other answers repeated or conflicts', async () => {
      const opened = await h.app.get(CycleService).open(PLAN, 2025, admin);
      const of = Object.fromEntries(opened.obligations.map((o) => [o.agencyCode, o.id]));
      for (const code of ['SO_YTE', 'TX_BIMSON']) {
        const id = of[code]!;
        await cmd.execute({
          obligationId: id,
          type: 'START_IMPLEMENTATION',
          caller: officerOf(code),
          payload: { planRef: 'KH' },
        });
        await cmd.execute({
          obligationId: id,
          type: 'SUBMIT_REPORT',
          caller: officerOf(code),
          payload: { reportRef: 'BC' },
        });
        await cmd.execute({ obligationId: id, type: 'AGGREGATE', caller: aggregator, payload: {} });
      }
      const service = h.app.get(ReportToUbndService);
      const outcomes = await Promise.allSettled([
        service.report(PLAN, 2025, '2/BC-SNN', aggregator),
        service.report(PLAN, 2025, '2/BC-SNN', aggregator),
        service.report(PLAN, 2025, '3/BC-SNN', aggregator),
      ]);
      const done = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
      const failed = outcomes.flatMap((o) =>
        o.status === 'rejected' ? [o.reason as DomainError] : [],
      );
      const first = done.find((r) => !r.repeated);
      // The first to run decides the ref; the others repeat it or conflict with it.
      expect(done.filter((r) => !r.repeated)).toHaveLength(1);
      expect(failed.map((e) => e.code)).toEqual(failed.map(() => 'ALREADY_REPORTED'));
      expect(done.length + failed.length).toBe(3);
      expect(first!.reported.map((r) => r.agencyCode).sort()).toEqual(['SO_YTE', 'TX_BIMSON']);
      const events = await h.app
        .get(Database)
        .read((sql) =>
          sql.query<{ obligation_id: string }>(
            `SELECT obligation_id FROM obligation_events WHERE type = 'REPORT_TO_UBND' AND obligation_id IN (?, ?)`,
            [of.SO_YTE, of.TX_BIMSON],
          ),
        );
      expect(events).toHaveLength(2);
    });
  });
});
