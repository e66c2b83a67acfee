/** The signed-in user's inbox: reminders, overdue notices and escalations, newest first. */
import { api } from '../api.js';
import { h } from '../dom.js';
import { formatDateTime } from '../format.js';
import { TIMER_KIND_LABELS, label } from '../i18n.js';

/** @param {import('../types').PageContext} ctx */
export async function render({ root }) {
  const items = await api('GET', '/api/notifications');
  root.append(h('h1', {}, 'Thông báo'));
  if (!items.length) {
    root.append(h('p', { class: 'notice' }, 'Bạn chưa có thông báo nào.'));
    return;
  }
  root.append(
    h('p', { class: 'muted' }, `${items.length} thông báo, mới nhất ở trên.`),
    h(
      'ol',
      { class: 'inbox', 'data-testid': 'inbox' },
      items.map((n) =>
        h(
          'li',
          { class: 'inbox-item', 'data-kind': n.kind },
          h('h2', {}, n.subject),
          h(
            'p',
            { class: 'muted' },
            `${formatDateTime(n.createdAt)} · ${label(TIMER_KIND_LABELS, n.kind)}${n.level ? ` cấp ${n.level}` : ''} · ${n.agencyCode} · năm ${n.year}`,
          ),
          h('p', { class: 'inbox-text' }, n.text),
          n.obligationId
            ? h('a', { href: `#/obligations/${n.obligationId}` }, 'Xem nghĩa vụ')
            : null,
        ),
      ),
    ),
  );
}
