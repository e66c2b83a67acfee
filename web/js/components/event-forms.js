/**
 * One form per event the user may send now (`allowedEvents`), with the payload's fields, their
 * validation in Vietnamese, and the server's answer mapped back to the fields. The aggregator
 * may also record when a paper report was received (a past effective time, with a reason).
 */
import { api, newIdempotencyKey } from '../api.js';
import { field, h, select } from '../dom.js';
import { EVENT_LABELS, SYSTEM_EVENTS, label } from '../i18n.js';
import {
  formatCivilDate,
  formatDate,
  instantAt,
  parseTimeOfDay,
  parseVietnameseDate,
} from '../format.js';

/**
 * Field definitions per event (payload schemas of the API): `type` is text, textarea, date
 * (typed as dd/mm/yyyy, sent as YYYY-MM-DD) or agency (a select of the plan's agencies).
 */
export const EVENT_FIELDS = {
  START_IMPLEMENTATION: [
    {
      name: 'planRef',
      label: 'Số, ký hiệu kế hoạch của đơn vị',
      max: 200,
      required: true,
      hint: 'Ví dụ: 12/KH-SNN',
    },
  ],
  SUBMIT_REPORT: [
    {
      name: 'reportRef',
      label: 'Số, ký hiệu báo cáo',
      max: 200,
      required: true,
      hint: 'Ví dụ: 45/BC-SNN',
    },
    { name: 'summary', label: 'Tóm tắt kết quả thực hiện', type: 'textarea', max: 5000 },
  ],
  RETURN_REPORT: [
    {
      name: 'reason',
      label: 'Lý do trả lại',
      type: 'textarea',
      max: 2000,
      required: true,
      hint: 'Nêu rõ nội dung cần bổ sung, chỉnh sửa.',
    },
  ],
  VERIFY_REPORT: [],
  AGGREGATE: [],
  REPORT_TO_UBND: [
    {
      name: 'consolidatedReportRef',
      label: 'Số, ký hiệu báo cáo tổng hợp gửi UBND tỉnh',
      max: 200,
      required: true,
      hint: 'Ví dụ: 310/BC-SNN',
    },
  ],
  EXTEND_DEADLINE: [
    {
      name: 'newDueDate',
      label: 'Hạn mới (ngày/tháng/năm)',
      type: 'date',
      required: true,
      hint: 'Báo cáo đúng hạn nếu gửi đến hết ngày này. Ví dụ: 30/11/2025',
    },
    {
      name: 'basis',
      label: 'Căn cứ gia hạn',
      max: 500,
      required: true,
      hint: 'Ví dụ: Công văn số 123/UBND-NN ngày 10/11/2025',
    },
  ],
  TRANSFER: [
    { name: 'toAgency', label: 'Cơ quan nhận chuyển giao', type: 'agency', required: true },
    { name: 'basis', label: 'Căn cứ chuyển giao', max: 500, required: true },
  ],
  WITHDRAW: [{ name: 'basis', label: 'Căn cứ thu hồi', max: 500, required: true }],
};

/** Events that undo or end something: their button is styled as a warning. */
const CAUTION = new Set(['RETURN_REPORT', 'WITHDRAW']);

function validate(def, raw) {
  const value = typeof raw === 'string' ? raw.trim() : raw;
  if (!value) {
    if (!def.required) return null;
    const verb = def.type === 'agency' ? 'chọn' : 'nhập';
    return `Vui lòng ${verb} ${def.label.toLocaleLowerCase('vi')}.`;
  }
  if (def.type === 'date') {
    if (!parseVietnameseDate(value)) {
      return 'Ngày chưa hợp lệ: hãy nhập theo dạng ngày/tháng/năm, ví dụ 14/11/2025.';
    }
    return null;
  }
  if (def.max && value.length > def.max) return `${def.label} dài quá ${def.max} ký tự.`;
  return null;
}

function control(def, agencies) {
  if (def.type === 'textarea')
    return h('textarea', { name: def.name, rows: 3, maxlength: def.max });
  if (def.type === 'agency') {
    return select([['', '— Chọn cơ quan —'], ...agencies.map((a) => [a.code, a.name])], '', {
      name: def.name,
    });
  }
  return h('input', {
    name: def.name,
    type: 'text',
    maxlength: def.max,
    inputmode: def.type === 'date' ? 'numeric' : null,
    placeholder: def.type === 'date' ? 'dd/mm/yyyy' : null,
    autocomplete: 'off',
  });
}

/**
 * The form of one event. `onDone(obligation)` runs after the server accepted it; `onError`
 * shows a message that belongs to the whole page (409: reload).
 */
export function eventForm({ obligation, type, agencies, user, now, onDone, onError }) {
  const defs = EVENT_FIELDS[type] ?? [];
  const fields = defs.map((def) => ({
    def,
    ...field({
      label: def.label,
      control: control(def, agencies),
      hint: def.hint,
      required: def.required,
    }),
  }));
  // The aggregator may record what happened earlier (a report received on paper), and the
  // administrator a transfer from its legal date.
  const backdate =
    user.role === 'aggregator' || (user.role === 'admin' && type === 'TRANSFER')
      ? backdateFields(now)
      : null;
  const formError = h('div', { class: 'form-error', role: 'alert' });
  const title = label(EVENT_LABELS, type);
  const button = h(
    'button',
    { type: 'submit', class: CAUTION.has(type) ? 'caution' : null, 'data-event': type },
    title,
  );
  const form = h(
    'form',
    { class: 'event-form', novalidate: true, 'data-event': type, 'aria-label': title },
    h('h3', {}, title),
    fields.map((f) => f.element),
    backdate?.element,
    formError,
    button,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    formError.textContent = '';
    let firstBad = null;
    for (const f of fields) {
      const message = validate(f.def, f.control.value);
      f.setError(message);
      if (message && !firstBad) firstBad = f.control;
    }
    const when = backdate ? backdate.read() : { ok: true };
    if (!when.ok && !firstBad) firstBad = when.focus;
    if (firstBad) {
      firstBad.focus();
      return;
    }
    const payload = {};
    for (const f of fields) {
      const value = f.control.value.trim();
      if (!value) continue;
      payload[f.def.name] = f.def.type === 'date' ? parseVietnameseDate(value) : value;
    }
    const body = { type, payload, expectedVersion: obligation.version };
    if (when.effectiveAt) {
      body.effectiveAt = when.effectiveAt;
      body.reason = when.reason;
    }
    button.disabled = true;
    try {
      const updated = await api('POST', `/api/obligations/${obligation.id}/events`, {
        body,
        headers: { 'Idempotency-Key': newIdempotencyKey() },
      });
      onDone(updated, title);
    } catch (error) {
      button.disabled = false;
      if (error.status === 400 && error.fields.length) {
        for (const problem of error.fields) {
          const name = String(problem.path).replace(/^payload\./, '');
          const f = fields.find((x) => x.def.name === name);
          if (f) f.setError(`Giá trị chưa hợp lệ (${problem.message}).`);
          else if (backdate && ['effectiveAt', 'reason'].includes(name))
            backdate.setError(name, problem.message);
        }
        formError.textContent = error.message;
      } else if (error.status === 409 || error.status === 422) {
        onError(error);
        formError.textContent = error.message;
      } else if (error.status !== 401) {
        formError.textContent = error.message;
      }
    }
  });
  return form;
}

/** "Received on" date and time and the reason, for a backdated event (aggregator only). */
function backdateFields(now) {
  const date = field({
    label: 'Ngày hiệu lực thực tế (nếu ghi nhận muộn)',
    control: h('input', {
      name: 'effectiveDate',
      type: 'text',
      inputmode: 'numeric',
      placeholder: 'dd/mm/yyyy',
      autocomplete: 'off',
    }),
    hint: `Để trống nếu sự việc diễn ra bây giờ. Hôm nay: ${formatDate(now)}.`,
  });
  const time = field({
    label: 'Giờ hiệu lực (giờ:phút)',
    control: h('input', {
      name: 'effectiveTime',
      type: 'text',
      inputmode: 'numeric',
      placeholder: '08:00',
      autocomplete: 'off',
    }),
  });
  const reason = field({
    label: 'Lý do ghi nhận muộn',
    control: h('textarea', { name: 'backdateReason', rows: 2, maxlength: 2000 }),
    hint: 'Bắt buộc khi nhập ngày hiệu lực, ví dụ: báo cáo bằng văn bản giấy đã vào sổ công văn đến; quyết định sắp xếp có hiệu lực từ ngày 01/3/2025.',
  });
  const element = h(
    'details',
    { class: 'backdate' },
    h('summary', {}, 'Ghi nhận muộn (sự việc đã xảy ra trước đây)'),
    date.element,
    time.element,
    reason.element,
  );
  return {
    element,
    setError(name, message) {
      (name === 'reason' ? reason : date).setError(`Giá trị chưa hợp lệ (${message}).`);
      element.open = true;
    },
    read() {
      date.setError(null);
      time.setError(null);
      reason.setError(null);
      const text = date.control.value.trim();
      if (!text) return { ok: true };
      element.open = true;
      const civil = parseVietnameseDate(text);
      if (!civil) {
        date.setError('Ngày chưa hợp lệ: hãy nhập theo dạng ngày/tháng/năm, ví dụ 14/11/2025.');
        return { ok: false, focus: date.control };
      }
      const minutes = time.control.value.trim() ? parseTimeOfDay(time.control.value) : 8 * 60;
      if (minutes === null) {
        time.setError('Giờ chưa hợp lệ: hãy nhập theo dạng giờ:phút, ví dụ 08:30.');
        return { ok: false, focus: time.control };
      }
      const effectiveAt = instantAt(civil, minutes);
      if (Date.parse(effectiveAt) > Date.parse(now)) {
        date.setError(`Thời điểm hiệu lực không được sau hiện tại (${formatCivilDate(civil)}).`);
        return { ok: false, focus: date.control };
      }
      if (!reason.control.value.trim()) {
        reason.setError('Vui lòng nêu lý do ghi nhận muộn.');
        return { ok: false, focus: reason.control };
      }
      return { ok: true, effectiveAt, reason: reason.control.value.trim() };
    },
  };
}

/** The events a person may send (scheduler events are never offered). */
export function formEvents(allowedEvents) {
  return allowedEvents.filter((e) => !SYSTEM_EVENTS.includes(e));
}
