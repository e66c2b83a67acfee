/** What the scheduler has fired for a cycle: reminders, overdue notices and escalation levels. */
import { api } from '../api.js';
import { h, tableRegion } from '../dom.js';
import { formatDateTime } from '../format.js';
import { TIMER_KIND_LABELS, label } from '../i18n.js';
import { planYearPicker } from '../components/plan-year-picker.js';

/** @param {import('../types').PageContext} ctx */
export async function render({ root, query, app, isCurrent }) {
  const picker = await planYearPicker({
    query,
    onChange: (p, y) => {
      location.hash = `#/escalations?plan=${encodeURIComponent(p)}&year=${y ?? ''}`;
    },
  });
  root.append(h('h1', {}, 'Nhắc hạn và đôn đốc'), picker.element);
  if (!picker.year) return;
  const { planId, year, plan } = picker;
  const fired = await api(
    'GET',
    `/api/escalations?planId=${encodeURIComponent(planId)}&year=${year}`,
  );
  if (!isCurrent()) return;
  const directory = await app.agencyDirectory(plan, `${year}-01-01`);
  const name = (code) => directory.get(code)?.name ?? code;
  if (!fired.length) {
    root.append(h('p', { class: 'notice' }, 'Chưa có lần nhắc hạn hay đôn đốc nào trong kỳ này.'));
    return;
  }
  const count = (kind, level) =>
    fired.filter((f) => f.kind === kind && (level === undefined || f.level === level)).length;
  const levels = [
    ...new Set(fired.filter((f) => f.kind === 'ESCALATE').map((f) => f.level)),
  ].sort();
  root.append(
    h(
      'ul',
      { class: 'cards' },
      h(
        'li',
        { class: 'card' },
        h('span', { class: 'card-label' }, 'Nhắc hạn'),
        h('strong', { class: 'card-value' }, count('REMIND')),
      ),
      h(
        'li',
        { class: 'card card-overdue' },
        h('span', { class: 'card-label' }, 'Thông báo quá hạn'),
        h('strong', { class: 'card-value' }, count('DEADLINE_PASSED')),
      ),
      levels.map((l) =>
        h(
          'li',
          { class: 'card' },
          h('span', { class: 'card-label' }, `Đôn đốc cấp ${l}`),
          h('strong', { class: 'card-value' }, count('ESCALATE', l)),
        ),
      ),
    ),
    tableRegion(
      'Danh sách nhắc hạn và đôn đốc',
      h(
        'table',
        { class: 'data', 'data-testid': 'escalations' },
        h('caption', {}, `Các lần nhắc hạn, đôn đốc năm ${year}, theo thời gian`),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['Thời điểm', 'Cơ quan', 'Loại', 'Cấp', 'Người nhận'].map((t) =>
              h('th', { scope: 'col' }, t),
            ),
          ),
        ),
        h(
          'tbody',
          {},
          [...fired]
            .reverse()
            .map((f) =>
              h(
                'tr',
                { 'data-kind': f.kind },
                h('td', {}, formatDateTime(f.firedAt)),
                h(
                  'th',
                  { scope: 'row' },
                  h('a', { href: `#/obligations/${f.obligationId}` }, name(f.agencyCode)),
                ),
                h('td', {}, label(TIMER_KIND_LABELS, f.kind)),
                h('td', { class: 'num' }, f.level),
                h(
                  'td',
                  {},
                  f.recipients.length ? f.recipients.join(', ') : 'Không có tài khoản nhận',
                ),
              ),
            ),
        ),
      ),
    ),
  );
}
