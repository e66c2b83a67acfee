/**
 * The cycle dashboard: for a plan and year, the counts by the four statuses, the completion rate,
 * days to the deadline, a breakdown by agency group, and the agencies × stages matrix (overdue
 * first; an officer's own agency on top), filtered by group and status.
 */
import { api } from '../api.js';
import { field, h, mount, select, tableRegion } from '../dom.js';
import {
  describeDaysLeft,
  daysToDeadline,
  formatDate,
  formatDateTime,
  formatInteger,
  formatPercent,
} from '../format.js';
import { STATUSES, STATUS_CLASS, STATUS_LABELS } from '../i18n.js';
import { mainStages } from '../lifecycle-layout.js';
import { planYearPicker } from '../components/plan-year-picker.js';
import { statusLegend, statusMatrix } from '../components/status-matrix.js';

/** Dashboard group filters: value → [label, test on an agency definition]. */
const GROUP_FILTERS = {
  all: ['Tất cả cơ quan', () => true],
  departments: ['Sở, ban, ngành', (a) => a.group === 'department' || a.group === 'bank'],
  districts: ['UBND cấp huyện', (a) => a.group === 'district'],
  requested: ['Mặt trận, đoàn thể (được đề nghị)', (a) => a.group === 'requested'],
  'poor-districts': ['06 huyện nghèo', (a) => (a.tags ?? []).includes('poor-district')],
};

const STATUS_ORDER = Object.fromEntries(STATUSES.map((s, i) => [s, i]));

/** @param {import('../types').PageContext} ctx */
export async function render({ root, query, app, isCurrent }) {
  const go = (planId, year, extra = {}) => {
    const params = new URLSearchParams({ plan: planId, ...(year ? { year } : {}), ...extra });
    location.hash = `#/dashboard?${params}`;
  };
  const picker = await planYearPicker({ query, onChange: (p, y) => go(p, y) });
  root.append(h('h1', {}, 'Bảng theo dõi thực hiện kế hoạch'), picker.element);
  if (!picker.year) {
    if (app.user.role === 'admin') {
      root.append(h('p', {}, h('a', { href: '#/admin/cycles' }, 'Mở kỳ báo cáo')));
    }
    return;
  }
  const { planId, year, plan } = picker;
  const base = `/api/plans/${encodeURIComponent(planId)}/cycles/${year}`;
  const [summary, roster, machine] = await Promise.all([
    api('GET', base),
    api('GET', `${base}/status`),
    app.machine(planId),
  ]);
  if (!isCurrent()) return;
  // Names, groups and tags as on 1 January of the cycle year (the roster's reference date).
  const agencies = await app.agencyDirectory(plan, `${year}-01-01`);
  const planOrder = new Map(plan.agencies.map((a, i) => [a.code, i]));
  const stages = mainStages(machine);
  const own = app.user.role === 'officer' ? app.user.agencyCode : null;
  const rows = roster.obligations
    .map((o) => ({
      ...o,
      agency: agencies.get(o.agencyCode) ?? { code: o.agencyCode, name: o.agencyCode, tags: [] },
    }))
    .sort(
      (a, b) =>
        Number(b.agencyCode === own) - Number(a.agencyCode === own) ||
        (STATUS_ORDER[a.status] ?? 9) - (STATUS_ORDER[b.status] ?? 9) ||
        b.escalationLevel - a.escalationLevel ||
        (planOrder.get(a.agencyCode) ?? 1e6) - (planOrder.get(b.agencyCode) ?? 1e6),
    );

  root.append(summarySection(summary, app.now()));
  // An officer's roster holds only their own agency: a local breakdown would mislead.
  if (Array.isArray(summary.byGroup) || app.user.role !== 'officer') {
    root.append(groupSection(summary, rows));
  }

  const groupSelect = select(
    Object.entries(GROUP_FILTERS).map(([value, [text]]) => [value, text]),
    GROUP_FILTERS[query.group] ? query.group : 'all',
    { name: 'group' },
  );
  const statusSelect = select(
    [['all', 'Tất cả trạng thái'], ...STATUSES.map((s) => [s, STATUS_LABELS[s]])],
    STATUS_LABELS[query.status] ? query.status : 'all',
    { name: 'status' },
  );
  const search = h('input', {
    type: 'search',
    name: 'q',
    value: query.q ?? '',
    autocomplete: 'off',
  });
  const shown = h('p', { class: 'filter-result', role: 'status', 'aria-live': 'polite' });
  const tableHolder = h('div');

  const apply = () => {
    const test = GROUP_FILTERS[groupSelect.value][1];
    const needle = search.value.trim().toLocaleLowerCase('vi');
    const visible = rows.filter(
      (r) =>
        test(r.agency) &&
        (statusSelect.value === 'all' || r.status === statusSelect.value) &&
        (!needle ||
          r.agency.name.toLocaleLowerCase('vi').includes(needle) ||
          r.agencyCode.toLowerCase().includes(needle)),
    );
    const counts = STATUSES.map(
      (s) => `${STATUS_LABELS[s]}: ${visible.filter((r) => r.status === s).length}`,
    );
    mount(
      shown,
      `Đang hiển thị ${visible.length} trên ${rows.length} cơ quan. `,
      h('span', { class: 'filter-counts' }, counts.join(' · ')),
    );
    mount(tableHolder, statusMatrix(visible, stages, own, year));
    const params = new URLSearchParams({ plan: planId, year });
    if (groupSelect.value !== 'all') params.set('group', groupSelect.value);
    if (statusSelect.value !== 'all') params.set('status', statusSelect.value);
    if (search.value.trim()) params.set('q', search.value.trim());
    history.replaceState(null, '', `#/dashboard?${params}`);
  };
  groupSelect.addEventListener('change', apply);
  statusSelect.addEventListener('change', apply);
  search.addEventListener('input', apply);

  root.append(
    h(
      'section',
      { 'aria-labelledby': 'matrix-title' },
      h('h2', { id: 'matrix-title' }, 'Tiến độ từng cơ quan'),
      h(
        'div',
        { class: 'filters', role: 'group', 'aria-label': 'Lọc danh sách' },
        field({ label: 'Nhóm cơ quan', control: groupSelect }).element,
        field({ label: 'Trạng thái', control: statusSelect }).element,
        field({ label: 'Tìm cơ quan', control: search }).element,
      ),
      shown,
      statusLegend(),
      tableHolder,
    ),
  );
  apply();
}

function summarySection(summary, now) {
  const byStatus = summary.counts.byStatus;
  const total = Object.values(summary.counts.byStage).reduce((a, b) => a + b, 0);
  const submitted = (byStatus.DONE_ON_TIME ?? 0) + (byStatus.DONE_LATE ?? 0);
  const days = daysToDeadline(summary.dueAt, now);
  return h(
    'section',
    { 'aria-labelledby': 'summary-title', class: 'summary' },
    h('h2', { id: 'summary-title' }, 'Tổng quan kỳ báo cáo'),
    h(
      'ul',
      { class: 'cards' },
      h(
        'li',
        { class: 'card card-deadline' },
        h('span', { class: 'card-label' }, 'Hạn báo cáo'),
        h(
          'strong',
          { class: 'card-value', 'data-testid': 'deadline' },
          `Hết ngày ${formatDate(new Date(Date.parse(summary.dueAt) - 1))}`,
        ),
        h(
          'span',
          { class: ['card-note', days < 0 ? 'text-overdue' : null], 'data-testid': 'days-left' },
          describeDaysLeft(days),
        ),
      ),
      STATUSES.map((s) =>
        h(
          'li',
          { class: ['card', `card-${STATUS_CLASS[s]}`], 'data-status': s },
          h('span', { class: 'card-label' }, STATUS_LABELS[s]),
          h('strong', { class: 'card-value' }, formatInteger(byStatus[s] ?? 0)),
        ),
      ),
      h(
        'li',
        { class: 'card' },
        h('span', { class: 'card-label' }, 'Tỉ lệ hoàn thành'),
        h(
          'strong',
          { class: 'card-value', 'data-testid': 'completion-rate' },
          summary.completionRate === null ? 'Chưa đến hạn' : formatPercent(summary.completionRate),
        ),
        h('span', { class: 'card-note' }, `Đã gửi báo cáo: ${submitted}/${total}`),
      ),
    ),
    h(
      'p',
      { class: 'muted' },
      `Số liệu tại ${formatDateTime(now)}. Tỉ lệ hoàn thành tính trên các nghĩa vụ đã đến hạn.`,
    ),
  );
}

/**
 * The breakdown by agency group: the server's (`byGroup` of the cycle statistics, with each
 * group's completion rate) when it sends one, else counted here from the roster.
 */
function groupSection(summary, rows) {
  const local = [
    ['departments', 'Sở, ban, ngành'],
    ['districts', 'UBND cấp huyện'],
    ['requested', 'Mặt trận, đoàn thể (được đề nghị)'],
    ['poor-districts', 'Trong đó: 06 huyện nghèo'],
  ].map(([key, label]) => {
    const members = rows.filter((r) => GROUP_FILTERS[key][1](r.agency));
    const byStatus = Object.fromEntries(
      STATUSES.map((s) => [s, members.filter((r) => r.status === s).length]),
    );
    return { key, label, byStatus, total: members.length };
  });
  const fromServer = Array.isArray(summary.byGroup);
  const groups = fromServer ? summary.byGroup : local;
  const table = h(
    'table',
    { class: 'data' },
    h('caption', {}, 'Số nghĩa vụ theo nhóm cơ quan và trạng thái'),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { scope: 'col' }, 'Nhóm'),
        STATUSES.map((s) => h('th', { scope: 'col' }, STATUS_LABELS[s])),
        h('th', { scope: 'col' }, 'Tổng số'),
        fromServer ? h('th', { scope: 'col' }, 'Tỉ lệ hoàn thành') : null,
      ),
    ),
    h(
      'tbody',
      {},
      groups.map((g) =>
        h(
          'tr',
          { 'data-group': g.key },
          h('th', { scope: 'row' }, g.label),
          STATUSES.map((s) => h('td', { class: 'num' }, g.byStatus?.[s] ?? 0)),
          h('td', { class: 'num' }, g.total),
          fromServer
            ? h(
                'td',
                { class: 'num' },
                g.completionRate === null || g.completionRate === undefined
                  ? 'Chưa đến hạn'
                  : formatPercent(g.completionRate),
              )
            : null,
        ),
      ),
    ),
  );
  return h(
    'section',
    { 'aria-labelledby': 'groups-title' },
    h('h2', { id: 'groups-title' }, 'Theo nhóm cơ quan'),
    tableRegion('Bảng số liệu theo nhóm cơ quan', table),
  );
}
