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
  Document,
  Packer,
  Paragraph,
  Table,
  TableCell,
  TableLayoutType,
  TableRow,
  VerticalAlign,
  WidthType,
} from 'docx';
import { STATUSES } from '../core/deadline/obligation-status.js';
import type { Tally } from '../core/stats/cycle-stats.js';
import { STATUS_LABELS_VI } from '../core/stats/labels.js';
import {
  body,
  centered,
  coreProperties,
  FONT,
  heading,
  pageSetup,
  rule,
  run,
  signatureBlock,
  SIZE,
  TEXT_WIDTH,
  type RunStyle,
} from './administrative-docx.js';
import type { AgencyNamer } from './agency-namer.js';
import {
  reportContent,
  type RenderedDocument,
  type ReportContent,
  type ReportInput,
  type ReportRow,
} from './report-content.js';
import { ddmmyyyy, lowerFirst, percent, shortName } from './vietnamese-format.js';
import { stampPackage } from './zip-timestamps.js';

function sectionHeading(text: string): Paragraph {
  return body([run(text, { bold: true })], { spacing: { before: 120, after: 120 } });
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
  const figures = [900, 1100, 1100, 1100, 1100, 1600];
  const widths = [TEXT_WIDTH - figures.reduce((a, b) => a + b, 0), ...figures];
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
  const input = c.input;
  const parts: Array<Paragraph | Table> = [
    body(
      `Thực hiện Kế hoạch ${lowerFirst(input.planTitle)} của ${input.planIssuer}, ` +
        `${input.issuingBody.name} tổng hợp kết quả thực hiện năm ${input.year} ` +
        `của các cơ quan, đơn vị như sau:`,
    ),
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
        ...pageSetup(),
        children: [
          heading({
            body: input.issuingBody,
            number: input.consolidatedReport ? `Số: ${input.consolidatedReport.ref}` : 'Số: …/BC-…',
            place: input.place,
            date: c.asOf.date,
          }),
          ...titleBlock(c),
          ...summarySection(c),
          ...resultsSection(c),
          ...overdueSection(c),
          signatureBlock({
            recipients: [`- ${shortName(input.recipient.name)} (để báo cáo);`],
            ...input.signer,
          }),
          dataNote(c),
        ],
      },
    ],
  });
  const packed = await Packer.toBuffer(doc, false, [
    {
      path: 'docProps/core.xml',
      data: coreProperties({
        title,
        description: `Số liệu tính đến ${input.at}; SHA-256 ${c.contentHash}`,
        at: input.at,
      }),
    },
  ]);
  return {
    bytes: stampPackage(packed, input.at, input.timeZone),
    contentHash: c.contentHash,
    at: c.input.at,
  };
}
