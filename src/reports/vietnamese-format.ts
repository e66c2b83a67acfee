/**
 * How administrative documents write dates, figures and names (Nghị định 30/2020/NĐ-CP,
 * Phụ lục I). Pure.
 */
import { DateTime } from 'luxon';

/** "YYYY-MM-DD" → "dd/mm/yyyy". */
export function ddmmyyyy(civilDate: string): string {
  const [y, m, d] = civilDate.split('-');
  return `${d}/${m}/${y}`;
}

/**
 * The place and date line: "Thanh Hóa, ngày 05 tháng 3 năm 2024". Days under 10 and the months
 * 1 and 2 take a leading zero (so that "tháng 1" cannot be read as 10, 11, 12).
 */
export function placeAndDate(place: string, civilDate: string): string {
  const [y, m, d] = civilDate.split('-').map(Number) as [number, number, number];
  const day = String(d).padStart(2, '0');
  const month = m <= 2 ? String(m).padStart(2, '0') : String(m);
  return `${place}, ngày ${day} tháng ${month} năm ${y}`;
}

/** The civil date and the local time (HH:mm) of an instant in the zone. */
export function localDateTime(instant: string, zone: string): { date: string; time: string } {
  const dt = DateTime.fromISO(instant, { zone: 'utc' }).setZone(zone);
  return { date: dt.toISODate()!, time: dt.toFormat('HH:mm') };
}

/**
 * The last civil day on which a report due at `dueAt` (exclusive) is on time: due 15/11 00:00
 * means "đến hết ngày 14/11".
 */
export function lastDayOnTime(dueAt: string, zone: string): string {
  return DateTime.fromISO(dueAt, { zone: 'utc' })
    .setZone(zone)
    .minus({ milliseconds: 1 })
    .toISODate()!;
}

/** A share as Vietnamese writes it: 0.75 → "75,0%"; null → the dash of an empty cell. */
export function percent(rate: number | null): string {
  if (rate === null) return '–';
  return `${(rate * 100).toFixed(1).replace('.', ',')}%`;
}

/** Common phrases Nghị định 30 allows to abbreviate in an authority's name in the heading. */
const HEADING_ABBREVIATIONS: ReadonlyArray<[RegExp, string]> = [
  [/Ủy ban nhân dân/giu, 'UBND'],
  [/Hội đồng nhân dân/giu, 'HĐND'],
  [/Phát triển nông thôn/giu, 'PTNT'],
];

/** An authority's name as the heading prints it: abbreviated, in capitals ("UBND TỈNH THANH HÓA"). */
export function headingName(name: string): string {
  return shortName(name).toLocaleUpperCase('vi');
}

/** An authority's name in running text, with the same abbreviations ("UBND tỉnh Thanh Hóa"). */
export function shortName(name: string): string {
  let out = name.normalize('NFC');
  for (const [pattern, abbreviation] of HEADING_ABBREVIATIONS)
    out = out.replace(pattern, abbreviation);
  return out;
}

/** The text's first letter in lower case ("Thực hiện …" → "thực hiện …"), for joining titles. */
export function lowerFirst(text: string): string {
  return text.charAt(0).toLocaleLowerCase('vi') + text.slice(1);
}

/** Vietnamese letters without their marks, for ASCII file names: "Báo cáo tổng hợp" → "Bao cao tong hop". */
export function withoutMarks(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').replace(/đ/g, 'd').replace(/Đ/g, 'D');
}

/**
 * A Content-Disposition header for a download with a Vietnamese name (RFC 6266): an ASCII
 * `filename` for old clients and the UTF-8 `filename*`.
 */
export function contentDisposition(fileName: string): string {
  const ascii = withoutMarks(fileName)
    .replace(/[^\x20-\x7e]/g, '_')
    .replace(/["\\]/g, '_');
  const encoded = encodeURIComponent(fileName.normalize('NFC')).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
