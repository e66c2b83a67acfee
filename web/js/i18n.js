/** Vietnamese labels for the API's codes. Unknown codes fall back to the code itself. */

export const STAGE_LABELS = {
  plan_drafted: 'Xây dựng kế hoạch',
  implementing: 'Tổ chức thực hiện',
  report_submitted: 'Đã gửi báo cáo',
  report_verified: 'Đã kiểm tra báo cáo',
  aggregated: 'Đã tổng hợp',
  reported_to_ubnd: 'Đã báo cáo UBND tỉnh',
  withdrawn: 'Đã thu hồi',
};

/** Short column headings for the dashboard matrix. */
export const STAGE_SHORT = {
  plan_drafted: 'Xây dựng KH',
  implementing: 'Thực hiện',
  report_submitted: 'Gửi báo cáo',
  report_verified: 'Kiểm tra BC',
  aggregated: 'Tổng hợp',
  reported_to_ubnd: 'Báo cáo UBND',
  withdrawn: 'Thu hồi',
};

/** The four statuses of Quyết định 42/2014/QĐ-TTg, in the order the dashboard lists them. */
export const STATUSES = ['IN_PROGRESS_OVERDUE', 'IN_PROGRESS_ON_TIME', 'DONE_LATE', 'DONE_ON_TIME'];

export const STATUS_LABELS = {
  IN_PROGRESS_ON_TIME: 'Đang thực hiện trong hạn',
  IN_PROGRESS_OVERDUE: 'Đang thực hiện quá hạn',
  DONE_ON_TIME: 'Hoàn thành đúng hạn',
  DONE_LATE: 'Hoàn thành quá hạn',
};

/** CSS class suffix of each status (colours in styles.css). */
export const STATUS_CLASS = {
  IN_PROGRESS_ON_TIME: 'on-time',
  IN_PROGRESS_OVERDUE: 'overdue',
  DONE_ON_TIME: 'done-on-time',
  DONE_LATE: 'done-late',
};

export const EVENT_LABELS = {
  OBLIGATION_OPENED: 'Mở nghĩa vụ báo cáo',
  START_IMPLEMENTATION: 'Bắt đầu tổ chức thực hiện',
  SUBMIT_REPORT: 'Gửi báo cáo',
  RETURN_REPORT: 'Trả lại báo cáo',
  VERIFY_REPORT: 'Xác nhận đã kiểm tra báo cáo',
  AGGREGATE: 'Tổng hợp',
  REPORT_TO_UBND: 'Báo cáo UBND tỉnh',
  EXTEND_DEADLINE: 'Gia hạn',
  TRANSFER: 'Chuyển giao cho cơ quan khác',
  WITHDRAW: 'Thu hồi nghĩa vụ',
  REMIND: 'Nhắc hạn',
  DEADLINE_PASSED: 'Quá hạn báo cáo',
  ESCALATE: 'Đôn đốc',
  MIGRATED: 'Chuyển phiên bản quy trình',
};

/** Events only the scheduler sends: never offered as a form. */
export const SYSTEM_EVENTS = ['REMIND', 'DEADLINE_PASSED', 'ESCALATE'];

export const ROLE_LABELS = {
  admin: 'Quản trị hệ thống',
  aggregator: 'Cán bộ tổng hợp',
  officer: 'Cán bộ đơn vị',
  leader: 'Lãnh đạo UBND tỉnh',
  auditor: 'Kiểm tra viên',
};

export const GROUP_LABELS = {
  department: 'Sở, ban, ngành',
  bank: 'Ngân hàng Nhà nước',
  district: 'UBND cấp huyện',
  requested: 'Mặt trận, đoàn thể (đề nghị)',
};

export const KIND_LABELS = {
  directed: 'Giao nhiệm vụ (chỉ đạo)',
  requested: 'Đề nghị phối hợp',
};

export const TIMER_KIND_LABELS = {
  REMIND: 'Nhắc hạn',
  DEADLINE_PASSED: 'Quá hạn',
  ESCALATE: 'Đôn đốc',
};

export const AUDIT_PROBLEM_LABELS = {
  HASH_MISMATCH: 'Mã băm không khớp nội dung sự kiện',
  SEQUENCE_GAP: 'Chuỗi sự kiện bị đứt (thiếu số thứ tự)',
  REPLAY_MISMATCH: 'Phát lại không khớp trạng thái đang lưu',
  MISSING_TAIL: 'Thiếu sự kiện cuối chuỗi',
  LEDGER_MISMATCH: 'Sổ cái chung không khớp',
};

export const POLICY_LABELS = {
  'fixed-exclusive': 'Mốc cố định: báo cáo trước 00:00 ngày đã nêu, không lùi ngày',
  'civil-code-roll-forward':
    'Theo Điều 147–148 Bộ luật Dân sự: hết 24:00 ngày cuối; ngày cuối là ngày nghỉ thì lùi sang ngày làm việc tiếp theo',
  extended: 'Đã gia hạn',
};

const WEEKDAY_REASONS = { Saturday: 'Thứ Bảy', Sunday: 'Chủ nhật' };

/** Why a day was not a working day: weekday names in Vietnamese, holiday names as given. */
export function dayOffReason(reason) {
  return WEEKDAY_REASONS[reason] ?? reason;
}

export const label = (table, code) => table[code] ?? code;
