/**
 * The agencies × stages matrix: one row per agency, the stages it has passed tinted and its
 * current stage filled with its status colour (and named for screen readers).
 */
import { h, tableRegion } from '../dom.js';
import {
  GROUP_LABELS,
  STAGE_LABELS,
  STAGE_SHORT,
  STATUSES,
  STATUS_CLASS,
  STATUS_LABELS,
  label,
} from '../i18n.js';

/** The colour key of the four statuses. */
export function statusLegend() {
  return h(
    'ul',
    { class: 'legend-list', 'aria-label': 'Chú giải màu' },
    STATUSES.map((s) =>
      h('li', {}, h('span', { class: ['swatch', `status-${STATUS_CLASS[s]}`] }), STATUS_LABELS[s]),
    ),
  );
}

/**
 * `rows`: roster rows with their `agency` definition, in display order; `stages`: the machine's
 * main path; `own`: the officer's agency code (marked), or null.
 */
export function statusMatrix(rows, stages, own, year) {
  if (!rows.length) return h('p', { class: 'notice' }, 'Không có cơ quan nào khớp bộ lọc.');
  const rank = Object.fromEntries(stages.map((s, i) => [s, i]));
  const table = h(
    'table',
    { class: 'matrix', 'data-testid': 'matrix' },
    h('caption', {}, `Nghĩa vụ báo cáo năm ${year}: cơ quan × bước quy trình`),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { scope: 'col' }, 'Cơ quan'),
        stages.map((s) =>
          h(
            'th',
            { scope: 'col', class: 'stage-col', title: label(STAGE_LABELS, s) },
            label(STAGE_SHORT, s),
          ),
        ),
        h('th', { scope: 'col' }, 'Trạng thái'),
        h('th', { scope: 'col' }, 'Mức đôn đốc'),
      ),
    ),
    h(
      'tbody',
      {},
      rows.map((r) => {
        const cls = STATUS_CLASS[r.status];
        const at = rank[r.stage];
        return h(
          'tr',
          {
            'data-agency': r.agencyCode,
            'data-status': r.status ?? 'withdrawn',
            class: r.agencyCode === own ? 'own' : null,
          },
          h(
            'th',
            { scope: 'row' },
            h('a', { href: `#/obligations/${r.obligationId}` }, r.agency.name),
            r.agencyCode === own ? h('span', { class: 'badge' }, 'Đơn vị của bạn') : null,
            h('span', { class: 'group-tag' }, label(GROUP_LABELS, r.agency.group)),
          ),
          stages.map((s, i) => {
            if (r.stage === 'withdrawn' || at === undefined || i > at)
              return h('td', { class: 'cell' });
            const current = i === at;
            return h(
              'td',
              { class: ['cell', `status-${cls}`, current ? 'cell-current' : 'cell-passed'] },
              current
                ? h('span', { class: 'sr-only' }, `Bước hiện tại: ${label(STAGE_LABELS, s)}`)
                : h('span', { class: 'sr-only' }, 'Đã qua'),
              current ? '●' : '',
            );
          }),
          h(
            'td',
            { class: 'status-text' },
            r.status
              ? h('span', { class: ['pill', `status-${cls}`] }, STATUS_LABELS[r.status])
              : h('span', { class: 'pill status-withdrawn' }, STAGE_LABELS.withdrawn),
          ),
          h('td', { class: 'num' }, r.escalationLevel ? `Cấp ${r.escalationLevel}` : '—'),
        );
      }),
    ),
  );
  return tableRegion('Bảng tiến độ các cơ quan', table);
}
