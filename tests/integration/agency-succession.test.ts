/**
 * apply-succession over the 2024 and 2025 cycles, and the 2026 cycle's roster, on both databases:
 * Đông Sơn's merger (01/01/2025), the departments' reorganisation (01/3/2025) in the middle of
 * the 2025 cycle, and the districts' abolition (01/7/2025), which the system never decides.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { INestApplicationContext } from '@nestjs/common';
import { SuccessionService, type SuccessionReport } from '../../src/agencies/succession.service.js';
import { VerifyService } from '../../src/audit/verify.service.js';
import type { Caller } from '../../src/core/access/caller.js';
import { DomainError } from '../../src/core/errors.js';
import { CycleService } from '../../src/cycles/cycle.service.js';
import { Database } from '../../src/database/database.js';
import { CommandService } from '../../src/obligations/command.service.js';
import { ObligationQueryService } from '../../src/obligations/obligation-query.service.js';
import { PlanRegistry } from '../../src/plans/plan-registry.service.js';
import { admin, aggregator, auditor, officerOf } from '../support/callers.js';
import { describeEachDatabase } from '../support/databases.js';
import { createTestContext, type TestHarness } from '../support/test-app.js';

const PLAN = 'thanh-hoa-nq46';

async function refusal(p: Promise<unknown>): Promise<DomainError> {
  const outcome = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(outcome).toBeInstanceOf(DomainError);
  return outcome as DomainError;
}

/** `year agency → successor` of each transfer, sorted. */
const moves = (r: SuccessionReport) =>
  r.transfers.map((t) => `${t.year} ${t.fromAgency} → ${t.toAgency}`).sort();

describeEachDatabase('agency succession across the 2024, 2025 and 2026 cycles', (dialect) => {
  let h: TestHarness<INestApplicationContext>;
  let succession: SuccessionService;
  let queries: ObligationQueryService;
  let commands: CommandService;
  let ids2024: Record<string, string>;
  let ids2025: Record<string, string>;
  const send = (caller: Caller, obligationId: string, type: string, payload: object = {}) =>
    commands.execute({ obligationId, type, payload, caller });
  const eventCount = () =>
    h.app.get(Database).read(async (sql) => {
      const [row] = await sql.query<{ n: unknown }>('SELECT COUNT(*) AS n FROM obligation_events');
      return Number(row!.n);
    });

  beforeAll(async () => {
    h = await createTestContext(dialect);
    succession = h.app.get(SuccessionService);
    queries = h.app.get(ObligationQueryService);
    commands = h.app.get(CommandService);
    // 2024: every agency reports except Đông Sơn and Sở KH&ĐT, whose obligations stay open.
    h.clock.set(new Date('2024-10-01T03:00:00.000Z'));
    const opened = await h.app.get(CycleService).open(PLAN, 2024, admin);
    ids2024 = Object.fromEntries(opened.obligations.map((o) => [o.agencyCode, o.id]));
    for (const [code, id] of Object.entries(ids2024)) {
      if (code === 'H_DONGSON' || code === 'SO_KHDT') continue;
      await send(officerOf(code), id, 'START_IMPLEMENTATION', { planRef: `KH-${code}` });
      await send(officerOf(code), id, 'SUBMIT_REPORT', { reportRef: `BC-${code}` });
      await send(aggregator, id, 'AGGREGATE');
      await send(aggregator, id, 'REPORT_TO_UBND', { consolidatedReportRef: '1/BC-SNN' });
    }
    h.clock.set(new Date('2025-01-02T03:00:00.000Z'));
    const opened2025 = await h.app.get(CycleService).open(PLAN, 2025, admin);
    ids2025 = Object.fromEntries(opened2025.obligations.map((o) => [o.agencyCode, o.id]));
  });
  afterAll(async () => h?.close());

  it('the 2025 cycle opens as of 01/01/2025: 53 obligations, Đông Sơn is part of the city', () => {
    expect(Object.keys(ids2025)).toHaveLength(53);
    expect(ids2025.H_DONGSON).toBeUndefined();
    expect(ids2025.TP_THANHHOA).toBeDefined();
  });

  it('01/01/2025: Đông Sơn’s open 2024 obligation passes to the city, which then owes two for 2024', async () => {
    const report = await succession.apply({ date: '2025-01-01' }, admin);
    expect(report.ending.map((e) => e.code)).toEqual(['H_DONGSON']);
    expect(moves(report)).toEqual(['2024 H_DONGSON → TP_THANHHOA']);
    expect(report.undecided).toEqual([]);
    expect(report.transfers[0]).toMatchObject({
      obligationId: ids2024.H_DONGSON,
      via: 'registry',
      effectiveAt: '2024-12-31T17:00:00.000Z',
      basis: expect.stringContaining('Nhập huyện Đông Sơn vào thành phố Thanh Hóa'),
    });
    const city = await queries.list(
      { planId: PLAN, year: 2024, agencyCode: 'TP_THANHHOA' },
      1,
      10,
      auditor,
    );
    expect(city.items.map((o) => [o.id, o.stage]).sort()).toEqual(
      [
        [ids2024.TP_THANHHOA, 'reported_to_ubnd'],
        [ids2024.H_DONGSON, 'plan_drafted'],
      ].sort(),
    );
  });

  it('refuses a date on which nothing ends, a date still to come, and a non-administrator; nothing changes', async () => {
    h.clock.set(new Date('2025-03-01T03:00:00.000Z')); // 01/3/2025 10:00 in Hà Nội
    const events = await eventCount();
    const notADate = await refusal(succession.plan({ date: '2025-03-02' }));
    expect(notADate.code).toBe('VALIDATION_FAILED');
    expect(notADate.details.fields).toEqual([
      {
        path: 'date',
        message:
          "expected a succession date (the day after an agency's validTo): 2025-01-01, 2025-03-01, 2025-07-01; found 2025-03-02",
      },
    ]);
    const future = await refusal(succession.apply({ date: '2025-07-01' }, admin));
    expect(future.message).toBe('The succession date 2025-07-01 is after today');
    expect((await refusal(succession.apply({ date: '2025-03-01' }, aggregator))).code).toBe(
      'FORBIDDEN',
    );
    expect((await refusal(succession.plan({ date: '2025-02-30' }))).code).toBe('VALIDATION_FAILED');
    expect(await eventCount()).toBe(events);
  });

  const expected0301 = [
    '2024 SO_KHDT → SO_TAICHINH',
    '2025 BAN_DANTOC → SO_DTTG',
    '2025 NHNN_CN_THANHHOA → NHNN_KV7',
    '2025 SO_GTVT → SO_XAYDUNG',
    '2025 SO_KHDT → SO_TAICHINH',
    '2025 SO_LDTBXH → SO_GDDT',
    '2025 SO_NNPTNT → SO_NNMT',
    '2025 SO_TNMT → SO_NNMT',
    '2025 SO_TTTT → SO_VHTTDL',
  ];

  it('01/3/2025, dry run: lists the transfers and the undecided Sở Ngoại vụ, changing nothing', async () => {
    const events = await eventCount();
    const report = await succession.plan({ date: '2025-03-01' });
    expect(report.dryRun).toBe(true);
    expect(report.ending.map((e) => e.code).sort()).toEqual(
      [
        'SO_NNPTNT',
        'SO_TNMT',
        'SO_TTTT',
        'SO_LDTBXH',
        'SO_KHDT',
        'SO_GTVT',
        'BAN_DANTOC',
        'SO_NGOAIVU',
        'NHNN_CN_THANHHOA',
      ].sort(),
    );
    expect(moves(report)).toEqual(expected0301);
    expect(report.undecided).toEqual([
      {
        obligationId: ids2025.SO_NGOAIVU,
        planId: PLAN,
        year: 2025,
        stage: 'plan_drafted',
        fromAgency: 'SO_NGOAIVU',
        reason: 'NO_SUCCESSOR',
        successors: [],
        detail:
          'SO_NGOAIVU ended on 2025-02-28 with no successor in registry thanh-hoa (Cơ quan kế nhiệm chưa được xác định trong danh mục); an administrator decides (TRANSFER with a basis)',
      },
    ]);
    expect(await eventCount()).toBe(events);
  });

  it('01/3/2025: the transfers, one TRANSFER each with the registry’s basis, effective that day', async () => {
    const report = await succession.apply({ date: '2025-03-01' }, admin);
    expect(moves(report)).toEqual(expected0301);
    const split = report.transfers.find((t) => t.fromAgency === 'SO_LDTBXH')!;
    expect(split).toMatchObject({ via: 'plan', tasks: ['II.2.1'], toAgency: 'SO_GDDT' });
    const last = (await queries.history(ids2025.SO_NNPTNT!, auditor)).at(-1)!;
    expect(last).toMatchObject({
      type: 'TRANSFER',
      actor: 'admin',
      effectiveAt: '2025-02-28T17:00:00.000Z',
      recordedAt: '2025-03-01T03:00:00.000Z',
      payload: {
        toAgency: 'SO_NNMT',
        fromAgency: 'SO_NNPTNT',
        basis: expect.stringContaining('Nghị định số 45/2025/NĐ-CP'),
      },
    });
    const nnmt = await queries.list(
      { planId: PLAN, year: 2025, agencyCode: 'SO_NNMT' },
      1,
      10,
      auditor,
    );
    expect(nnmt.items.map((o) => o.id).sort()).toEqual([ids2025.SO_NNPTNT, ids2025.SO_TNMT].sort());
    expect(nnmt.items.every((o) => o.agencyName === 'Sở Nông nghiệp và Môi trường')).toBe(true);
    // Sở NN&MT's officer now reports for both.
    await send(officerOf('SO_NNMT'), ids2025.SO_TNMT!, 'START_IMPLEMENTATION', { planRef: '3/KH' });
  });

  it('a second run finds nothing left to transfer; the audit trail verifies', async () => {
    const again = await succession.apply({ date: '2025-03-01' }, admin);
    expect(again.transfers).toEqual([]);
    expect(again.undecided.map((u) => u.fromAgency)).toEqual(['SO_NGOAIVU']);
    const report = await h.app.get(VerifyService).verify();
    expect(report).toMatchObject({ ok: true, obligations: 54 + 53, problems: [] });
  });

  it('01/7/2025: every district is listed as undecided; nothing is transferred', async () => {
    h.clock.set(new Date('2025-07-01T01:00:00.000Z'));
    const events = await eventCount();
    const report = await succession.apply({ date: '2025-07-01' }, admin);
    expect(report.transfers).toEqual([]);
    expect(report.ending).toHaveLength(26);
    const districts2025 = h.app
      .get(PlanRegistry)
      .get(PLAN)
      .definition.agencies.filter((a) => a.group === 'district' && a.code !== 'H_DONGSON')
      .map((a) => a.code)
      .sort();
    const undecided2025 = report.undecided.filter((u) => u.year === 2025);
    expect(undecided2025.map((u) => u.fromAgency).sort()).toEqual(districts2025);
    expect(undecided2025.every((u) => u.reason === 'NO_SUCCESSOR')).toBe(true);
    expect(undecided2025[0]!.detail).toContain(
      'Đơn vị hành chính cấp huyện kết thúc hoạt động từ ngày 01/7/2025',
    );
    // Đông Sơn's 2024 obligation, now the city's, waits for a decision too.
    expect(report.undecided.filter((u) => u.year === 2024)).toMatchObject([
      { obligationId: ids2024.H_DONGSON, fromAgency: 'TP_THANHHOA' },
    ]);
    expect(await eventCount()).toBe(events);
  });

  it('an administrator maps one district with a basis; the next run lists the others', async () => {
    const view = await commands.execute({
      obligationId: ids2025.H_MUONGLAT!,
      type: 'TRANSFER',
      payload: {
        toAgency: 'SO_DTTG',
        basis: 'Văn bản của UBND tỉnh giao Sở Dân tộc và Tôn giáo tiếp nhận (thử nghiệm)',
      },
      caller: admin,
    });
    expect(view).toMatchObject({ agencyCode: 'SO_DTTG', agencyName: 'Sở Dân tộc và Tôn giáo' });
    const next = await succession.plan({ date: '2025-07-01' });
    const left = next.undecided.filter((u) => u.year === 2025).map((u) => u.fromAgency);
    expect(left).toHaveLength(25);
    expect(left).not.toContain('H_MUONGLAT');
    expect((await h.app.get(VerifyService).verify()).ok).toBe(true);
  });

  it('the 2026 cycle opens with the new roster: Sở NN&MT aggregates and reports, no district', async () => {
    h.clock.set(new Date('2026-01-01T01:00:00.000Z'));
    const opened = await h.app.get(CycleService).open(PLAN, 2026, admin);
    const codes = opened.obligations.map((o) => o.agencyCode);
    expect(codes).toHaveLength(21);
    expect(codes).toContain('SO_NNMT');
    expect(codes).toContain('SO_DTTG');
    expect(codes).toContain('NHNN_KV7');
    expect(codes).not.toContain('SO_NNPTNT');
    const plan = h.app.get(PlanRegistry).get(PLAN);
    expect(codes.filter((c) => plan.agencies.get(c)?.group === 'district')).toEqual([]);
    expect(opened.roster).toMatchObject({
      asOf: '2026-01-01',
      aggregator: { code: 'SO_NNMT', name: 'Sở Nông nghiệp và Môi trường' },
    });
    expect(opened.roster.excluded).toHaveLength(28);
    const nnmt = opened.obligations.find((o) => o.agencyCode === 'SO_NNMT')!;
    expect(nnmt).toMatchObject({ kind: 'directed', agencyName: 'Sở Nông nghiệp và Môi trường' });
    const again = await h.app.get(CycleService).open(PLAN, 2026, admin);
    expect(again.created).toBe(false);
    expect(again.obligations.map((o) => o.id).sort()).toEqual(
      opened.obligations.map((o) => o.id).sort(),
    );
  });
});
