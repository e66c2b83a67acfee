/**
 * Dates and numbers the Vietnamese way, always in Asia/Ho_Chi_Minh whatever the browser's zone:
 * "14/11/2025", "14/11/2025 08:30", "66,7%". Pure functions.
 */
export const TIME_ZONE = 'Asia/Ho_Chi_Minh';

const parts = new Intl.DateTimeFormat('en-GB', {
  timeZone: TIME_ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});

function pieces(instant) {
  const date = instant instanceof Date ? instant : new Date(instant);
  if (Number.isNaN(date.getTime())) return null;
  return Object.fromEntries(parts.formatToParts(date).map((p) => [p.type, p.value]));
}

/** An instant → "14/11/2025" (its civil date in Hà Nội). */
export function formatDate(instant) {
  const p = pieces(instant);
  return p ? `${p.day}/${p.month}/${p.year}` : '';
}

/** An instant → "14/11/2025 08:30". */
export function formatDateTime(instant) {
  const p = pieces(instant);
  return p ? `${p.day}/${p.month}/${p.year} ${p.hour}:${p.minute}` : '';
}

/** A civil date "2025-11-15" → "15/11/2025". */
export function formatCivilDate(civil) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(civil ?? '');
  return m ? `${m[3]}/${m[2]}/${m[1]}` : (civil ?? '');
}

/** The civil date "YYYY-MM-DD" of an instant in Hà Nội. */
export function civilDateOf(instant) {
  const p = pieces(instant);
  return p ? `${p.year}-${p.month}-${p.day}` : null;
}

/**
 * "14/11/2025" (also "14/11/2025", "4/1/2025", "14-11-2025", "14.11.2025") → "2025-11-14";
 * null when it is not a real calendar date.
 */
export function parseVietnameseDate(text) {
  const m = /^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\s*$/.exec(text ?? '');
  if (!m) return null;
  const [d, mo, y] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) {
    return null;
  }
  return `${m[3]}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/** "08:30" → minutes after midnight; null when not a time of day. */
export function parseTimeOfDay(text) {
  const m = /^\s*(\d{1,2})[:h](\d{2})\s*$/.exec(text ?? '');
  if (!m || Number(m[1]) > 23 || Number(m[2]) > 59) return null;
  return Number(m[1]) * 60 + Number(m[2]);
}

/** A civil date and minutes after midnight in Hà Nội → ISO instant with its offset. */
export function instantAt(civil, minutes = 0) {
  const hh = String(Math.floor(minutes / 60)).padStart(2, '0');
  const mm = String(minutes % 60).padStart(2, '0');
  return `${civil}T${hh}:${mm}:00+07:00`;
}

/** The last instant of a civil date in Hà Nội (for "as of the end of that day"). */
export function endOfDay(civil) {
  return `${civil}T23:59:59.999+07:00`;
}

/** Whole days from civil date `a` to civil date `b` (negative when b is earlier). */
export function daysBetween(a, b) {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86_400_000);
}

/**
 * Days left to report, counted in Hà Nội civil days: the last day on which a report is on time
 * is the day before an exclusive deadline at midnight, else the deadline's own day.
 */
export function daysToDeadline(dueAtIso, nowIso) {
  const lastOnTime = civilDateOf(new Date(Date.parse(dueAtIso) - 1));
  return daysBetween(civilDateOf(nowIso), lastOnTime);
}

/** "Còn 5 ngày", "Hạn chót là hôm nay", "Quá hạn 3 ngày". */
export function describeDaysLeft(days) {
  if (days > 0) return `Còn ${days} ngày`;
  if (days === 0) return 'Hạn chót là hôm nay';
  return `Quá hạn ${-days} ngày`;
}

const percent = new Intl.NumberFormat('vi-VN', { style: 'percent', maximumFractionDigits: 1 });
const integer = new Intl.NumberFormat('vi-VN');

/** 0.6667 → "66,7%" (Vietnamese decimal comma). */
export function formatPercent(ratio) {
  return percent.format(ratio);
}

/** 1234 → "1.234". */
export function formatInteger(n) {
  return integer.format(n);
}
