/**
 * The status table as XLSX: one row per obligation (agency, group, stage, status in Vietnamese,
 * last day on time, submission date, report ref) with the totals under it, and a second sheet
 * with the breakdown by group. Data → bytes: the same input and namer always give the same
 * bytes (the workbook's and the zip entries' times are the as-of instant).
 */
import ExcelJS from 'exceljs';
import { STATUSES } from '../core/deadline/obligation-status.js';
import { STATUS_LABELS_VI } from '../core/stats/labels.js';
import type { AgencyNamer } from './agency-namer.js';
import {
  reportContent,
  type RenderedDocument,
  type ReportContent,
  type ReportInput,
} from './report-content.js';
import { ddmmyyyy } from './vietnamese-format.js';
import { stampPackage } from './zip-timestamps.js';

export const STATUS_SHEET = 'Tình trạng';
export const GROUP_SHEET = 'Theo nhóm';

/** The header row of the status sheet (row 6; rows 1–4 are the title, as-of and hash). */
export const STATUS_HEADER = [
  'STT',
  'Mã cơ quan',
  'Cơ quan, đơn vị',
  'Nhóm',
  'Bước hiện tại',
  'Tình trạng',
  'Hạn báo cáo (đến hết ngày)',
  'Ngày gửi báo cáo',
  'Số, ký hiệu báo cáo',
  'Mã nhiệm vụ',
] as const;
export const STATUS_HEADER_ROW = 6;

const DATE_FORMAT = 'dd/mm/yyyy';
const THIN = { style: 'thin' as const };
const BOXED = { top: THIN, bottom: THIN, left: THIN, right: THIN };

/** A civil date as an Excel date (midnight UTC of that day: Excel dates have no zone). */
function excelDate(civilDate: string | null): Date | null {
  if (civilDate === null) return null;
  const [y, m, d] = civilDate.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d));
}

function titleRows(sheet: ExcelJS.Worksheet, c: ReportContent, lastColumn: number): void {
  const lines = [
    `TÌNH TRẠNG THỰC HIỆN BÁO CÁO NĂM ${c.input.year}`,
    `Kế hoạch: ${c.input.planTitle}`,
    `Số liệu tính đến: ${c.asOf.time} ngày ${ddmmyyyy(c.asOf.date)} (${c.input.timeZone})`,
    `Mã kiểm tra dữ liệu (SHA-256): ${c.contentHash}`,
  ];
  lines.forEach((text, i) => {
    const row = sheet.getRow(i + 1);
    row.getCell(1).value = text;
    sheet.mergeCells(i + 1, 1, i + 1, lastColumn);
    row.getCell(1).font = {
      name: 'Times New Roman',
      size: i === 0 ? 14 : 11,
      bold: i === 0,
      italic: i > 1,
    };
    row.getCell(1).alignment = { horizontal: i === 0 ? 'center' : 'left', wrapText: i === 1 };
    if (i === 1) row.height = 45;
  });
}

function statusSheet(workbook: ExcelJS.Workbook, c: ReportContent): void {
  const sheet = workbook.addWorksheet(STATUS_SHEET, {
    pageSetup: {
      paperSize: 9,
      orientation: 'landscape',
      fitToPage: true,
      fitToWidth: 1,
      fitToHeight: 0,
    },
    views: [{ state: 'frozen', ySplit: STATUS_HEADER_ROW }],
  });
  sheet.columns = [6, 20, 48, 30, 22, 26, 16, 16, 22, 38].map((width) => ({ width }));
  titleRows(sheet, c, STATUS_HEADER.length);
  const header = sheet.getRow(STATUS_HEADER_ROW);
  header.values = [...STATUS_HEADER];
  header.font = { name: 'Times New Roman', bold: true };
  header.alignment = { horizontal: 'center', vertical: 'middle', wrapText: true };
  header.eachCell((cell) => (cell.border = BOXED));
  c.rows.forEach((r, i) => {
    const row = sheet.getRow(STATUS_HEADER_ROW + 1 + i);
    row.values = [
      r.no,
      r.agencyCode,
      r.agencyName,
      [r.groupLabel, ...r.tagLabels].join('; '),
      r.stageLabel,
      r.statusLabel,
      excelDate(r.lastDay),
      excelDate(r.submittedOn),
      r.reportRef ?? '',
      r.obligationId,
    ];
    row.getCell(7).numFmt = DATE_FORMAT;
    row.getCell(8).numFmt = DATE_FORMAT;
    row.font = { name: 'Times New Roman' };
    for (let col = 1; col <= STATUS_HEADER.length; col++) row.getCell(col).border = BOXED;
  });
  sheet.autoFilter = {
    from: { row: STATUS_HEADER_ROW, column: 1 },
    to: { row: STATUS_HEADER_ROW + c.rows.length, column: STATUS_HEADER.length },
  };
  // Totals under the table: the label in "Cơ quan, đơn vị", the figure beside it.
  const t = c.statistics.totals;
  const totals: Array<[string, number | null, string?]> = [
    ['Tổng số', t.total],
    ...STATUSES.map((s) => [STATUS_LABELS_VI[s], t.byStatus[s]] as [string, number]),
    ['Đã rút nhiệm vụ (không tính)', t.withdrawn],
    ['Đã đến hạn báo cáo', t.pastDue],
    ['Hoàn thành trong số đã đến hạn', t.completedPastDue],
    ['Tỷ lệ hoàn thành (trên số đã đến hạn)', t.completionRate, '0.0%'],
  ];
  const first = STATUS_HEADER_ROW + c.rows.length + 2;
  totals.forEach(([label, value, format], i) => {
    const row = sheet.getRow(first + i);
    row.getCell(3).value = label;
    row.getCell(4).value = value ?? '–';
    if (format && value !== null) row.getCell(4).numFmt = format;
    row.font = { name: 'Times New Roman', bold: i === 0 };
  });
}

/** The header of the breakdown sheet. */
export const GROUP_HEADER = [
  'Nhóm cơ quan, đơn vị',
  'Tổng số',
  ...STATUSES.map((s) => STATUS_LABELS_VI[s]),
  'Đã đến hạn',
  'Hoàn thành (đã đến hạn)',
  'Tỷ lệ hoàn thành',
];

function groupSheet(workbook: ExcelJS.Workbook, c: ReportContent): void {
  const sheet = workbook.addWorksheet(GROUP_SHEET);
  sheet.columns = [48, 10, 16, 16, 16, 16, 12, 14, 14].map((width) => ({ width }));
  titleRows(sheet, c, GROUP_HEADER.length);
  const header = sheet.getRow(STATUS_HEADER_ROW);
  header.values = GROUP_HEADER;
  header.font = { name: 'Times New Roman', bold: true };
  header.alignment = { horizontal: 'center', vertical: 'middle', wrapText: true };
  const lines = [
    ...c.groups.map((g) => ({ label: g.subset ? `Trong đó: ${g.label}` : g.label, t: g })),
    { label: 'Tổng cộng', t: c.statistics.totals },
  ];
  lines.forEach(({ label, t }, i) => {
    const row = sheet.getRow(STATUS_HEADER_ROW + 1 + i);
    row.values = [
      label,
      t.total,
      ...STATUSES.map((s) => t.byStatus[s]),
      t.pastDue,
      t.completedPastDue,
      t.completionRate ?? '–',
    ];
    if (t.completionRate !== null) row.getCell(GROUP_HEADER.length).numFmt = '0.0%';
    row.font = { name: 'Times New Roman', bold: i === lines.length - 1 };
  });
}

/**
 * Renders the status table of `input`, naming agencies with `namer`.
 * The same input and namer always give the same bytes.
 */
export async function renderStatusTableXlsx(
  input: ReportInput,
  options: { namer: AgencyNamer },
): Promise<RenderedDocument> {
  const c = reportContent(input, options.namer);
  const workbook = new ExcelJS.Workbook();
  const at = new Date(Date.parse(input.at));
  workbook.creator = 'dondoc';
  workbook.lastModifiedBy = 'dondoc';
  workbook.created = at;
  workbook.modified = at;
  workbook.title = `Tình trạng thực hiện báo cáo năm ${input.year}`;
  workbook.subject = input.planTitle;
  workbook.description = `Số liệu tính đến ${input.at}; SHA-256 ${c.contentHash}`;
  statusSheet(workbook, c);
  groupSheet(workbook, c);
  const packed = await workbook.xlsx.writeBuffer();
  return {
    bytes: stampPackage(new Uint8Array(packed as ArrayBuffer), input.at, input.timeZone),
    contentHash: c.contentHash,
    at: input.at,
  };
}
