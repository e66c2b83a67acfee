/**
 * The whole story, 2024 → 2025 → 2026, through the services on every database (issue 6 point 5):
 * the 2024 reports and report to UBND; the 2025 cycle across Đông Sơn's merger (01/01/2025), the
 * departments' reorganisation of 01/3/2025 in the middle of the cycle (with transfers) and the
 * districts' abolition of 01/7/2025 (undecided, one mapped by an administrator); the 2026 cycle on
 * the new roster; each year's statistics and documents (DOCX text, XLSX cells) as a user reads them.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { INestApplicationContext } from '@nestjs/common';
import ExcelJS from 'exceljs';
import mammoth from 'mammoth';
import { SuccessionService } from '../../src/agencies/succession.service.js';
import { VerifyService } from '../../src/audit/verify.service.js';
import type { Caller } from '../../src/core/access/caller.js';
import { CycleStatsService } from '../../src/cycles/cycle-stats.service.js';
import { CycleService } from '../../src/cycles/cycle.service.js';
import { ReportToUbndService } from '../../src/cycles/report-to-ubnd.service.js';
import { CommandService } from '../../src/obligations/command.service.js';
import { ObligationQueryService } from '../../src/obligations/obligation-query.service.js';
import { ReportsService } from '../../src/reports/reports.service.js';
import { STATUS_HEADER_ROW, STATUS_SHEET } from '../../src/reports/status-table.xlsx.js';
import { admin, aggregator, auditor, officerOf } from '../support/callers.js';
import { describeEachDatabase } from '../support/databases.js';
import { createTestContext, type TestHarness } from '../support/test-app.js';

const PLAN = 'thanh-hoa-nq46';
/** The aggregator's officer after 01/3/2025 works for Sở Nông nghiệp và Môi trường. */
const aggregatorNnmt: Caller = { ...aggregator, name: 'tonghop.snnmt', agencyCode: 'SO_NNMT' };
const excelDay = (y: number, m: number, d: number) => new Date(Date.UTC(y, m - 1, d));

describeEachDatabase('the 2024 → 2025 → 2026 scenario', (dialect) => {
  let h: TestHarness<INestApplicationContext>;
  let cmd: CommandService;
  let queries: ObligationQueryService;
  let succession: SuccessionService;
  const ids: Record<number, Record<string, string>> = {};

  const at = (iso: string) => h.clock.set(new Date(iso));
  const send = (year: number, code: string, type: string, caller: Caller, more: object = {}) =>
    cmd.execute({ obligationId: ids[year]![code]!, type, caller, payload: {}, ...more });
  /** An officer of `agency` starts and reports on the obligation opened for `code`. */
  const reportOnline = async (year: number, code: string, agency = code) => {
    await send(year, code, 'START_IMPLEMENTATION', officerOf(agency), {
      payload: { planRef: `KH/${code}/${year}` },
    });
    await send(year, code, 'SUBMIT_REPORT', officerOf(agency), {
      payload: { reportRef: `BC/${code}/${year}` },
    });
  };
  const open = async (year: number) => {
    const opened = await h.app.get(CycleService).open(PLAN, year, admin);
    ids[year] = Object.fromEntries(opened.obligations.map((o) => [o.agencyCode, o.id]));
    return opened;
  };
  const stats = (year: number) => h.app.get(CycleStatsService).statistics(PLAN, year);
  const byGroup = async (year: number) =>
    Object.fromEntries((await stats(year)).byGroup.map((g) => [g.key, g]));
  const docxText = async (year: number) => {
    const file = await h.app.get(ReportsService).render('docx', PLAN, year, undefined, auditor);
    return (await mammoth.extractRawText({ buffer: file.bytes })).value;
  };
  /** The status sheet: its title rows and its agency rows by obligation id. */
  const xlsx = async (year: number) => {
    const file = await h.app.get(ReportsService).render('xlsx', PLAN, year, undefined, auditor);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(file.bytes as unknown as ArrayBuffer);
    const sheet = wb.getWorksheet(STATUS_SHEET)!;
    const rows = new Map<string, unknown[]>();
    for (let r = STATUS_HEADER_ROW + 1; ; r++) {
      const values = (sheet.getRow(r).values as unknown[]).slice(1);
      if (typeof values[0] !== 'number') break;
      rows.set(String(values[9]), values);
    }
    return { asOf: sheet.getCell('A3').value, rows };
  };

  beforeAll(async () => {
    h = await createTestContext(dialect);
    cmd = h.app.get(CommandService);
    queries = h.app.get(ObligationQueryService);
    succession = h.app.get(SuccessionService);
  });
  afterAll(async () => h?.close());

  // ───────────────────────────── 2024 ─────────────────────────────

  it('2024: agencies report on time, one late on paper, most never; the aggregator reports to UBND', async () => {
    at('2024-06-01T03:00:00.000Z');
    expect((await open(2024)).obligations).toHaveLength(54);
    at('2024-10-01T02:00:00.000Z');
    for (const code of ['SO_CONGTHUONG', 'H_MUONGLAT', 'SO_YTE']) await reportOnline(2024, code);
    await send(2024, 'TINH_DOAN', 'START_IMPLEMENTATION', officerOf('TINH_DOAN'), {
      payload: { planRef: 'KH/TĐTN' },
    });
    for (const code of ['SO_CONGTHUONG', 'H_MUONGLAT']) {
      await send(2024, code, 'AGGREGATE', aggregator);
    }
    // 20/11: Tỉnh đoàn's paper report, received on 17/11 (after the 14/11 deadline).
    at('2024-11-20T03:00:00.000Z');
    await send(2024, 'TINH_DOAN', 'SUBMIT_REPORT', aggregator, {
      payload: { reportRef: '301-BC/TĐTN' },
      effectiveAt: '2024-11-17T09:00:00+07:00',
      reason: 'Báo cáo giấy nhận ngày 17/11/2024',
    });
    at('2024-11-25T02:00:00.000Z');
    const result = await h.app.get(ReportToUbndService).report(PLAN, 2024, '15/BC-SNN', aggregator);
    expect(result.reported.map((r) => r.agencyCode)).toEqual(['H_MUONGLAT', 'SO_CONGTHUONG']);
    expect(result.notReported).toHaveLength(52);
  });

  it('2024 statistics: the four statuses, the completion rate, the overdue list, the groups', async () => {
    const s = await stats(2024);
    expect(s.counts).toMatchObject({
      byStatus: { IN_PROGRESS_ON_TIME: 0, IN_PROGRESS_OVERDUE: 50, DONE_ON_TIME: 3, DONE_LATE: 1 },
      total: 54,
      withdrawn: 0,
    });
    expect(s.counts.byStage).toMatchObject({ reported_to_ubnd: 2, report_submitted: 2 });
    expect(s.completionRate).toBeCloseTo(4 / 54, 12);
    expect(s.consolidatedReport).toMatchObject({ ref: '15/BC-SNN', reportedBy: 'tonghop.snn' });
    const overdue = s.overdueObligations.map((o) => o.agencyCode);
    expect(overdue).toHaveLength(50);
    expect(overdue).toEqual(expect.arrayContaining(['H_DONGSON', 'SO_KHDT', 'SO_NNPTNT']));
    for (const code of ['SO_CONGTHUONG', 'H_MUONGLAT', 'SO_YTE', 'TINH_DOAN'])
      expect(overdue).not.toContain(code);
    const g = await byGroup(2024);
    expect(g.departments).toMatchObject({
      total: 21,
      byStatus: { IN_PROGRESS_OVERDUE: 19, DONE_ON_TIME: 2, DONE_LATE: 0 },
    });
    expect(g.districts).toMatchObject({
      total: 27,
      byStatus: { IN_PROGRESS_OVERDUE: 26, DONE_ON_TIME: 1 },
    });
    expect(g['poor-districts']).toMatchObject({
      label: 'Các huyện nghèo',
      total: 6,
      byStatus: { IN_PROGRESS_OVERDUE: 5, DONE_ON_TIME: 1, DONE_LATE: 0 },
    });
    expect(g.requested).toMatchObject({ total: 6, byStatus: { DONE_LATE: 1 } });
  });

  it('2024 documents: the report of Sở NN&PTNT numbered 15/BC-SNN, and the status table', async () => {
    const text = await docxText(2024);
    expect(text).toContain('SỞ NÔNG NGHIỆP VÀ PTNT');
    expect(text).toContain('Số: 15/BC-SNN');
    expect(text).toContain('Thanh Hóa, ngày 25 tháng 11 năm 2024');
    expect(text).toContain(
      'Tổng số cơ quan, đơn vị phải báo cáo: 54. Đã gửi báo cáo: 4 (đúng hạn: 3; quá hạn: 1). ' +
        'Chưa gửi báo cáo: 50, trong đó đã quá hạn: 50.',
    );
    expect(text).toContain('(4/54)');
    expect(text).toContain(
      '- Tỉnh đoàn Thanh Hóa: hoàn thành quá hạn; báo cáo số 301-BC/TĐTN ngày 17/11/2024.',
    );
    expect(text).toContain('UBND huyện Đông Sơn (hạn báo cáo: đến hết ngày 14/11/2024).');
    const sheet = await xlsx(2024);
    expect(sheet.asOf).toBe('Số liệu tính đến: 09:00 ngày 25/11/2024 (Asia/Ho_Chi_Minh)');
    expect(sheet.rows.size).toBe(54);
    expect(sheet.rows.get(ids[2024]!.TINH_DOAN!)!.slice(1, 9)).toEqual([
      'TINH_DOAN',
      'Tỉnh đoàn Thanh Hóa',
      'Mặt trận Tổ quốc và các đoàn thể chính trị - xã hội',
      'Đã gửi báo cáo',
      'Hoàn thành quá hạn',
      excelDay(2024, 11, 14),
      excelDay(2024, 11, 17),
      '301-BC/TĐTN',
    ]);
    expect(sheet.rows.get(ids[2024]!.SO_CONGTHUONG!)![4]).toBe('Đã báo cáo UBND tỉnh');
    expect(sheet.rows.get(ids[2024]!.H_DONGSON!)![5]).toBe('Đang thực hiện quá hạn');
  });

  // ───────────────────────────── 2025 ─────────────────────────────

  it('2025 opens on the 01/01/2025 roster (53: Đông Sơn is part of the city); the merger passes Đông Sơn’s 2024 obligation to the city', async () => {
    at('2025-01-02T03:00:00.000Z');
    const opened = await open(2025);
    expect(opened.obligations).toHaveLength(53);
    expect(ids[2025]!.H_DONGSON).toBeUndefined();
    const report = await succession.apply({ date: '2025-01-01' }, admin);
    expect(report.transfers.map((t) => [t.year, t.obligationId, t.fromAgency, t.toAgency])).toEqual(
      [[2024, ids[2024]!.H_DONGSON, 'H_DONGSON', 'TP_THANHHOA']],
    );
    expect(report.undecided).toEqual([]);
  });

  it('before 01/3/2025: Sở NN&PTNT reports, Sở TN&MT starts, Sở Công Thương is aggregated', async () => {
    at('2025-02-10T02:00:00.000Z');
    await reportOnline(2025, 'SO_NNPTNT');
    await send(2025, 'SO_TNMT', 'START_IMPLEMENTATION', officerOf('SO_TNMT'), {
      payload: { planRef: 'KH/STNMT/2025' },
    });
    await reportOnline(2025, 'SO_CONGTHUONG');
    await send(2025, 'SO_CONGTHUONG', 'AGGREGATE', aggregator);
  });

  it('01/3/2025: the reorganisation transfers the open obligations, keeping their ids and histories', async () => {
    at('2025-03-01T03:00:00.000Z');
    const report = await succession.apply({ date: '2025-03-01' }, admin);
    const moves = report.transfers.map((t) => `${t.year} ${t.fromAgency} → ${t.toAgency}`).sort();
    // Both years: the 2024 obligations still open move too (Sở Công Thương, Sở Y tế did not end).
    const departments = [
      'BAN_DANTOC → SO_DTTG',
      'NHNN_CN_THANHHOA → NHNN_KV7',
      'SO_GTVT → SO_XAYDUNG',
      'SO_KHDT → SO_TAICHINH',
      'SO_LDTBXH → SO_GDDT',
      'SO_NNPTNT → SO_NNMT',
      'SO_TNMT → SO_NNMT',
      'SO_TTTT → SO_VHTTDL',
    ];
    expect(moves).toEqual([
      ...departments.map((m) => `2024 ${m}`),
      ...departments.map((m) => `2025 ${m}`),
    ]);
    // Sở LĐ-TB&XH was split; the plan chose Sở GD&ĐT for its task II.2.1.
    expect(report.transfers.filter((t) => t.fromAgency === 'SO_LDTBXH')).toEqual([
      expect.objectContaining({ year: 2024, via: 'plan', tasks: ['II.2.1'] }),
      expect.objectContaining({ year: 2025, via: 'plan', tasks: ['II.2.1'] }),
    ]);
    expect(report.undecided.map((u) => [u.year, u.fromAgency, u.reason])).toEqual([
      [2024, 'SO_NGOAIVU', 'NO_SUCCESSOR'],
      [2025, 'SO_NGOAIVU', 'NO_SUCCESSOR'],
    ]);
    // Same obligation, same history, one TRANSFER on top, effective at 00:00 on 01/3/2025.
    const id = ids[2025]!.SO_NNPTNT!;
    expect(
      report.transfers.find((t) => t.year === 2025 && t.fromAgency === 'SO_NNPTNT'),
    ).toMatchObject({ obligationId: id });
    const history = await queries.history(id, auditor);
    expect(history.map((e) => [e.type, e.actor])).toEqual([
      ['OBLIGATION_OPENED', 'admin'],
      ['START_IMPLEMENTATION', 'officer.so_nnptnt'],
      ['SUBMIT_REPORT', 'officer.so_nnptnt'],
      ['TRANSFER', 'admin'],
    ]);
    expect(history[3]).toMatchObject({
      effectiveAt: '2025-02-28T17:00:00.000Z',
      payload: {
        fromAgency: 'SO_NNPTNT',
        toAgency: 'SO_NNMT',
        basis: expect.stringContaining('45/2025/NĐ-CP'),
      },
    });
    expect(await queries.get(id, auditor)).toMatchObject({
      agencyCode: 'SO_NNMT',
      agencyName: 'Sở Nông nghiệp và Môi trường',
      stage: 'report_submitted',
    });
    expect(await h.app.get(VerifyService).verify()).toMatchObject({ ok: true, problems: [] });
  });

  it('after 01/3/2025 the successors’ officers act on the transferred obligations; the old ones may not', async () => {
    at('2025-03-10T02:00:00.000Z');
    const refused = await send(2025, 'SO_TNMT', 'SUBMIT_REPORT', officerOf('SO_TNMT'), {
      payload: { reportRef: 'BC/STNMT' },
    }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'FORBIDDEN' });
    const view = await send(2025, 'SO_TNMT', 'SUBMIT_REPORT', officerOf('SO_NNMT'), {
      payload: { reportRef: '45/BC-SNNMT' },
    });
    expect(view).toMatchObject({ agencyCode: 'SO_NNMT', stage: 'report_submitted' });
    await reportOnline(2025, 'SO_LDTBXH', 'SO_GDDT');
    await reportOnline(2025, 'SO_KHDT', 'SO_TAICHINH');
    for (const code of ['SO_NNPTNT', 'SO_TNMT', 'SO_LDTBXH']) {
      await send(2025, code, 'AGGREGATE', aggregatorNnmt);
    }
  });

  it('01/7/2025: every district is listed as undecided, nothing moves; an administrator maps one with a basis', async () => {
    at('2025-07-01T01:00:00.000Z');
    const report = await succession.apply({ date: '2025-07-01' }, admin);
    expect(report.transfers).toEqual([]);
    expect(report.ending).toHaveLength(26);
    const districts = (year: number) =>
      report.undecided.filter((u) => u.year === year && u.reason === 'NO_SUCCESSOR');
    // 2025: the 26 districts (Đông Sơn is no longer one); none reported, so none is closed.
    expect(districts(2025)).toHaveLength(26);
    expect(
      districts(2025)
        .map((u) => u.obligationId)
        .sort(),
    ).toEqual(
      Object.entries(ids[2025]!)
        .filter(([code]) => /^(H|TX|TP)_/.test(code))
        .map(([, id]) => id)
        .sort(),
    );
    expect(districts(2025)[0]!.detail).toContain(
      'Đơn vị hành chính cấp huyện kết thúc hoạt động từ ngày 01/7/2025',
    );
    // 2024: the districts' open obligations (Mường Lát was reported to UBND); the city owes two.
    expect(districts(2024)).toHaveLength(26);
    expect(districts(2024).map((u) => u.fromAgency)).not.toContain('H_MUONGLAT');
    expect(districts(2024).filter((u) => u.fromAgency === 'TP_THANHHOA')).toHaveLength(2);
    expect(report.undecided).toHaveLength(52);
    const view = await send(2025, 'H_QUANSON', 'TRANSFER', admin, {
      payload: {
        toAgency: 'SO_DTTG',
        basis: 'Văn bản của UBND tỉnh giao Sở Dân tộc và Tôn giáo tiếp nhận (thử nghiệm)',
      },
    });
    expect(view).toMatchObject({ id: ids[2025]!.H_QUANSON, agencyCode: 'SO_DTTG' });
    const history = await queries.history(ids[2025]!.H_QUANSON!, auditor);
    expect(history.at(-1)).toMatchObject({
      type: 'TRANSFER',
      actor: 'admin',
      payload: {
        fromAgency: 'H_QUANSON',
        toAgency: 'SO_DTTG',
        basis: expect.stringContaining('UBND tỉnh'),
      },
    });
    const next = await succession.plan({ date: '2025-07-01' });
    const left = next.undecided.filter((u) => u.year === 2025).map((u) => u.fromAgency);
    expect(left).toHaveLength(25);
    expect(left).not.toContain('H_QUANSON');
  });

  it('2025 ends: Sở DT&TG reports for Quan Sơn, Sở Xây dựng late on paper, Sở NN&MT reports to UBND', async () => {
    at('2025-10-01T02:00:00.000Z');
    await reportOnline(2025, 'H_QUANSON', 'SO_DTTG');
    await send(2025, 'H_QUANSON', 'AGGREGATE', aggregatorNnmt);
    await send(2025, 'SO_GTVT', 'START_IMPLEMENTATION', officerOf('SO_XAYDUNG'), {
      payload: { planRef: 'KH/SXD/2025' },
    });
    at('2025-11-20T03:00:00.000Z');
    await send(2025, 'SO_GTVT', 'SUBMIT_REPORT', aggregatorNnmt, {
      payload: { reportRef: '210/BC-SXD' },
      effectiveAt: '2025-11-18T08:00:00+07:00',
      reason: 'Báo cáo giấy nhận ngày 18/11/2025',
    });
    at('2025-11-25T02:00:00.000Z');
    const result = await h.app
      .get(ReportToUbndService)
      .report(PLAN, 2025, '20/BC-SNNMT', aggregatorNnmt);
    expect(result.reported.map((r) => r.obligationId).sort()).toEqual(
      ['SO_CONGTHUONG', 'H_QUANSON', 'SO_LDTBXH', 'SO_NNPTNT', 'SO_TNMT']
        .map((c) => ids[2025]![c])
        .sort(),
    );
    expect(result.reported.map((r) => r.agencyCode)).toEqual([
      'SO_CONGTHUONG',
      'SO_DTTG',
      'SO_GDDT',
      'SO_NNMT',
      'SO_NNMT',
    ]);
    expect(result.notReported).toHaveLength(48);
  });

  it('2025 statistics: transferred obligations count for their new agencies; the districts are all overdue', async () => {
    const s = await stats(2025);
    expect(s.counts).toMatchObject({
      byStatus: { IN_PROGRESS_ON_TIME: 0, IN_PROGRESS_OVERDUE: 46, DONE_ON_TIME: 6, DONE_LATE: 1 },
      total: 53,
    });
    expect(s.counts.byStage).toMatchObject({ reported_to_ubnd: 5, report_submitted: 2 });
    expect(s.completionRate).toBeCloseTo(7 / 53, 12);
    expect(s.consolidatedReport).toMatchObject({ ref: '20/BC-SNNMT', reportedBy: 'tonghop.snnmt' });
    const overdue = new Map(s.overdueObligations.map((o) => [o.obligationId, o.agencyName]));
    expect(overdue.size).toBe(46);
    expect(overdue.get(ids[2025]!.SO_NGOAIVU!)).toBe(
      'Sở Ngoại vụ (đã chấm dứt hoạt động từ ngày 01/3/2025)',
    );
    expect(overdue.get(ids[2025]!.H_BATHUOC!)).toBe(
      'UBND huyện Bá Thước (đã chấm dứt hoạt động từ ngày 01/7/2025)',
    );
    expect(overdue.get(ids[2025]!.BAN_DANTOC!)).toBe('Ban Dân tộc (nay là Sở Dân tộc và Tôn giáo)');
    expect(overdue.has(ids[2025]!.H_QUANSON!)).toBe(false);
    const g = await byGroup(2025);
    // Quan Sơn's obligation is now Sở DT&TG's: 21 departments + 1, 26 districts − 1.
    expect(g.departments).toMatchObject({
      total: 22,
      byStatus: { IN_PROGRESS_OVERDUE: 15, DONE_ON_TIME: 6, DONE_LATE: 1 },
    });
    expect(g.districts).toMatchObject({ total: 25, byStatus: { IN_PROGRESS_OVERDUE: 25 } });
    expect(g['poor-districts']).toMatchObject({ total: 5, byStatus: { IN_PROGRESS_OVERDUE: 5 } });
    expect(g.requested).toMatchObject({ total: 6, byStatus: { IN_PROGRESS_OVERDUE: 6 } });
  });

  it('2025 documents: issued by Sở NN&MT, naming agencies as they were and as they are', async () => {
    const text = await docxText(2025);
    expect(text).toContain('SỞ NÔNG NGHIỆP VÀ MÔI TRƯỜNG');
    expect(text).not.toContain('SỞ NÔNG NGHIỆP VÀ PTNT');
    expect(text).toContain('Số: 20/BC-SNNMT');
    expect(text).toContain('Thanh Hóa, ngày 25 tháng 11 năm 2025');
    expect(text).toContain(
      'Tổng số cơ quan, đơn vị phải báo cáo: 53. Đã gửi báo cáo: 7 (đúng hạn: 6; quá hạn: 1). ' +
        'Chưa gửi báo cáo: 46, trong đó đã quá hạn: 46.',
    );
    expect(text).toContain('13,2% (7/53)');
    for (const line of [
      '- Sở Nông nghiệp và PTNT (nay là Sở Nông nghiệp và Môi trường): hoàn thành đúng hạn; báo cáo số BC/SO_NNPTNT/2025 ngày 10/02/2025.',
      '- Sở Tài nguyên và Môi trường (nay là Sở Nông nghiệp và Môi trường): hoàn thành đúng hạn; báo cáo số 45/BC-SNNMT ngày 10/03/2025.',
      '- Sở Lao động - Thương binh và Xã hội (nhiệm vụ nay do Sở Giáo dục và Đào tạo thực hiện): hoàn thành đúng hạn; báo cáo số BC/SO_LDTBXH/2025 ngày 10/03/2025.',
      '- Sở Giao thông vận tải (nay là Sở Xây dựng): hoàn thành quá hạn; báo cáo số 210/BC-SXD ngày 18/11/2025.',
      '- UBND huyện Bá Thước (đã chấm dứt hoạt động từ ngày 01/7/2025) (các huyện nghèo): chưa gửi báo cáo (đang thực hiện quá hạn).',
      '13. Sở Ngoại vụ (đã chấm dứt hoạt động từ ngày 01/3/2025) (hạn báo cáo: đến hết ngày 14/11/2025).',
    ])
      expect(text).toContain(line);
    expect(text).toContain('Sở Nông nghiệp và Môi trường kính báo cáo');
    const sheet = await xlsx(2025);
    expect(sheet.asOf).toBe('Số liệu tính đến: 09:00 ngày 25/11/2025 (Asia/Ho_Chi_Minh)');
    expect(sheet.rows.size).toBe(53);
    expect(sheet.rows.get(ids[2025]!.SO_NNPTNT!)!.slice(1, 9)).toEqual([
      'SO_NNMT',
      'Sở Nông nghiệp và PTNT (nay là Sở Nông nghiệp và Môi trường)',
      'Sở, ban, ngành',
      'Đã báo cáo UBND tỉnh',
      'Hoàn thành đúng hạn',
      excelDay(2025, 11, 14),
      excelDay(2025, 2, 10),
      'BC/SO_NNPTNT/2025',
    ]);
    expect(sheet.rows.get(ids[2025]!.SO_GTVT!)!.slice(1, 9)).toEqual([
      'SO_XAYDUNG',
      'Sở Giao thông vận tải (nay là Sở Xây dựng)',
      'Sở, ban, ngành',
      'Đã gửi báo cáo',
      'Hoàn thành quá hạn',
      excelDay(2025, 11, 14),
      excelDay(2025, 11, 18),
      '210/BC-SXD',
    ]);
    expect(sheet.rows.get(ids[2025]!.H_MUONGLAT!)!.slice(2, 6)).toEqual([
      'UBND huyện Mường Lát (đã chấm dứt hoạt động từ ngày 01/7/2025)',
      'UBND các huyện, thị xã, thành phố; Các huyện nghèo',
      'Xây dựng kế hoạch',
      'Đang thực hiện quá hạn',
    ]);
  });

  // ───────────────────────────── 2026 ─────────────────────────────

  it('2026 opens on the new roster: Sở NN&MT aggregates and reports, no Sở NN&PTNT, no district', async () => {
    at('2026-01-01T01:00:00.000Z');
    const opened = await open(2026);
    // 15 departments after the reorganisation (Sở Ngoại vụ ended with no successor) and the 6
    // requested bodies; the 26 districts ended on 30/6/2025 with no successor.
    expect(opened.obligations.map((o) => [o.agencyCode, o.kind]).sort()).toEqual(
      [
        ...['BQL_KKT_NGHISON', 'NHNN_KV7', 'SO_CONGTHUONG', 'SO_DTTG', 'SO_GDDT', 'SO_KHCN']
          .concat(['SO_NNMT', 'SO_NOIVU', 'SO_TAICHINH', 'SO_TUPHAP', 'SO_VHTTDL', 'SO_XAYDUNG'])
          .concat(['SO_YTE', 'THANHTRA_TINH', 'VP_UBND'])
          .map((c) => [c, 'directed']),
        ...['HOI_CCB_TINH', 'HOI_LHPN_TINH', 'HOI_NONGDAN_TINH', 'LDLD_TINH', 'TINH_DOAN']
          .concat(['UBMTTQ_TINH'])
          .map((c) => [c, 'requested']),
      ].sort(),
    );
    expect(opened.roster).toMatchObject({
      asOf: '2026-01-01',
      aggregator: { code: 'SO_NNMT', name: 'Sở Nông nghiệp và Môi trường' },
    });
    const excluded = opened.roster.excluded.map((e) => e.agencyCode);
    expect(excluded).toContain('SO_NGOAIVU');
    expect(excluded).toEqual(expect.arrayContaining(['TP_THANHHOA', 'H_QUANSON', 'H_BATHUOC']));
    // An officer of Sở NN&MT reports early in the year.
    at('2026-03-02T02:00:00.000Z');
    await reportOnline(2026, 'SO_NNMT');
  });

  it('2026 statistics and documents: nothing due yet, one report on time, no district group', async () => {
    const s = await stats(2026);
    expect(s.counts).toMatchObject({
      byStatus: { IN_PROGRESS_ON_TIME: 20, IN_PROGRESS_OVERDUE: 0, DONE_ON_TIME: 1, DONE_LATE: 0 },
      total: 21,
    });
    expect(s.completionRate).toBeNull();
    expect(s.overdue).toEqual([]);
    expect(s.consolidatedReport).toBeNull();
    const g = await byGroup(2026);
    expect(g.departments).toMatchObject({ total: 15, byStatus: { DONE_ON_TIME: 1 } });
    expect(g.requested).toMatchObject({ total: 6 });
    expect(g.districts?.total ?? 0).toBe(0);
    const text = await docxText(2026);
    expect(text).toContain('SỞ NÔNG NGHIỆP VÀ MÔI TRƯỜNG');
    expect(text).toContain('Số: …/BC-…');
    expect(text).toContain('Thanh Hóa, ngày 02 tháng 3 năm 2026');
    expect(text).toContain(
      'Tổng số cơ quan, đơn vị phải báo cáo: 21. Đã gửi báo cáo: 1 (đúng hạn: 1; quá hạn: 0).',
    );
    expect(text).toContain('Chưa có cơ quan, đơn vị nào đến hạn báo cáo.');
    expect(text).toContain(
      '- Sở Nông nghiệp và Môi trường: hoàn thành đúng hạn; báo cáo số BC/SO_NNMT/2026 ngày 02/03/2026.',
    );
    expect(text).not.toContain('UBND các huyện, thị xã, thành phố');
    expect(text).not.toContain('PTNT');
    const sheet = await xlsx(2026);
    expect(sheet.asOf).toBe('Số liệu tính đến: 09:00 ngày 02/03/2026 (Asia/Ho_Chi_Minh)');
    expect(sheet.rows.size).toBe(21);
    expect(sheet.rows.get(ids[2026]!.SO_NNMT!)!.slice(1, 9)).toEqual([
      'SO_NNMT',
      'Sở Nông nghiệp và Môi trường',
      'Sở, ban, ngành',
      'Đã gửi báo cáo',
      'Hoàn thành đúng hạn',
      excelDay(2026, 11, 14),
      excelDay(2026, 3, 2),
      'BC/SO_NNMT/2026',
    ]);
  });

  it('at the end, the whole audit trail verifies: 54 + 53 + 21 obligations', async () => {
    expect(await h.app.get(VerifyService).verify()).toMatchObject({
      ok: true,
      obligations: 54 + 53 + 21,
      problems: [],
    });
  });
});
