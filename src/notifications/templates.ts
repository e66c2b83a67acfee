/**
 * Vietnamese texts of the notifications (in-app inbox, e-mail, webhook). Pure: a message in,
 * `{ subject, text }` out, always NFC. Dates are shown in Asia/Ho_Chi_Minh as dd/MM/yyyy; a
 * deadline at 00:00 ("trước ngày 15/11") is shown as its last day on time (14/11).
 */
import { DateTime } from 'luxon';
import type { NotificationMessage } from './outbox.js';

export const NOTIFICATION_TIME_ZONE = 'Asia/Ho_Chi_Minh';

export interface RenderedNotification {
  subject: string;
  text: string;
}

const local = (iso: string): DateTime =>
  DateTime.fromISO(iso, { zone: 'utc' }).setZone(NOTIFICATION_TIME_ZONE);

const DATE = 'dd/MM/yyyy';

/** The last local day on which a report is on time: the day before a 00:00 deadline. */
export function lastDayOnTime(dueAt: string): DateTime {
  const due = local(dueAt);
  const midnight = due.equals(due.startOf('day'));
  return (midnight ? due.minus({ days: 1 }) : due).startOf('day');
}

/** `dd/MM/yyyy` of the last day on time. */
export function formatDeadline(dueAt: string): string {
  return lastDayOnTime(dueAt).toFormat(DATE);
}

/** Whole local days from the day of `firedAt` to the last day on time (negative = overdue). */
function daysToLastDay(message: NotificationMessage): number {
  const fired = local(message.firedAt).startOf('day');
  return Math.round(lastDayOnTime(message.dueAt).diff(fired, 'days').days);
}

/** The short label of the step of the ladder, used at the head of the subject. */
function label(message: NotificationMessage): string {
  switch (message.kind) {
    case 'REMIND':
      return `Nhắc hạn lần ${message.level}`;
    case 'DEADLINE_PASSED':
      return 'Quá hạn';
    case 'ESCALATE':
      if (message.level <= 1) return 'Quá hạn';
      if (message.level === 2) return 'Đôn đốc lần 2';
      return `Đôn đốc lần ${message.level} – báo cáo UBND tỉnh`;
  }
}

/**
 * A reminder usually fires before the deadline. It fires after it when the sweep catches up (the
 * service was down at its time) or when a report in at its time is returned after the deadline:
 * every step of the ladder fires once, in order. Its text then says the deadline has passed.
 */
function reminderParagraph(m: NotificationMessage, deadline: string): string {
  const days = daysToLastDay(m);
  const late = -days;
  const left =
    days > 0
      ? `Thời hạn còn ${days + 1} ngày (tính cả ngày ${deadline}).`
      : days === 0
        ? `Hôm nay (${deadline}) là ngày cuối cùng của thời hạn.`
        : `Đến ngày ${local(m.firedAt).toFormat(DATE)}, thời hạn đã hết` +
          `${late > 1 ? `, đã quá hạn ${late} ngày` : ', đã quá hạn'}; lần nhắc hạn này được gửi sau thời hạn.`;
  return (
    `Theo Kế hoạch ${m.planTitle}, ${m.agencyName} gửi báo cáo kết quả thực hiện năm ${m.year} ` +
    `chậm nhất ngày ${deadline}. ${left}\n\n` +
    `Đề nghị ${m.agencyName} khẩn trương hoàn thành, ` +
    `${days < 0 ? 'gửi báo cáo ngay' : 'gửi báo cáo đúng thời hạn'}.`
  );
}

function overdueParagraph(m: NotificationMessage, deadline: string): string {
  // Days after the last day on time; the first overdue day just says "đã quá hạn".
  const late = -daysToLastDay(m);
  const since = late > 1 ? `, đã quá hạn ${late} ngày` : ', đã quá hạn';
  return (
    `Theo Kế hoạch ${m.planTitle}, ${m.agencyName} gửi báo cáo kết quả thực hiện năm ${m.year} ` +
    `chậm nhất ngày ${deadline}. Đến ngày ${local(m.firedAt).toFormat(DATE)}, ` +
    `${m.agencyName} chưa gửi báo cáo${since}.`
  );
}

function body(m: NotificationMessage, deadline: string): string {
  if (m.kind === 'REMIND') {
    const when = daysToLastDay(m) < 0 ? 'gửi sau thời hạn' : 'trước hạn';
    return `${reminderParagraph(m, deadline)}\n\nMức: nhắc hạn lần ${m.level} (${when}).`;
  }
  const overdue = overdueParagraph(m, deadline);
  if (m.kind === 'DEADLINE_PASSED' || m.level <= 1) {
    return (
      `${overdue}\n\nĐề nghị ${m.agencyName} khẩn trương hoàn thành, gửi báo cáo ngay.\n\n` +
      `Mức đôn đốc: ${m.level} – thông báo quá hạn.`
    );
  }
  if (m.level === 2) {
    return (
      `${overdue}\n\nĐây là văn bản đôn đốc lần 2, đồng gửi lãnh đạo Sở để chỉ đạo. ` +
      `Đề nghị ${m.agencyName} gửi báo cáo ngay; nếu tiếp tục chậm, ` +
      `cơ quan tổng hợp sẽ báo cáo UBND tỉnh.\n\n` +
      `Mức đôn đốc: 2 – đôn đốc lần 2, gửi lãnh đạo Sở.`
    );
  }
  return (
    `${overdue}\n\nĐây là văn bản đôn đốc lần ${m.level}. Việc chậm báo cáo của ${m.agencyName} ` +
    `được báo cáo UBND tỉnh để xem xét, chỉ đạo.\n\n` +
    `Mức đôn đốc: ${m.level} – đôn đốc lần ${m.level}, báo cáo UBND tỉnh.`
  );
}

/** The subject and plain text of a notification, in Vietnamese (NFC). */
export function renderNotification(message: NotificationMessage): RenderedNotification {
  const m: NotificationMessage = {
    ...message,
    planTitle: message.planTitle.normalize('NFC'),
    agencyName: message.agencyName.normalize('NFC'),
  };
  const deadline = formatDeadline(m.dueAt);
  const subject =
    `[${label(m)}] ${m.agencyName} – V/v đôn đốc báo cáo kết quả thực hiện Kế hoạch ` +
    `${m.planTitle} năm ${m.year} (hạn ${deadline})`;
  const text =
    `Kính gửi: ${m.agencyName}\n\n${body(m, deadline)}\n\n` +
    `Thông báo tự động của hệ thống đôn đốc báo cáo, lúc ` +
    `${local(m.firedAt).toFormat('HH:mm')} ngày ${local(m.firedAt).toFormat(DATE)}.`;
  return { subject: subject.normalize('NFC'), text: text.normalize('NFC') };
}
