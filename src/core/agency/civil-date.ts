/** Civil-date arithmetic on `YYYY-MM-DD` strings (UTC arithmetic: the process TZ never matters). Pure. */
import { DateTime } from 'luxon';

/** The civil date `days` after (or before, when negative) `date`. */
export function addDays(date: string, days: number): string {
  return DateTime.fromISO(date, { zone: 'UTC' }).plus({ days }).toISODate()!;
}

/**
 * A civil date the way Vietnamese administrative text writes it (Nghị định 30/2020): days under 10
 * and the months January and February zero-padded, e.g. `2025-07-01` → "01/7/2025",
 * `2025-02-05` → "05/02/2025".
 */
export function vietnameseDate(date: string): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const day = String(d).padStart(2, '0');
  const month = m <= 2 ? String(m).padStart(2, '0') : String(m);
  return `${day}/${month}/${y}`;
}
