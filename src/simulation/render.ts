/** The text report of a simulation: the timeline by day, then the statuses by agency group. */
import { DateTime } from 'luxon';
import type { Status } from '../core/deadline/obligation-status.js';
import type { AgencyGroup } from '../core/plan/plan.types.js';
import type { SimulationResult, Tally, TimelineEvent } from './simulate.js';

/** Agency codes listed on one timeline line before the rest are counted. */
const MAX_LISTED = 8;

/** The four statuses as Quyết định 42/2014/QĐ-TTg words them. */
export const STATUS_LABELS: Record<Status, string> = {
  IN_PROGRESS_ON_TIME: 'Đang thực hiện trong hạn',
  IN_PROGRESS_OVERDUE: 'Đang thực hiện quá hạn',
  DONE_ON_TIME: 'Hoàn thành đúng hạn',
  DONE_LATE: 'Hoàn thành quá hạn',
};

const GROUP_LABELS: Record<AgencyGroup, string> = {
  department: 'Sở, ban, ngành',
  bank: 'Ngân hàng',
  district: 'UBND cấp huyện',
  requested: 'MTTQ, đoàn thể (đề nghị)',
};

/** YYYY-MM-DD → dd/MM/yyyy. */
export function vietnameseDate(civilDate: string): string {
  const [y, m, d] = civilDate.split('-');
  return `${d}/${m}/${y}`;
}

function levelLabel(level: string): string {
  if (level === '0') return 'Chưa quá hạn / không bị đôn đốc';
  if (level === '1') return 'Cao nhất: quá hạn (cấp 1)';
  return `Cao nhất: đôn đốc cấp ${level}`;
}

function eventLine(event: TimelineEvent, everyone: number): string {
  const n = event.agencies.length;
  const head = `${event.label} → ${n} cơ quan`;
  if (n === everyone) return head;
  const listed = event.agencies.slice(0, MAX_LISTED).join(', ');
  return `${head}: ${listed}${n > MAX_LISTED ? `, … (+${n - MAX_LISTED})` : ''}`;
}

/** A table with a left-aligned first column and right-aligned numbers. */
function numberTable(headers: string[], rows: Array<string[] | null>): string[] {
  const cells = rows.filter((r): r is string[] => r !== null);
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  const line = (row: string[]) =>
    row
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(headers), rule, ...rows.map((r) => (r ? line(r) : rule))];
}

export function renderText(result: SimulationResult): string {
  const everyone = result.totals.agencies;
  const due = DateTime.fromISO(result.dueAt, { zone: result.timeZone });
  const lines: string[] = [
    `Mô phỏng kế hoạch ${result.planId}, năm ${result.year}: ${everyone} cơ quan, ` +
      `tỷ lệ nộp báo cáo ${result.submitRate}, seed ${result.seed}.`,
    `Hạn báo cáo: ${due.toFormat('HH:mm dd/MM/yyyy')} (${result.timeZone}); ` +
      `mô phỏng từ ${vietnameseDate(result.from)} đến ${vietnameseDate(result.to)} ` +
      `(${result.days} ngày), trên cơ sở dữ liệu tạm.`,
    '',
    'Diễn biến theo ngày:',
  ];
  if (result.timeline.length === 0) lines.push('  (không có sự kiện nào)');
  for (const day of result.timeline) {
    const date = vietnameseDate(day.date);
    day.events.forEach((event, i) => {
      lines.push(`${i === 0 ? date : ' '.repeat(date.length)}  ${eventLine(event, everyone)}`);
    });
  }

  const columns: Array<{ title: string; tally: Tally }> = [
    ...result.byGroup.map((g) => ({ title: g.group, tally: g })),
    { title: 'Tổng', tally: result.totals },
  ];
  const row = (label: string, value: (t: Tally) => number) => [
    label,
    ...columns.map((c) => String(value(c.tally))),
  ];
  const statusRows = (Object.keys(STATUS_LABELS) as Status[]).map((s) =>
    row(STATUS_LABELS[s], (t) => t.byStatus[s]),
  );
  const levelRows = Object.keys(result.totals.byLevel).map((level) =>
    row(levelLabel(level), (t) => t.byLevel[level] ?? 0),
  );
  lines.push(
    '',
    `Kết quả ngày ${vietnameseDate(result.to)}, theo nhóm cơ quan:`,
    ...numberTable(
      [`Tình trạng`, ...columns.map((c) => c.title)],
      [...statusRows, null, ...levelRows, null, row('Số cơ quan', (t) => t.agencies)],
    ),
    '',
    'Nhóm: ' + result.byGroup.map((g) => `${g.group} = ${GROUP_LABELS[g.group]}`).join('; ') + '.',
  );
  return lines.join('\n');
}
