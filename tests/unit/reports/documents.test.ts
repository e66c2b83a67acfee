/**
 * The consolidated report (DOCX) and the status table (XLSX), read back: the DOCX's text with
 * mammoth, its layout from the package XML, the XLSX's cells with exceljs.
 */
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import ExcelJS from 'exceljs';
import mammoth from 'mammoth';
import { planAgencyNamer, type AgencyNamer } from '../../../src/reports/agency-namer.js';
import { renderConsolidatedReportDocx } from '../../../src/reports/consolidated-report.docx.js';
import {
  GROUP_SHEET,
  renderStatusTableXlsx,
  STATUS_HEADER,
  STATUS_HEADER_ROW,
  STATUS_SHEET,
} from '../../../src/reports/status-table.xlsx.js';
import { placeAndDate } from '../../../src/reports/vietnamese-format.js';
import { zipEntries, zipText } from '../../support/zip.js';
import { AT, input, plan } from './report-fixture.js';

const namer = planAgencyNamer(plan);
const docxText = async (bytes: Buffer) => (await mammoth.extractRawText({ buffer: bytes })).value;
/** The non-empty lines of a text (mammoth puts each paragraph and cell on its own line). */
const lines = (text: string) =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);

async function workbook(bytes: Buffer): Promise<ExcelJS.Workbook> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(bytes as unknown as ArrayBuffer);
  return wb;
}

/** Only `Date` is faked: the zip libraries and the core properties read the wall clock. */
function fakeWallClock(at: string): void {
  jest.useFakeTimers({
    now: new Date(at),
    doNotFake: [
      'hrtime',
      'nextTick',
      'performance',
      'queueMicrotask',
      'requestAnimationFrame',
      'cancelAnimationFrame',
      'requestIdleCallback',
      'cancelIdleCallback',
      'setImmediate',
      'clearImmediate',
      'setInterval',
      'clearInterval',
      'setTimeout',
      'clearTimeout',
    ],
  });
}

afterEach(() => {
  jest.useRealTimers();
});

describe('the place and date line (Nghị định 30)', () => {
  it('zero-pads days under 10 and the months 1 and 2 only', () => {
    expect(placeAndDate('Thanh Hóa', '2024-03-05')).toBe('Thanh Hóa, ngày 05 tháng 3 năm 2024');
    expect(placeAndDate('Thanh Hóa', '2025-02-07')).toBe('Thanh Hóa, ngày 07 tháng 02 năm 2025');
    expect(placeAndDate('Thanh Hóa', '2026-01-19')).toBe('Thanh Hóa, ngày 19 tháng 01 năm 2026');
    expect(placeAndDate('Thanh Hóa', '2024-12-25')).toBe('Thanh Hóa, ngày 25 tháng 12 năm 2024');
  });
});

describe('the consolidated report (DOCX)', () => {
  it('has the Nghị định 30 heading, trích yếu, the as-of time and the number line to fill in', async () => {
    const doc = await renderConsolidatedReportDocx(input(), { namer });
    const text = lines(await docxText(doc.bytes));
    expect(text.slice(0, 9)).toEqual([
      'UBND TỈNH THANH HÓA',
      'SỞ NÔNG NGHIỆP VÀ PTNT',
      'Số: …/BC-…',
      'CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM',
      'Độc lập - Tự do - Hạnh phúc',
      'Thanh Hóa, ngày 20 tháng 11 năm 2024',
      'BÁO CÁO',
      'Kết quả thực hiện Kế hoạch thực hiện Nghị quyết số 46-NQ/TW của Bộ Chính trị và Chương ' +
        'trình hành động số 60-CTr/TU ngày 23/02/2024 của Ban Thường vụ Tỉnh ủy về đổi mới, nâng ' +
        'cao chất lượng hoạt động của Hội Nông dân Việt Nam đáp ứng yêu cầu nhiệm vụ cách mạng ' +
        'trong giai đoạn mới năm 2024',
      '(Số liệu tính đến 10 giờ 00 phút ngày 20/11/2024)',
    ]);
    expect(text[9]).toBe(
      'Thực hiện Kế hoạch thực hiện Nghị quyết số 46-NQ/TW của Bộ Chính trị và Chương trình hành ' +
        'động số 60-CTr/TU ngày 23/02/2024 của Ban Thường vụ Tỉnh ủy về đổi mới, nâng cao chất ' +
        'lượng hoạt động của Hội Nông dân Việt Nam đáp ứng yêu cầu nhiệm vụ cách mạng trong giai ' +
        'đoạn mới của Ủy ban nhân dân tỉnh Thanh Hóa, Sở Nông nghiệp và Phát triển nông thôn tổng ' +
        'hợp kết quả thực hiện năm 2024 của các cơ quan, đơn vị như sau:',
    );
    expect(text.join('\n')).toBe(text.join('\n').normalize('NFC'));
  });

  it('states the counts and the completion rate, with the four-status table by group', async () => {
    const text = lines(
      await docxText((await renderConsolidatedReportDocx(input(), { namer })).bytes),
    );
    expect(text).toContain(
      'Tổng số cơ quan, đơn vị phải báo cáo: 53. Đã gửi báo cáo: 4 (đúng hạn: 2; quá hạn: 2). ' +
        'Chưa gửi báo cáo: 49, trong đó đã quá hạn: 48.',
    );
    expect(text).toContain(
      'Tỷ lệ hoàn thành trên số cơ quan, đơn vị đã đến hạn báo cáo: 7,7% (4/52).',
    );
    const header = text.indexOf('Nhóm cơ quan, đơn vị');
    expect(text.slice(header, header + 7)).toEqual([
      'Nhóm cơ quan, đơn vị',
      'Tổng số',
      'Đang thực hiện trong hạn',
      'Đang thực hiện quá hạn',
      'Hoàn thành đúng hạn',
      'Hoàn thành quá hạn',
      'Tỷ lệ hoàn thành (trên số đã đến hạn)',
    ]);
    const row = (label: string) => text.slice(text.indexOf(label), text.indexOf(label) + 7);
    expect(row('Sở, ban, ngành')).toEqual(['Sở, ban, ngành', '21', '1', '17', '1', '1', '10,5%']);
    expect(row('Trong đó: Các huyện nghèo')).toEqual([
      'Trong đó: Các huyện nghèo',
      '6',
      '0',
      '5',
      '1',
      '0',
      '16,7%',
    ]);
    expect(row('Tổng cộng')).toEqual(['Tổng cộng', '54', '1', '48', '2', '2', '7,7%']);
  });

  it('gives each agency its result, lists the overdue ones, and ends with the signature and Nơi nhận', async () => {
    const text = lines(
      await docxText((await renderConsolidatedReportDocx(input(), { namer })).bytes),
    );
    expect(text).toContain(
      '- Sở Công Thương: hoàn thành đúng hạn; báo cáo số 125/BC-SCT ngày 10/11/2024. ' +
        'Đã tổ chức 12 hội nghị xúc tiến thương mại cho nông sản.',
    );
    expect(text).toContain(
      '- Tỉnh đoàn Thanh Hóa: hoàn thành quá hạn; báo cáo số 301-BC/TĐTN ngày 15/11/2024.',
    );
    expect(text).toContain(
      '- UBND huyện Mường Lát (các huyện nghèo): hoàn thành đúng hạn; báo cáo số 45/BC-UBND ngày 13/11/2024.',
    );
    expect(text).toContain(
      '- Sở Khoa học và Công nghệ: chưa gửi báo cáo (đang thực hiện trong hạn).',
    );
    expect(text).toContain('- Sở Ngoại vụ: nhiệm vụ đã được rút, không tổng hợp.');
    const overdue = text.filter((l) => /^\d+\. .*\(hạn báo cáo: /.test(l));
    expect(overdue).toHaveLength(48);
    expect(overdue).toContainEqual(
      expect.stringMatching(
        /^\d+\. UBND huyện Quan Sơn \(hạn báo cáo: đến hết ngày 14\/11\/2024; đã đôn đốc cấp 2\)\.$/,
      ),
    );
    expect(overdue.join('\n')).not.toContain('Sở Khoa học và Công nghệ');
    const tail = text.slice(text.indexOf('Nơi nhận:'));
    expect(tail).toEqual([
      'Nơi nhận:',
      '- UBND tỉnh Thanh Hóa (để báo cáo);',
      '- Lưu: VT, ….',
      'GIÁM ĐỐC',
      expect.stringMatching(
        /^Số liệu tính đến 10:00 ngày 20\/11\/2024 \(Asia\/Ho_Chi_Minh\)\. Mã kiểm tra dữ liệu \(SHA-256\): [0-9a-f]{64}$/,
      ),
    ]);
    expect(text).toContain(
      'Trên đây là báo cáo kết quả thực hiện Kế hoạch năm 2024 của các cơ quan, đơn vị; ' +
        'Sở Nông nghiệp và Phát triển nông thôn kính báo cáo Ủy ban nhân dân tỉnh Thanh Hóa xem xét, chỉ đạo./.',
    );
  });

  it('is A4 in Times New Roman with margins top/bottom 20, left 30, right 15 mm, numbered from page 2', async () => {
    const { bytes } = await renderConsolidatedReportDocx(input(), { namer });
    const xml = zipText(bytes, 'word/document.xml');
    expect(xml).toMatch(/<w:pgSz w:w="11906" w:h="16838"/);
    const margins = /<w:pgMar w:top="(\d+)" w:right="(\d+)" w:bottom="(\d+)" w:left="(\d+)"/.exec(
      xml,
    )!;
    const mm = (twips: string) => (Number(twips) * 25.4) / 1440;
    expect(mm(margins[1]!)).toBeGreaterThanOrEqual(20);
    expect(mm(margins[1]!)).toBeLessThanOrEqual(25);
    expect(mm(margins[3]!)).toBeGreaterThanOrEqual(20);
    expect(mm(margins[4]!)).toBeGreaterThanOrEqual(30);
    expect(mm(margins[4]!)).toBeLessThanOrEqual(35);
    expect(mm(margins[2]!)).toBeGreaterThanOrEqual(15);
    expect(mm(margins[2]!)).toBeLessThanOrEqual(20);
    expect(zipText(bytes, 'word/styles.xml')).toContain('w:ascii="Times New Roman"');
    // Page numbers centred at the top from page 2: the first page has its own, empty header.
    expect(xml).toContain('<w:titlePg/>');
    const headers = zipEntries(bytes).filter((e) => e.name.startsWith('word/header'));
    expect(headers.map((e) => /<w:instrText[^>]*>PAGE</.test(e.data.toString())).sort()).toEqual([
      false,
      true,
    ]);
  });

  it('leaves out groups without obligations (a year without districts)', async () => {
    const base = input();
    const noDistricts = {
      ...base,
      obligations: base.obligations.filter((o) => o.group !== 'district'),
    };
    const text = lines(
      await docxText((await renderConsolidatedReportDocx(noDistricts, { namer })).bytes),
    );
    expect(text).not.toContain('UBND các huyện, thị xã, thành phố');
    expect(text).not.toContain('Trong đó: Các huyện nghèo');
    const total = text.indexOf('Tổng cộng');
    expect(text.slice(total, total + 2)).toEqual(['Tổng cộng', '27']);
  });

  it('prints the recorded consolidated report number once the cycle is reported', async () => {
    const doc = await renderConsolidatedReportDocx(
      input({ consolidatedReport: { ref: '15/BC-SNN', reportedAt: AT } }),
      { namer },
    );
    expect(lines(await docxText(doc.bytes))).toContain('Số: 15/BC-SNN');
  });

  it('names agencies through the injected namer', async () => {
    const successor: AgencyNamer = (code) =>
      code === 'SO_NNPTNT'
        ? 'Sở Nông nghiệp và PTNT (nay là Sở Nông nghiệp và Môi trường)'
        : namer(code);
    const plain = await renderConsolidatedReportDocx(input(), { namer });
    const renamed = await renderConsolidatedReportDocx(input(), { namer: successor });
    expect(lines(await docxText(renamed.bytes))).toContain(
      '- Sở Nông nghiệp và PTNT (nay là Sở Nông nghiệp và Môi trường): chưa gửi báo cáo (đang thực hiện quá hạn).',
    );
    expect(renamed.contentHash).not.toBe(plain.contentHash);
  });
});

describe('the status table (XLSX)', () => {
  it('has the title, the as-of time, the hash and the header', async () => {
    const doc = await renderStatusTableXlsx(input(), { namer });
    const sheet = (await workbook(doc.bytes)).getWorksheet(STATUS_SHEET)!;
    expect(sheet.getCell('A1').value).toBe('TÌNH TRẠNG THỰC HIỆN BÁO CÁO NĂM 2024');
    expect(sheet.getCell('A3').value).toBe(
      'Số liệu tính đến: 10:00 ngày 20/11/2024 (Asia/Ho_Chi_Minh)',
    );
    expect(sheet.getCell('A4').value).toBe(`Mã kiểm tra dữ liệu (SHA-256): ${doc.contentHash}`);
    expect((sheet.getRow(STATUS_HEADER_ROW).values as unknown[]).slice(1)).toEqual([
      ...STATUS_HEADER,
    ]);
  });

  it('has one row per obligation with its group, stage, status in Vietnamese and dates', async () => {
    const sheet = (
      await workbook((await renderStatusTableXlsx(input(), { namer })).bytes)
    ).getWorksheet(STATUS_SHEET)!;
    const rows = new Map<string, unknown[]>();
    for (let r = STATUS_HEADER_ROW + 1; r <= STATUS_HEADER_ROW + 54; r++) {
      const values = (sheet.getRow(r).values as unknown[]).slice(1);
      rows.set(String(values[1]), values);
    }
    expect(rows.size).toBe(54);
    expect(rows.get('SO_CONGTHUONG')!.slice(0, 9)).toEqual([
      4,
      'SO_CONGTHUONG',
      'Sở Công Thương',
      'Sở, ban, ngành',
      'Đã tổng hợp',
      'Hoàn thành đúng hạn',
      new Date(Date.UTC(2024, 10, 14)),
      new Date(Date.UTC(2024, 10, 10)),
      '125/BC-SCT',
    ]);
    expect(rows.get('H_MUONGLAT')!.slice(2, 6)).toEqual([
      'UBND huyện Mường Lát',
      'UBND các huyện, thị xã, thành phố; Các huyện nghèo',
      'Đã tổng hợp',
      'Hoàn thành đúng hạn',
    ]);
    expect(rows.get('SO_KHCN')![5]).toBe('Đang thực hiện trong hạn');
    expect(rows.get('SO_KHCN')![6]).toEqual(new Date(Date.UTC(2024, 10, 30)));
    expect(rows.get('TINH_DOAN')![5]).toBe('Hoàn thành quá hạn');
    expect(rows.get('H_QUANSON')![5]).toBe('Đang thực hiện quá hạn');
    expect(rows.get('SO_NGOAIVU')![5]).toBe('Không tính (đã rút nhiệm vụ)');
    const sct = [...rows.values()].findIndex((v) => v[1] === 'SO_CONGTHUONG');
    expect(sheet.getRow(STATUS_HEADER_ROW + 1 + sct).getCell(7).numFmt).toBe('dd/mm/yyyy');
  });

  it('totals the statuses under the table and by group on the second sheet', async () => {
    const wb = await workbook((await renderStatusTableXlsx(input(), { namer })).bytes);
    const sheet = wb.getWorksheet(STATUS_SHEET)!;
    const totals = new Map<string, unknown>();
    sheet.eachRow((row, n) => {
      if (n > STATUS_HEADER_ROW + 54)
        totals.set(String(row.getCell(3).value), row.getCell(4).value);
    });
    expect(Object.fromEntries(totals)).toMatchObject({
      'Tổng số': 54,
      'Đang thực hiện trong hạn': 1,
      'Đang thực hiện quá hạn': 48,
      'Hoàn thành đúng hạn': 2,
      'Hoàn thành quá hạn': 2,
      'Đã rút nhiệm vụ (không tính)': 1,
      'Đã đến hạn báo cáo': 52,
      'Hoàn thành trong số đã đến hạn': 4,
    });
    expect(totals.get('Tỷ lệ hoàn thành (trên số đã đến hạn)')).toBeCloseTo(4 / 52, 12);
    const groups = wb.getWorksheet(GROUP_SHEET)!;
    const byLabel = new Map<string, unknown[]>();
    groups.eachRow((row, n) => {
      if (n > STATUS_HEADER_ROW)
        byLabel.set(String(row.getCell(1).value), (row.values as unknown[]).slice(2));
    });
    expect(byLabel.get('Trong đó: Các huyện nghèo')!.slice(0, 7)).toEqual([6, 0, 5, 1, 0, 6, 1]);
    expect(byLabel.get('Tổng cộng')!.slice(0, 7)).toEqual([54, 1, 48, 2, 2, 52, 4]);
  });
});

describe('the same data always gives the same document', () => {
  it('two renders at different wall-clock times are byte-identical (DOCX and XLSX)', async () => {
    fakeWallClock('2031-01-02T03:04:05.000Z');
    const docx1 = await renderConsolidatedReportDocx(input(), { namer });
    const xlsx1 = await renderStatusTableXlsx(input(), { namer });
    jest.setSystemTime(new Date('2033-07-08T09:10:11.000Z'));
    const docx2 = await renderConsolidatedReportDocx(input(), { namer });
    const xlsx2 = await renderStatusTableXlsx(input(), { namer });
    expect(Buffer.compare(docx1.bytes, docx2.bytes)).toBe(0);
    expect(Buffer.compare(xlsx1.bytes, xlsx2.bytes)).toBe(0);
    // Every timestamp inside is the as-of instant (10:00 on 20/11/2024 in Hà Nội).
    for (const bytes of [docx1.bytes, xlsx1.bytes]) {
      for (const e of zipEntries(bytes)) {
        expect([e.time, e.date]).toEqual([
          (10 << 11) | (0 << 5),
          ((2024 - 1980) << 9) | (11 << 5) | 20,
        ]);
      }
      expect(zipText(bytes, 'docProps/core.xml')).toContain(
        '<dcterms:modified xsi:type="dcterms:W3CDTF">2024-11-20T03:00:00Z</dcterms:modified>',
      );
    }
  });

  it('both documents carry the same content hash; a change of data changes it', async () => {
    const docx = await renderConsolidatedReportDocx(input(), { namer });
    const xlsx = await renderStatusTableXlsx(input(), { namer });
    expect(docx.contentHash).toMatch(/^[0-9a-f]{64}$/);
    expect(xlsx.contentHash).toBe(docx.contentHash);
    const changed = await renderConsolidatedReportDocx(
      input({}, { SO_CONGTHUONG: { reportRef: '126/BC-SCT' } }),
      { namer },
    );
    expect(changed.contentHash).not.toBe(docx.contentHash);
    expect(Buffer.compare(changed.bytes, docx.bytes)).not.toBe(0);
    expect(lines(await docxText(changed.bytes)).join('\n')).toContain(changed.contentHash);
  });

  it('a later as-of with the same figures keeps the hash; the printed as-of and date change', async () => {
    const later = '2024-11-21T08:30:00.000Z'; // 15:30 on 21/11: no status changes in between
    const a = await renderConsolidatedReportDocx(input(), { namer });
    const b = await renderConsolidatedReportDocx(input({ at: later }), { namer });
    expect(b.contentHash).toBe(a.contentHash);
    expect(b.at).toBe(later);
    expect(lines(await docxText(b.bytes))).toContain('Thanh Hóa, ngày 21 tháng 11 năm 2024');
  });

  it('an as-of before 1980, which zip cannot store, still renders (entries dated 1/1/1980)', async () => {
    const doc = await renderConsolidatedReportDocx(input({ at: '1975-04-30T04:00:00.000Z' }), {
      namer,
    });
    for (const e of zipEntries(doc.bytes)) expect([e.time, e.date]).toEqual([0, (1 << 5) | 1]);
    expect(lines(await docxText(doc.bytes))).toContain('Thanh Hóa, ngày 30 tháng 4 năm 1975');
  });
});
