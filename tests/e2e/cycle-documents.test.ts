/**
 * Over HTTP: the cycle statistics with `?at=`, the report to UBND (aggregator only, validation,
 * repeat, conflict) and the two downloads read back (DOCX text with mammoth, XLSX cells with
 * exceljs), with their content types, Vietnamese file names, as-of time and content hash.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NestExpressApplication } from '@nestjs/platform-express';
import ExcelJS from 'exceljs';
import mammoth from 'mammoth';
import request from 'supertest';
import type { Caller } from '../../src/core/access/caller.js';
import { CycleService } from '../../src/cycles/cycle.service.js';
import { Database } from '../../src/database/database.js';
import { CommandService } from '../../src/obligations/command.service.js';
import { STATUS_HEADER_ROW, STATUS_SHEET } from '../../src/reports/status-table.xlsx.js';
import { admin, aggregator, officerOf } from '../support/callers.js';
import { describeEachDatabase } from '../support/databases.js';
import { loginAll, seedUsers, type TestUsername } from '../support/http-auth.js';
import { createTestHttpApp, type TestHarness } from '../support/test-app.js';

const PLAN = 'thanh-hoa-nq46';
const BASE = `/api/plans/${PLAN}/cycles/2024`;
const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
/** 10:00 on 20/11/2024 in Hà Nội; the report to UBND follows at 09:00 on 25/11. */
const BEFORE_REPORT = '2024-11-20T03:00:00.000Z';
const REPORT_DAY = '2024-11-25T02:00:00.000Z';

/** Collects a binary body into a Buffer. */
function binary(res: request.Response, done: (err: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => done(null, Buffer.concat(chunks)));
}

describeEachDatabase('cycle statistics, report to UBND and documents over HTTP', (dialect) => {
  let h: TestHarness<NestExpressApplication>;
  let http: ReturnType<typeof request>;
  let tok: Record<TestUsername, string>;
  let ids: Record<string, string>;
  const as = (user: TestUsername | 'none') => {
    const auth = (r: request.Test) =>
      user === 'none' ? r : r.set('Authorization', `Bearer ${tok[user]}`);
    return {
      get: (url: string) => auth(http.get(url)),
      post: (url: string) => auth(http.post(url)),
      download: (url: string) => auth(http.get(url)).buffer(true).parse(binary),
    };
  };
  const rowCount = () =>
    h.app
      .get(Database)
      .read(async (sql) => [
        await sql.query('SELECT id, stage, version FROM obligations ORDER BY id'),
        await sql.query('SELECT COUNT(*) AS n FROM obligation_events'),
        await sql.query('SELECT * FROM cycles'),
      ]);

  beforeAll(async () => {
    h = await createTestHttpApp(dialect);
    http = request(h.app.getHttpServer());
    await seedUsers(h.app);
    const cmd = h.app.get(CommandService);
    const send = (code: string, type: string, caller: Caller, more: object = {}) =>
      cmd.execute({ obligationId: ids[code]!, type, caller, ...more });
    h.clock.set(new Date('2024-10-01T02:00:00.000Z'));
    const opened = await h.app.get(CycleService).open(PLAN, 2024, admin);
    ids = Object.fromEntries(opened.obligations.map((o) => [o.agencyCode, o.id]));
    for (const code of ['SO_CONGTHUONG', 'H_MUONGLAT', 'TINH_DOAN']) {
      await send(code, 'START_IMPLEMENTATION', officerOf(code), { payload: { planRef: 'KH' } });
    }
    for (const code of ['SO_CONGTHUONG', 'H_MUONGLAT']) {
      await send(code, 'SUBMIT_REPORT', officerOf(code), {
        payload: { reportRef: `${code === 'H_MUONGLAT' ? '45/BC-UBND' : '125/BC-SCT'}` },
      });
      await send(code, 'AGGREGATE', aggregator, { payload: {} });
    }
    h.clock.set(new Date(BEFORE_REPORT));
    // Tỉnh đoàn's paper report, received on 15/11 (late) and recorded on 20/11.
    await send('TINH_DOAN', 'SUBMIT_REPORT', aggregator, {
      payload: { reportRef: '301-BC/TĐTN' },
      effectiveAt: '2024-11-15T08:00:00+07:00',
      reason: 'Báo cáo giấy nhận ngày 15/11/2024',
    });
    h.clock.set(new Date(REPORT_DAY));
    tok = await loginAll(http);
  });
  afterAll(async () => h?.close());

  describe('GET …/cycles/:year', () => {
    it('answers the statistics with the as-of instant, now or ?at=', async () => {
      const now = await as('lanhdao.ubnd').get(BASE).expect(200);
      expect(now.body).toMatchObject({
        planId: PLAN,
        year: 2024,
        at: REPORT_DAY,
        counts: {
          byStatus: {
            IN_PROGRESS_ON_TIME: 0,
            IN_PROGRESS_OVERDUE: 51,
            DONE_ON_TIME: 2,
            DONE_LATE: 1,
          },
        },
        pastDue: 54,
        completedPastDue: 3,
      });
      expect(now.body.overdue).toHaveLength(51);
      expect(
        now.body.byGroup.find((g: { key: string }) => g.key === 'poor-districts'),
      ).toMatchObject({
        total: 6,
        byStatus: { DONE_ON_TIME: 1, IN_PROGRESS_OVERDUE: 5 },
      });
      const early = await as('kiemtoan')
        .get(`${BASE}?at=${encodeURIComponent('2024-11-01T00:00:00+07:00')}`)
        .expect(200);
      expect(early.body.at).toBe('2024-10-31T17:00:00.000Z');
      expect(early.body.counts.byStatus.IN_PROGRESS_OVERDUE).toBe(0);
      expect(early.body.completionRate).toBeNull();
    });

    it('a bad or unknown query parameter is 400 naming it', async () => {
      const bad = await as('kiemtoan').get(`${BASE}?at=yesterday`).expect(400);
      expect(bad.body).toMatchObject({ code: 'VALIDATION_FAILED', fields: [{ path: 'at' }] });
      const unknown = await as('kiemtoan').get(`${BASE}?asOf=2024-11-01T00:00:00Z`).expect(400);
      expect(unknown.body.code).toBe('VALIDATION_FAILED');
    });
  });

  describe('POST …/cycles/:year/report-to-ubnd', () => {
    const url = `${BASE}/report-to-ubnd`;

    it('only the aggregator may: 401 without a token, 403 for every other role; nothing changes', async () => {
      const before = await rowCount();
      const body = { consolidatedReportRef: '15/BC-SNN' };
      await as('none').post(url).send(body).expect(401);
      for (const who of ['admin', 'kiemtoan', 'lanhdao.ubnd', 'canbo.snn', 'canbo.sct'] as const) {
        const res = await as(who).post(url).send(body);
        expect([who, res.status, res.body.code]).toEqual([who, 403, 'FORBIDDEN']);
      }
      expect(await rowCount()).toEqual(before);
    });

    it('a missing, empty or extra field is 400 VALIDATION_FAILED naming it; nothing changes', async () => {
      const before = await rowCount();
      const missing = await as('tonghop.snn').post(url).send({}).expect(400);
      expect(missing.body.fields.map((f: { path: string }) => f.path)).toContain(
        'consolidatedReportRef',
      );
      const empty = await as('tonghop.snn').post(url).send({ consolidatedReportRef: '' });
      expect(empty.status).toBe(400);
      const extra = await as('tonghop.snn')
        .post(url)
        .send({ consolidatedReportRef: '15/BC-SNN', force: true })
        .expect(400);
      expect(extra.body.fields.map((f: { path: string }) => f.path)).toContain('force');
      expect(await rowCount()).toEqual(before);
    });

    it('reports the aggregated obligations and lists the others as not reported', async () => {
      const res = await as('tonghop.snn')
        .post(url)
        .send({ consolidatedReportRef: '15/BC-SNN' })
        .expect(200);
      expect(res.body).toMatchObject({
        consolidatedReportRef: '15/BC-SNN',
        reportedAt: REPORT_DAY,
        reportedBy: 'tonghop.snn',
        repeated: false,
      });
      expect(res.body.reported.map((r: { agencyCode: string }) => r.agencyCode)).toEqual([
        'H_MUONGLAT',
        'SO_CONGTHUONG',
      ]);
      expect(res.body.notReported).toHaveLength(52);
      expect(
        res.body.notReported.find((n: { agencyCode: string }) => n.agencyCode === 'TINH_DOAN'),
      ).toMatchObject({
        agencyName: 'Tỉnh đoàn Thanh Hóa',
        stage: 'report_submitted',
        status: 'DONE_LATE',
        reason: 'Đã gửi báo cáo, chưa được tổng hợp',
      });
      const snn = await as('kiemtoan').get(`/api/obligations/${ids.SO_CONGTHUONG}`).expect(200);
      expect(snn.body.stage).toBe('reported_to_ubnd');
    });

    it('repeating it is safe: the same ref answers repeated, another is 409 ALREADY_REPORTED', async () => {
      const before = await rowCount();
      const again = await as('tonghop.snn')
        .post(url)
        .send({ consolidatedReportRef: '15/BC-SNN' })
        .expect(200);
      expect(again.body.repeated).toBe(true);
      expect(again.body.reported).toHaveLength(2);
      const other = await as('tonghop.snn')
        .post(url)
        .send({ consolidatedReportRef: '16/BC-SNN' })
        .expect(409);
      expect(other.body).toMatchObject({
        code: 'ALREADY_REPORTED',
        consolidatedReportRef: '15/BC-SNN',
      });
      expect(await rowCount()).toEqual(before);
    });
  });

  describe('GET …/report.docx and …/status.xlsx', () => {
    it('the report is a DOCX download with a Vietnamese file name, the as-of time and the hash', async () => {
      const res = await as('lanhdao.ubnd').download(`${BASE}/report.docx`).expect(200);
      expect(res.headers['content-type']).toBe(DOCX);
      expect(res.headers['content-disposition']).toBe(
        'attachment; filename="Bao cao tong hop thanh-hoa-nq46 nam 2024.docx"; ' +
          "filename*=UTF-8''B%C3%A1o%20c%C3%A1o%20t%E1%BB%95ng%20h%E1%BB%A3p%20thanh-hoa-nq46%20n%C4%83m%202024.docx",
      );
      expect(res.headers['x-dondoc-as-of']).toBe(REPORT_DAY);
      const hash = res.headers['x-dondoc-content-hash'] as string;
      expect(hash).toMatch(/^[0-9a-f]{64}$/);
      const text = (await mammoth.extractRawText({ buffer: res.body as Buffer })).value;
      expect(text).toContain('Số: 15/BC-SNN');
      expect(text).toContain('Thanh Hóa, ngày 25 tháng 11 năm 2024');
      expect(text).toContain('(Số liệu tính đến 09 giờ 00 phút ngày 25/11/2024)');
      expect(text).toContain(
        '- Tỉnh đoàn Thanh Hóa: hoàn thành quá hạn; báo cáo số 301-BC/TĐTN ngày 15/11/2024.',
      );
      expect(text).toContain(`Mã kiểm tra dữ liệu (SHA-256): ${hash}`);
    });

    it('as of a time before the report, the number line is left to fill in; the same as-of gives the same bytes', async () => {
      const url = `${BASE}/report.docx?at=${encodeURIComponent(BEFORE_REPORT)}`;
      const first = await as('tonghop.snn').download(url).expect(200);
      const second = await as('admin').download(url).expect(200);
      expect(Buffer.compare(first.body as Buffer, second.body as Buffer)).toBe(0);
      const text = (await mammoth.extractRawText({ buffer: first.body as Buffer })).value;
      expect(text).toContain('Số: …/BC-…');
      expect(text).toContain('Thanh Hóa, ngày 20 tháng 11 năm 2024');
    });

    it('the status table is an XLSX download whose cells carry the statuses, dates and the same hash', async () => {
      const res = await as('kiemtoan').download(`${BASE}/status.xlsx`).expect(200);
      expect(res.headers['content-type']).toBe(XLSX);
      expect(res.headers['content-disposition']).toContain(
        "filename*=UTF-8''B%E1%BA%A3ng%20t%C3%ACnh%20tr%E1%BA%A1ng%20b%C3%A1o%20c%C3%A1o%20thanh-hoa-nq46%20n%C4%83m%202024.xlsx",
      );
      const docx = await as('kiemtoan').download(`${BASE}/report.docx`).expect(200);
      expect(res.headers['x-dondoc-content-hash']).toBe(docx.headers['x-dondoc-content-hash']);
      const wb = new ExcelJS.Workbook();
      await wb.xlsx.load(res.body as unknown as ArrayBuffer);
      const sheet = wb.getWorksheet(STATUS_SHEET)!;
      expect(sheet.getCell('A3').value).toBe(
        'Số liệu tính đến: 09:00 ngày 25/11/2024 (Asia/Ho_Chi_Minh)',
      );
      expect(sheet.getCell('A4').value).toBe(
        `Mã kiểm tra dữ liệu (SHA-256): ${String(res.headers['x-dondoc-content-hash'])}`,
      );
      const rows = new Map<string, unknown[]>();
      for (let r = STATUS_HEADER_ROW + 1; r <= STATUS_HEADER_ROW + 54; r++) {
        const values = (sheet.getRow(r).values as unknown[]).slice(1);
        rows.set(String(values[1]), values);
      }
      expect(rows.get('TINH_DOAN')!.slice(2, 9)).toEqual([
        'Tỉnh đoàn Thanh Hóa',
        'Mặt trận Tổ quốc và các đoàn thể chính trị - xã hội',
        'Đã gửi báo cáo',
        'Hoàn thành quá hạn',
        new Date(Date.UTC(2024, 10, 14)),
        new Date(Date.UTC(2024, 10, 15)),
        '301-BC/TĐTN',
      ]);
      expect(rows.get('SO_CONGTHUONG')![4]).toBe('Đã báo cáo UBND tỉnh');
      expect(rows.get('H_QUANSON')![5]).toBe('Đang thực hiện quá hạn');
    });

    it('officers may not download the cycle documents; without a token it is 401', async () => {
      for (const path of ['report.docx', 'status.xlsx']) {
        const res = await as('canbo.snn').get(`${BASE}/${path}`).expect(403);
        expect(res.body.code).toBe('FORBIDDEN');
        await as('none').get(`${BASE}/${path}`).expect(401);
      }
      await as('admin').get(`/api/plans/${PLAN}/cycles/2030/report.docx`).expect(404);
      const future = await as('admin').get(`${BASE}/status.xlsx?at=2030-01-01T00:00:00Z`);
      expect(future.status).toBe(400);
      expect(future.body.fields[0].path).toBe('at');
    });
  });
});
