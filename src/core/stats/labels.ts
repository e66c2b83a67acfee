/**
 * Vietnamese words for the statuses and stages, as reports and tables print them. Pure data.
 */
import type { Status } from '../deadline/obligation-status.js';
import type { Stage } from '../machine/obligation-events.js';

/** The four statuses as Quyết định 42/2014/QĐ-TTg words them. */
export const STATUS_LABELS_VI: Readonly<Record<Status, string>> = {
  IN_PROGRESS_ON_TIME: 'Đang thực hiện trong hạn',
  IN_PROGRESS_OVERDUE: 'Đang thực hiện quá hạn',
  DONE_ON_TIME: 'Hoàn thành đúng hạn',
  DONE_LATE: 'Hoàn thành quá hạn',
};

/** The lifecycle stages, as the step an agency is at. */
export const STAGE_LABELS_VI: Readonly<Record<Stage, string>> = {
  plan_drafted: 'Xây dựng kế hoạch',
  implementing: 'Tổ chức thực hiện',
  report_submitted: 'Đã gửi báo cáo',
  report_verified: 'Đã kiểm tra báo cáo',
  aggregated: 'Đã tổng hợp',
  reported_to_ubnd: 'Đã báo cáo UBND tỉnh',
  withdrawn: 'Đã rút nhiệm vụ',
};

/** Shown instead of a status for a withdrawn obligation (it counts in no status). */
export const WITHDRAWN_LABEL_VI = 'Không tính (đã rút nhiệm vụ)';

/** Shown for an obligation that did not exist yet at the as-of time. */
export const NOT_OPENED_LABEL_VI = 'Chưa phát sinh';
