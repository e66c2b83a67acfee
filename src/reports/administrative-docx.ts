/**
 * The frame of an administrative document as Nghị định 30/2020/NĐ-CP (Phụ lục I) lays it out,
 * as `docx` building blocks: A4 with its margins, Times New Roman, the heading (issuing body under
 * its parent and the number line | Quốc hiệu, Tiêu ngữ, place and date), page numbers from the
 * second page, the signature block with Nơi nhận, and core properties with a fixed time. Pure.
 */
import {
  AlignmentType,
  BorderStyle,
  Header,
  PageNumber,
  Paragraph,
  Table,
  TableCell,
  TableLayoutType,
  TableRow,
  TextRun,
  WidthType,
  type IParagraphOptions,
  type ISectionOptions,
} from 'docx';
import { headingName, placeAndDate } from './vietnamese-format.js';

export const FONT = 'Times New Roman';
/** Font sizes in half-points. */
export const SIZE = { body: 28, heading: 26, table: 24, recipients: 22, note: 20 } as const;
const PAGE = { width: 11906, height: 16838 }; // A4 in twips
/** Millimetres → twips, rounded up so a margin is never below its minimum. */
export const mm = (n: number) => Math.ceil((n * 1440) / 25.4);
/** Top and bottom 20–25 mm, left 30–35 mm, right 15–20 mm. */
const MARGIN = { top: mm(20), bottom: mm(20), left: mm(30), right: mm(15) };
/** The width between the margins, in twips. */
export const TEXT_WIDTH = PAGE.width - MARGIN.left - MARGIN.right;
const NONE = { style: BorderStyle.NONE, size: 0, color: 'FFFFFF' };
const NO_BORDERS = {
  top: NONE,
  bottom: NONE,
  left: NONE,
  right: NONE,
  insideHorizontal: NONE,
  insideVertical: NONE,
};

export interface RunStyle {
  bold?: boolean;
  italics?: boolean;
  size?: number;
}

export function run(text: string, style: RunStyle = {}): TextRun {
  return new TextRun({ text, font: FONT, size: style.size ?? SIZE.body, ...style });
}

export function centered(
  text: string,
  style: RunStyle = {},
  options: IParagraphOptions = {},
): Paragraph {
  return new Paragraph({
    alignment: AlignmentType.CENTER,
    spacing: { before: 0, after: 0 },
    ...options,
    children: [run(text, style)],
  });
}

/** A body paragraph: justified, first line indented 1 cm, line spacing 1.3, 6 pt after. */
export function body(children: TextRun[] | string, options: IParagraphOptions = {}): Paragraph {
  return new Paragraph({
    alignment: AlignmentType.JUSTIFIED,
    indent: { firstLine: mm(10) },
    spacing: { before: 0, after: 120, line: 312 },
    ...options,
    children: typeof children === 'string' ? [run(children)] : children,
  });
}

/** A centred solid line, `share` of `width` long, under a heading part or the trích yếu. */
export function rule(width: number, share: number): Paragraph {
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
    borders: { top: NONE, bottom: NONE, left: NONE, right: NONE },
  });
}

/** Two borderless columns across the text width. */
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

export interface HeadingData {
  /** The issuing body and its parent, as named in full (abbreviated and capitalised here). */
  body: { name: string; parent: string };
  /** The number line, e.g. "Số: 15/BC-SNN", or "Số: …/BC-…" to fill in. */
  number: string;
  place: string;
  /** The civil date of the document, YYYY-MM-DD. */
  date: string;
}

/** The heading: issuing body under its parent and the number | Quốc hiệu, Tiêu ngữ, place and date. */
export function heading(h: HeadingData): Table {
  const leftWidth = Math.round(TEXT_WIDTH * 0.4);
  return twoColumns(
    [
      centered(headingName(h.body.parent), { size: SIZE.heading }),
      centered(headingName(h.body.name), { size: SIZE.heading, bold: true }),
      rule(leftWidth, 1 / 3),
      centered(h.number, { size: SIZE.heading }, { spacing: { before: 120, after: 0 } }),
    ],
    [
      centered('CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM', { size: SIZE.heading, bold: true }),
      centered('Độc lập - Tự do - Hạnh phúc', { size: SIZE.body, bold: true }),
      // As long as the tiêu ngữ (about 6.5 cm at 14 pt).
      rule(TEXT_WIDTH - leftWidth, 0.65),
      centered(
        placeAndDate(h.place, h.date),
        { italics: true },
        { spacing: { before: 120, after: 0 } },
      ),
    ],
    leftWidth,
  );
}

export interface SignatureData {
  /** Recipients without the final "- Lưu: VT, …." line, e.g. "- UBND tỉnh Thanh Hóa (để báo cáo);". */
  recipients: string[];
  /** The signing authority; " / " separates lines ("KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC"). */
  authority: string;
  title: string | null;
  /** Null: the name is written by hand under the signature. */
  name: string | null;
}

/** Nơi nhận on the left, the signing authority and name on the right. */
export function signatureBlock(s: SignatureData): Table {
  const leftWidth = Math.round(TEXT_WIDTH * 0.45);
  const line = (text: string, style: RunStyle) =>
    new Paragraph({ spacing: { before: 0, after: 0 }, children: [run(text, style)] });
  const left = [
    line('Nơi nhận:', { bold: true, italics: true, size: SIZE.table }),
    ...[...s.recipients, '- Lưu: VT, ….'].map((r) => line(r, { size: SIZE.recipients })),
  ];
  const right = [
    ...s.authority.split(' / ').map((text) => centered(text, { bold: true })),
    ...(s.title ? [centered(s.title, { bold: true })] : []),
    ...[1, 2, 3, 4].map(() => centered('')),
    centered(s.name ?? '', { bold: true }),
  ];
  return twoColumns(left, right, leftWidth);
}

/** A4 portrait with the margins, page numbers centred at the top from the second page on. */
export function pageSetup(): Pick<ISectionOptions, 'properties' | 'headers'> {
  return {
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
  };
}

const xmlText = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * The docProps/core.xml part with `at` (ISO) as created and modified: docx itself writes the
 * current time there, so the package replaces its part with this one.
 */
export function coreProperties(p: { title: string; description: string; at: string }): string {
  const at = p.at.replace(/\.\d{3}Z$/, 'Z');
  return (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' +
    '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" ' +
    'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" ' +
    'xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">' +
    `<dc:title>${xmlText(p.title)}</dc:title>` +
    `<dc:creator>dondoc</dc:creator>` +
    `<dc:description>${xmlText(p.description)}</dc:description>` +
    `<cp:lastModifiedBy>dondoc</cp:lastModifiedBy>` +
    `<dcterms:created xsi:type="dcterms:W3CDTF">${at}</dcterms:created>` +
    `<dcterms:modified xsi:type="dcterms:W3CDTF">${at}</dcterms:modified>` +
    '</cp:coreProperties>'
  );
}
