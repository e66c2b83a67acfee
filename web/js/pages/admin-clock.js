/**
 * The virtual clock (DONDOC_CLOCK=virtual, for training and simulation): set the application's
 * time, and run the deadline sweep at once. The route is only offered in virtual mode.
 */
import { api } from '../api.js';
import { field, h, mount, tableRegion } from '../dom.js';
import {
  civilDateOf,
  formatCivilDate,
  formatDateTime,
  instantAt,
  parseTimeOfDay,
  parseVietnameseDate,
} from '../format.js';
import { TIMER_KIND_LABELS, label } from '../i18n.js';
import { clearSession } from '../session.js';

/** @param {import('../types').PageContext} ctx */
export async function render({ root, app, reload }) {
  root.append(
    h('h1', {}, 'Đồng hồ mô phỏng'),
    h(
      'p',
      { class: 'lead', 'data-testid': 'clock-now' },
      `Thời gian của hệ thống: ${formatDateTime(app.now())}`,
    ),
    h(
      'p',
      { class: 'muted' },
      'Máy chủ đang chạy với đồng hồ ảo: thời gian chỉ thay đổi khi quản trị viên đặt lại. Dùng để đào tạo và mô phỏng. Phiên đăng nhập cũng tính hạn theo đồng hồ này: đặt thời gian tiến xa sẽ phải đăng nhập lại.',
    ),
  );
  const date = field({
    label: 'Ngày (ngày/tháng/năm)',
    control: h('input', {
      name: 'date',
      type: 'text',
      inputmode: 'numeric',
      placeholder: 'dd/mm/yyyy',
      autocomplete: 'off',
      value: formatCivilDate(civilDateOf(app.now())),
    }),
    required: true,
  });
  const time = field({
    label: 'Giờ (giờ:phút)',
    control: h('input', {
      name: 'time',
      type: 'text',
      inputmode: 'numeric',
      placeholder: '08:00',
      autocomplete: 'off',
      value: formatDateTime(app.now()).slice(11),
    }),
    required: true,
  });
  const error = h('div', { class: 'form-error', role: 'alert' });
  const setButton = h('button', { type: 'submit' }, 'Đặt thời gian');
  const form = h(
    'form',
    { class: 'inline-form', novalidate: true },
    date.element,
    time.element,
    setButton,
    error,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const civil = parseVietnameseDate(date.control.value);
    const minutes = parseTimeOfDay(time.control.value);
    date.setError(
      civil ? null : 'Ngày chưa hợp lệ: hãy nhập theo dạng ngày/tháng/năm, ví dụ 14/11/2025.',
    );
    time.setError(
      minutes !== null ? null : 'Giờ chưa hợp lệ: hãy nhập theo dạng giờ:phút, ví dụ 08:30.',
    );
    if (!civil) return date.control.focus();
    if (minutes === null) return time.control.focus();
    setButton.disabled = true;
    try {
      const result = await api('POST', '/api/admin/clock', {
        body: { now: instantAt(civil, minutes) },
      });
      app.forget('years:');
      const set = `Đã đặt thời gian hệ thống: ${formatDateTime(result.now)}.`;
      // Tokens expire by the application's clock: moving it past this session's expiry ends it.
      if (Date.parse(result.now) >= Date.parse(app.session?.expiresAt ?? '')) {
        clearSession();
        app.forget();
        app.flash(
          `${set} Phiên đăng nhập đã hết hạn theo thời gian mới; hãy đăng nhập lại.`,
          'info',
        );
        location.hash = '#/login?next=%2Fadmin%2Fclock';
        return;
      }
      app.flash(set);
      reload();
    } catch (e) {
      setButton.disabled = false;
      error.textContent = e.message;
    }
  });

  const sweepResult = h('div', { 'aria-live': 'polite' });
  const sweepButton = h('button', { type: 'button', class: 'secondary' }, 'Quét hạn ngay');
  sweepButton.addEventListener('click', async () => {
    sweepButton.disabled = true;
    try {
      const { fired } = await api('POST', '/api/admin/sweep');
      mount(sweepResult, sweepTable(fired));
    } catch (e) {
      mount(sweepResult, h('p', { class: 'form-error', role: 'alert' }, e.message));
    } finally {
      sweepButton.disabled = false;
    }
  });
  root.append(
    h(
      'section',
      { 'aria-labelledby': 'set-clock' },
      h('h2', { id: 'set-clock' }, 'Đặt thời gian'),
      form,
    ),
    h(
      'section',
      { 'aria-labelledby': 'sweep-title' },
      h('h2', { id: 'sweep-title' }, 'Quét hạn'),
      h(
        'p',
        {},
        'Gửi ngay các lần nhắc hạn, thông báo quá hạn và đôn đốc đã đến thời điểm (bình thường hệ thống tự quét mỗi phút).',
      ),
      sweepButton,
      sweepResult,
    ),
  );
}

function sweepTable(fired) {
  if (!fired.length)
    return h('p', { role: 'status' }, 'Không có lần nhắc hạn hay đôn đốc nào đến hạn.');
  const counts = {};
  for (const f of fired) counts[f.type] = (counts[f.type] ?? 0) + 1;
  return h(
    'div',
    { role: 'status' },
    h(
      'p',
      { 'data-testid': 'sweep-summary' },
      `Đã gửi ${fired.length} lượt: `,
      Object.entries(counts)
        .map(([t, n]) => `${label(TIMER_KIND_LABELS, t)} ${n}`)
        .join(', '),
      '.',
    ),
    tableRegion(
      'Kết quả quét hạn',
      h(
        'table',
        { class: 'data' },
        h('caption', {}, 'Các lượt vừa gửi'),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['Nghĩa vụ', 'Loại', 'Cấp'].map((t) => h('th', { scope: 'col' }, t)),
          ),
        ),
        h(
          'tbody',
          {},
          fired
            .slice(0, 200)
            .map((f) =>
              h(
                'tr',
                {},
                h(
                  'td',
                  {},
                  h('a', { href: `#/obligations/${f.obligationId}` }, f.obligationId.slice(0, 8)),
                ),
                h('td', {}, label(TIMER_KIND_LABELS, f.type)),
                h('td', { class: 'num' }, f.level),
              ),
            ),
        ),
      ),
    ),
  );
}
