/**
 * The consolidated report (báo cáo tổng hợp) as DOCX, laid out as Nghị định 30/2020/NĐ-CP
 * prescribes for a BÁO CÁO: heading (issuing body under its parent; Quốc hiệu and Tiêu ngữ),
 * number line, place and date, type and summary (trích yếu), body, signature block and Nơi nhận;
 * A4, Times New Roman, margins top/bottom 20 mm, left 30 mm, right 15 mm.
 * Data → bytes: the same input and namer always give the same bytes (every timestamp inside the
 * file is the as-of instant).
 */
import {
  AlignmentType,
  BorderStyle,
  Document,
  Header,
  Packer,
  PageNumber,
  Paragraph,
  Table,
  TableCell,
  TableLayoutType,
  TableRow,
  TextRun,
  VerticalAlign,
  WidthType,
  type IParagraphOptions,
} from 'docx';
import { STATUSES } from '../core/deadline/obligation-status.js';
import type { Tally } from '../core/stats/cycle-stats.js';
import { STATUS_LABELS_VI } from '../core/stats/labels.js';
import type { AgencyNamer } from './agency-namer.js';
import { stampPackage } from './zip-timestamps.js';
import {
  reportContent,
  type RenderedDocument,
  type ReportContent,
  type ReportInput,
  type ReportRow,
} from './report-content.js';
import {
  ddmmyyyy,
  headingName,
  lowerFirst,
  percent,
  placeAndDate,
  shortName,
} from './vietnamese-format.js';

export const DOCX_CONTENT_TYPE =
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

const FONT = 'Times New Roman';
/** Half-points. */
const SIZE = { body: 28, heading: 26, table: 24, recipients: 22, note: 20 } as const;
const PAGE = { width: 11906, height: 16838 }; // A4 in twips
/** Millimetres → twips, rounded up so a margin is never below its minimum. */
const mm = (n: number) => Math.ceil((n * 1440) / 25.4);
/** Nghị định 30: top and bottom 20–25 mm, left 30–35 mm, right 15–20 mm. */
const MARGIN = { top: mm(20), bottom: mm(20), left: mm(30), right: mm(15) };
const TEXT_WIDTH = PAGE.width - MARGIN.left - MARGIN.right;
const NO_BORDERS = {
  top: { style: BorderStyle.NONE, size: 0, color: 'FFFFFF' },
  bottom: { style: BorderStyle.NONE, size: 0, color: 'FFFFFF' },
  left: { style: BorderStyle.NONE, size: 0, color: 'FFFFFF' },
  right: { style: BorderStyle.NONE, size: 0, color: 'FFFFFF' },
  insideHorizontal: { style: BorderStyle.NONE, size: 0, color: 'FFFFFF' },
  insideVertical: { style: BorderStyle.NONE, size: 0, color: 'FFFFFF' },
};

interface RunStyle {
  bold?: boolean;
  italics?: boolean;
  size?: number;
}

function run(text: string, style: RunStyle = {}): TextRun {
  return new TextRun({ text, font: FONT, size: style.size ?? SIZE.body, ...style });
}

function centered(text: string, style: RunStyle = {}, options: IParagraphOptions = {}): Paragraph {
  return new Paragraph({
    alignment: AlignmentType.CENTER,
    spacing: { before: 0, after: 0 },
    ...options,
    children: [run(text, style)],
  });
}

/** A body paragraph: justified, first line indented 1 cm, 6 pt after. */
function body(children: TextRun[] | string, options: IParagraphOptions = {}): Paragraph {
  return new Paragraph({
    alignment: AlignmentType.JUSTIFIED,
    indent: { firstLine: mm(10) },
    spacing: { before: 0, after: 120, line: 312 },
    ...options,
    children: typeof children === 'string' ? [run(children)] : children,
  });
}

function sectionHeading(text: string): Paragraph {
  return body([run(text, { bold: true })], { spacing: { before: 120, after: 120 } });
}

/** A centred solid line, `share` of `width` long, under a heading part or the trích yếu. */
function rule(width: number, share: number): Paragraph {
  const side = Math.round((width * (1 - share)) / 2);
  return new Paragraph({
    spacing: { before: 0, after: 0, line: 240 },
    indent: { left: side, right: side },
    border: { top: { style: BorderStyle.SINGLE, size: 6, color: '000000', space: 1 } },
    children: [],
  });
}

function plainCell(children: Paragraph[], width: number): TableCell {
  return new TableCell({
    children,
    width: { size: width, type: WidthType.DXA },
    borders: {
      top: NO_BORDERS.top,
      bottom: NO_BORDERS.bottom,
      left: NO_BORDERS.left,
      right: NO_BORDERS.right,
    },
  });
}

function twoColumns(left: Paragraph[], right: Paragraph[], leftWidth: number): Table {
  const rightWidth = TEXT_WIDTH - leftWidth;
  return new Table({
    layout: TableLayoutType.FIXED,
    width: { size: TEXT_WIDTH, type: WidthType.DXA },
    columnWidths: [leftWidth, rightWidth],
    borders: NO_BORDERS,
    rows: [new TableRow({ children: [plainCell(left, leftWidth), plainCell(right, rightWidth)] })],
  });
}

/** Heading: issuing body under its parent, number line | Quốc hiệu, Tiêu ngữ, place and date. */
function heading(c: ReportContent): Table {
  const input = c.input;
  const leftWidth = Math.round(TEXT_WIDTH * 0.4);
  const number = input.consolidatedReport ? `Số: ${input.consolidatedReport.ref}` : 'Số: …/BC-…';
  return twoColumns(
    [
      centered(headingName(input.issuingBody.parent), { size: SIZE.heading }),
      centered(headingName(input.issuingBody.name), { size: SIZE.heading, bold: true }),
      rule(leftWidth, 1 / 3),
      centered(number, { size: SIZE.heading }, { spacing: { before: 120, after: 0 } }),
    ],
    [
      centered('CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM', { size: SIZE.heading, bold: true }),
      centered('Độc lập - Tự do - Hạnh phúc', { size: SIZE.body, bold: true }),
      // As long as the tiêu ngữ (about 6.5 cm at 14 pt).
      rule(TEXT_WIDTH - leftWidth, 0.65),
      centered(
        placeAndDate(input.place, c.asOf.date),
        { italics: true },
        { spacing: { before: 120, after: 0 } },
      ),
    ],
    leftWidth,
  );
}

function titleBlock(c: ReportContent): Paragraph[] {
  const [hour, minute] = c.asOf.time.split(':');
  return [
    centered('BÁO CÁO', { bold: true }, { spacing: { before: 360, after: 0 } }),
    centered(`Kết quả thực hiện Kế hoạch ${lowerFirst(c.input.planTitle)} năm ${c.input.year}`, {
      bold: true,
    }),
    centered(`(Số liệu tính đến ${hour} giờ ${minute} phút ngày ${ddmmyyyy(c.asOf.date)})`, {
      italics: true,
    }),
    rule(TEXT_WIDTH, 1 / 3),
    new Paragraph({ spacing: { before: 0, after: 120 }, children: [] }),
  ];
}

function gridCell(text: string, width: number, style: RunStyle = {}, left = false): TableCell {
  return new TableCell({
    width: { size: width, type: WidthType.DXA },
    verticalAlign: VerticalAlign.CENTER,
    children: [
      new Paragraph({
        alignment: left ? AlignmentType.LEFT : AlignmentType.CENTER,
        spacing: { before: 40, after: 40 },
        children: [run(text, { size: SIZE.table, ...style })],
      }),
    ],
  });
}

/** Bảng: the four statuses by agency group, then the totals. */
function statusTable(c: ReportContent): Table {
  const widths = [2455, 900, 1100, 1100, 1100, 1100, 1600];
  const header = [
    'Nhóm cơ quan, đơn vị',
    'Tổng số',
    ...STATUSES.map((s) => STATUS_LABELS_VI[s]),
    'Tỷ lệ hoàn thành (trên số đã đến hạn)',
  ];
  const line = (label: string, t: Tally, style: RunStyle) =>
    new TableRow({
      children: [
        gridCell(label, widths[0]!, style, true),
        gridCell(String(t.total), widths[1]!, style),
        ...STATUSES.map((s, i) => gridCell(String(t.byStatus[s]), widths[i + 2]!, style)),
        gridCell(percent(t.completionRate), widths[6]!, style),
      ],
    });
  return new Table({
    layout: TableLayoutType.FIXED,
    width: { size: TEXT_WIDTH, type: WidthType.DXA },
    columnWidths: widths,
    rows: [
      new TableRow({
        tableHeader: true,
        children: header.map((h, i) => gridCell(h, widths[i]!, { bold: true })),
      }),
      ...c.groups.map((g) =>
        g.subset ? line(`Trong đó: ${g.label}`, g, { italics: true }) : line(g.label, g, {}),
      ),
      line('Tổng cộng', c.statistics.totals, { bold: true }),
    ],
  });
}

function summarySection(c: ReportContent): Array<Paragraph | Table> {
  const t = c.statistics.totals;
  const done = t.byStatus.DONE_ON_TIME + t.byStatus.DONE_LATE;
  const open = t.byStatus.IN_PROGRESS_ON_TIME + t.byStatus.IN_PROGRESS_OVERDUE;
  const parts: Array<Paragraph | Table> = [
    sectionHeading('I. TÌNH HÌNH GỬI BÁO CÁO CỦA CÁC CƠ QUAN, ĐƠN VỊ'),
    body(
      `Tổng số cơ quan, đơn vị phải báo cáo: ${t.total - t.withdrawn - t.notOpened}. ` +
        `Đã gửi báo cáo: ${done} (đúng hạn: ${t.byStatus.DONE_ON_TIME}; quá hạn: ${t.byStatus.DONE_LATE}). ` +
        `Chưa gửi báo cáo: ${open}, trong đó đã quá hạn: ${t.byStatus.IN_PROGRESS_OVERDUE}.`,
    ),
    body(
      t.completionRate === null
        ? 'Chưa có cơ quan, đơn vị nào đến hạn báo cáo.'
        : `Tỷ lệ hoàn thành trên số cơ quan, đơn vị đã đến hạn báo cáo: ${percent(t.completionRate)} ` +
            `(${t.completedPastDue}/${t.pastDue}).`,
    ),
  ];
  if (t.withdrawn > 0) {
    parts.push(body(`Số nhiệm vụ đã được rút, không tính: ${t.withdrawn}.`));
  }
  parts.push(
    centered(
      'Kết quả theo tình trạng thực hiện',
      { italics: true },
      { spacing: { before: 120, after: 120 } },
    ),
    statusTable(c),
    new Paragraph({ spacing: { before: 0, after: 120 }, children: [] }),
  );
  return parts;
}

function agencyLine(r: ReportRow): Paragraph {
  const name = r.tagLabels.length
    ? `${r.agencyName} (${r.tagLabels.map(lowerFirst).join(', ')})`
    : r.agencyName;
  let text: string;
  if (r.stage === null) text = 'chưa phát sinh nhiệm vụ tại thời điểm tổng hợp.';
  else if (r.status === null) text = 'nhiệm vụ đã được rút, không tổng hợp.';
  else if (r.submittedOn !== null) {
    text =
      `${lowerFirst(r.statusLabel)}; báo cáo số ${r.reportRef ?? '…'} ngày ${ddmmyyyy(r.submittedOn)}` +
      (r.reportSummary ? `. ${r.reportSummary}` : '.');
  } else text = `chưa gửi báo cáo (${lowerFirst(r.statusLabel)}).`;
  return body([run(`- ${name}: `, { bold: true }), run(text)]);
}

function resultsSection(c: ReportContent): Paragraph[] {
  const out = [sectionHeading('II. KẾT QUẢ THỰC HIỆN CỦA TỪNG CƠ QUAN, ĐƠN VỊ')];
  const keys = [...new Set(c.rows.map((r) => r.groupKey))];
  keys.forEach((key, i) => {
    const rows = c.rows.filter((r) => r.groupKey === key);
    out.push(body([run(`${i + 1}. ${rows[0]!.groupLabel}`, { bold: true, italics: true })]));
    out.push(...rows.map(agencyLine));
  });
  return out;
}

function overdueSection(c: ReportContent): Paragraph[] {
  const out = [sectionHeading('III. CÁC CƠ QUAN, ĐƠN VỊ CHƯA GỬI BÁO CÁO, ĐÃ QUÁ HẠN')];
  const overdue = c.rows.filter((r) => r.status === 'IN_PROGRESS_OVERDUE');
  if (!overdue.length) out.push(body('Không có.'));
  overdue.forEach((r, i) =>
    out.push(
      body(
        `${i + 1}. ${r.agencyName} (hạn báo cáo: đến hết ngày ${ddmmyyyy(r.lastDay!)}` +
          (r.escalationLevel > 0 ? `; đã đôn đốc cấp ${r.escalationLevel}` : '') +
          ').',
      ),
    ),
  );
  out.push(
    body(
      `Trên đây là báo cáo kết quả thực hiện Kế hoạch năm ${c.input.year} của các cơ quan, đơn vị; ` +
        `${c.input.issuingBody.name} kính báo cáo ${c.input.recipient.name} xem xét, chỉ đạo./.`,
      { spacing: { before: 120, after: 240, line: 312 } },
    ),
  );
  return out;
}

function signatureBlock(c: ReportContent): Table {
  const leftWidth = Math.round(TEXT_WIDTH * 0.45);
  const s = c.input.signer;
  const recipients = [`- ${shortName(c.input.recipient.name)} (để báo cáo);`, '- Lưu: VT, ….'];
  const left = [
    new Paragraph({
      spacing: { before: 0, after: 0 },
      children: [run('Nơi nhận:', { bold: true, italics: true, size: SIZE.table })],
    }),
    ...recipients.map(
      (r) =>
        new Paragraph({
          spacing: { before: 0, after: 0 },
          children: [run(r, { size: SIZE.recipients })],
        }),
    ),
  ];
  const right = [
    ...s.authority.split(' / ').map((line) => centered(line, { bold: true })),
    ...(s.title ? [centered(s.title, { bold: true })] : []),
    ...[1, 2, 3, 4].map(() => centered('')),
    centered(s.name ?? '', { bold: true }),
  ];
  return twoColumns(left, right, leftWidth);
}

function dataNote(c: ReportContent): Paragraph {
  return new Paragraph({
    spacing: { before: 360, after: 0 },
    children: [
      run(
        `Số liệu tính đến ${c.asOf.time} ngày ${ddmmyyyy(c.asOf.date)} (${c.input.timeZone}). ` +
          `Mã kiểm tra dữ liệu (SHA-256): ${c.contentHash}`,
        { italics: true, size: SIZE.note },
      ),
    ],
  });
}

/** The docProps/core.xml part, with the as-of instant as created and modified. */
function coreProperties(c: ReportContent, title: string): string {
  const at = c.input.at.replace(/\.\d{3}Z$/, 'Z');
  const esc = (s: string) =>
    s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  return (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' +
    '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" ' +
    'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" ' +
    'xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">' +
    `<dc:title>${esc(title)}</dc:title>` +
    `<dc:creator>dondoc</dc:creator>` +
    `<dc:description>${esc(`Số liệu tính đến ${c.input.at}; SHA-256 ${c.contentHash}`)}</dc:description>` +
    `<cp:lastModifiedBy>dondoc</cp:lastModifiedBy>` +
    `<dcterms:created xsi:type="dcterms:W3CDTF">${at}</dcterms:created>` +
    `<dcterms:modified xsi:type="dcterms:W3CDTF">${at}</dcterms:modified>` +
    '</cp:coreProperties>'
  );
}

/**
 * Renders the consolidated report of `input`, naming agencies with `namer`.
 * The same input and namer always give the same bytes.
 */
export async function renderConsolidatedReportDocx(
  input: ReportInput,
  options: { namer: AgencyNamer },
): Promise<RenderedDocument> {
  const c = reportContent(input, options.namer);
  const title = `Báo cáo kết quả thực hiện Kế hoạch năm ${input.year}`;
  const doc = new Document({
    title,
    creator: 'dondoc',
    customProperties: [
      { name: 'dondoc.asOf', value: input.at },
      { name: 'dondoc.contentHash', value: c.contentHash },
    ],
    styles: { default: { document: { run: { font: FONT, size: SIZE.body } } } },
    sections: [
      {
        // Nghị định 30: page numbers centred at the top, from the second page on.
        properties: { page: { size: PAGE, margin: MARGIN }, titlePage: true },
        headers: {
          first: new Header({ children: [] }),
          default: new Header({
            children: [
              new Paragraph({
                alignment: AlignmentType.CENTER,
                children: [
                  new TextRun({ children: [PageNumber.CURRENT], font: FONT, size: SIZE.heading }),
                ],
              }),
            ],
          }),
        },
        children: [
          heading(c),
          ...titleBlock(c),
          ...summarySection(c),
          ...resultsSection(c),
          ...overdueSection(c),
          signatureBlock(c),
          dataNote(c),
        ],
      },
    ],
  });
  const packed = await Packer.toBuffer(doc, false, [
    { path: 'docProps/core.xml', data: coreProperties(c, title) },
  ]);
  return {
    bytes: stampPackage(packed, input.at, input.timeZone),
    contentHash: c.contentHash,
    at: c.input.at,
  };
}
