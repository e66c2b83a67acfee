/**
 * One obligation: its stage, deadline and how it was derived, escalation level, the lifecycle
 * diagram with the current stage, a form per event the user may send now, the history timeline
 * with each event's hash, and an "as of" date that replays the state at the end of that day.
 */
import { api } from '../api.js';
import { field, h, mount } from '../dom.js';
import {
  civilDateOf,
  daysToDeadline,
  describeDaysLeft,
  endOfDay,
  formatCivilDate,
  formatDate,
  formatDateTime,
  parseVietnameseDate,
} from '../format.js';
import {
  KIND_LABELS,
  POLICY_LABELS,
  STAGE_LABELS,
  STATUS_CLASS,
  STATUS_LABELS,
  dayOffReason,
  label,
} from '../i18n.js';
import { errorBox } from '../components/error-box.js';
import { eventForm, formEvents } from '../components/event-forms.js';
import { historyTimeline } from '../components/history-timeline.js';
import { lifecycleDiagram } from '../components/lifecycle-diagram.js';

const RECIPIENTS = {
  agency: 'cơ quan được giao',
  aggregator: 'cơ quan đầu mối tổng hợp',
  'aggregator-leadership': 'lãnh đạo cơ quan đầu mối tổng hợp',
  leader: 'lãnh đạo UBND tỉnh',
};

/** @param {import('../types').PageContext} ctx */
export async function render({ root, params, query, app, isCurrent, reload }) {
  const id = params[0];
  const ob = await api('GET', `/api/obligations/${id}`);
  const asOf = query.asOf && /^\d{4}-\d{2}-\d{2}$/.test(query.asOf) ? query.asOf : null;
  const [plan, machine, history, now, replay] = await Promise.all([
    app.plan(ob.planId),
    app.machine(ob.planId),
    api('GET', `/api/obligations/${id}/history`),
    api('GET', `/api/obligations/${id}/state`),
    asOf
      ? api('GET', `/api/obligations/${id}/state?at=${encodeURIComponent(endOfDay(asOf))}`)
      : null,
  ]);
  if (!isCurrent()) return;
  const today = civilDateOf(app.now());
  const directory = await app.agencyDirectory(plan, today);
  const agencyName = (code) => directory.get(code)?.name ?? code;
  // Where an obligation may be transferred: agencies that exist today, other than its own.
  const targets = (await app.agenciesOn(plan, today)).filter((a) => a.code !== ob.agencyCode);

  root.append(
    h(
      'nav',
      { 'aria-label': 'Vị trí trang', class: 'breadcrumb' },
      h(
        'a',
        { href: `#/dashboard?plan=${encodeURIComponent(ob.planId)}&year=${ob.year}` },
        `Bảng theo dõi năm ${ob.year}`,
      ),
      ' › ',
      h('span', { 'aria-current': 'page' }, ob.agencyName),
    ),
    h('h1', {}, ob.agencyName),
    h('p', { class: 'lead' }, `Nghĩa vụ báo cáo năm ${ob.year} — ${plan.title}`),
  );

  const actions = h('section', { class: 'actions', 'aria-labelledby': 'actions-title' });
  const conflict = h('div');
  const forms = formEvents(ob.allowedEvents);
  mount(
    actions,
    h('h2', { id: 'actions-title' }, 'Thao tác'),
    conflict,
    forms.length
      ? forms.map((type) =>
          eventForm({
            obligation: ob,
            type,
            agencies: targets,
            user: app.user,
            now: app.now(),
            onDone: (_updated, title) => {
              app.flash(`Đã ghi nhận: ${title}.`);
              reload();
            },
            onError: (error) => mount(conflict, errorBox(error, { onReload: () => reload() })),
          }),
        )
      : h('p', { class: 'notice' }, 'Bạn không có thao tác nào ở bước này.'),
  );

  root.append(
    h(
      'div',
      { class: 'two-columns' },
      h('div', {}, factsSection(ob, now, plan, app.now()), actions),
      h(
        'section',
        { 'aria-labelledby': 'diagram-title' },
        h('h2', { id: 'diagram-title' }, 'Sơ đồ quy trình'),
        lifecycleDiagram({
          machine,
          current: ob.stage,
          replayed: replay?.stage ?? null,
          allowedEvents: forms,
        }),
      ),
    ),
    asOfSection(ob, asOf, replay, app),
    historyTimeline(history, replay ? Date.parse(replay.at) : null, agencyName),
  );
}

function factsSection(ob, state, plan, now) {
  const lastDay = new Date(Date.parse(ob.dueAt) - 1);
  const done = state.status === 'DONE_ON_TIME' || state.status === 'DONE_LATE';
  const days = daysToDeadline(ob.dueAt, now);
  const row = (term, ...desc) => [h('dt', {}, term), h('dd', {}, ...desc)];
  return h(
    'section',
    { 'aria-labelledby': 'facts-title' },
    h('h2', { id: 'facts-title' }, 'Thông tin nghĩa vụ'),
    h(
      'dl',
      { class: 'facts' },
      row('Cơ quan', `${ob.agencyName} (${ob.agencyCode})`),
      row('Hình thức', label(KIND_LABELS, ob.kind)),
      row('Bước hiện tại', h('strong', { 'data-testid': 'stage' }, label(STAGE_LABELS, ob.stage))),
      row(
        'Trạng thái',
        state.status
          ? h(
              'span',
              { class: ['pill', `status-${STATUS_CLASS[state.status]}`], 'data-testid': 'status' },
              STATUS_LABELS[state.status],
            )
          : h('span', { class: 'pill status-withdrawn' }, STAGE_LABELS.withdrawn),
      ),
      row(
        'Hạn báo cáo',
        `Hết ngày ${formatDate(lastDay)}`,
        !done && ob.stage !== 'withdrawn'
          ? h(
              'span',
              { class: ['days', days < 0 ? 'text-overdue' : null] },
              ` — ${describeDaysLeft(days)}`,
            )
          : null,
      ),
      row('Cách tính hạn', derivation(ob.dueDerivation)),
      row('Mức đôn đốc', escalation(ob, plan)),
      row('Phiên bản dữ liệu', `${ob.version} (quy trình ${ob.machineVersion})`),
      row('Cập nhật lần cuối', formatDateTime(ob.updatedAt)),
    ),
  );
}

function derivation(d) {
  if (d.policy === 'extended') {
    return h(
      'p',
      {},
      `Đã gia hạn đến hết ngày ${formatCivilDate(d.newDueDate)}; căn cứ: ${d.basis}.`,
    );
  }
  return h(
    'div',
    { class: 'derivation' },
    h('p', {}, `Kế hoạch quy định: “${d.sourceText}”.`),
    h(
      'p',
      {},
      `Ngày nêu trong kế hoạch: ${formatCivilDate(d.namedDate)}; ngày cuối còn trong hạn: ${formatCivilDate(d.lastDay)}.`,
    ),
    h('p', {}, `Cách tính: ${label(POLICY_LABELS, d.policy)}.`),
    d.skippedDays?.length
      ? h(
          'p',
          {},
          'Các ngày nghỉ được bỏ qua: ',
          d.skippedDays
            .map((x) => `${formatCivilDate(x.date)} (${dayOffReason(x.reason)})`)
            .join(', '),
          '.',
        )
      : null,
  );
}

function escalation(ob, plan) {
  if (!ob.escalationLevel) return 'Chưa phải đôn đốc';
  const step = plan.escalation.levels.find((l) => l.level === ob.escalationLevel);
  const who = (step?.notify ?? []).map((r) => RECIPIENTS[r] ?? r);
  return h(
    'span',
    { 'data-testid': 'escalation' },
    `Cấp ${ob.escalationLevel}`,
    who.length ? `: đã thông báo tới ${who.join(', ')}` : '',
    ob.kind === 'requested' ? ' (cơ quan được đề nghị: chỉ nhắc hạn và thông báo quá hạn)' : '',
    '.',
  );
}

function asOfSection(ob, asOf, replay, app) {
  const input = h('input', {
    name: 'asOf',
    type: 'text',
    inputmode: 'numeric',
    placeholder: 'dd/mm/yyyy',
    autocomplete: 'off',
    value: asOf ? formatCivilDate(asOf) : '',
  });
  const f = field({
    label: 'Xem trạng thái tại ngày',
    control: input,
    hint: 'Trạng thái được dựng lại từ các sự kiện có hiệu lực đến hết ngày này.',
  });
  const form = h(
    'form',
    { class: 'as-of-form', novalidate: true },
    f.element,
    h('button', { type: 'submit' }, 'Xem lại'),
    asOf
      ? h('a', { href: `#/obligations/${ob.id}`, class: 'button-link secondary' }, 'Về hiện tại')
      : null,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const civil = parseVietnameseDate(input.value);
    if (!civil) {
      f.setError('Ngày chưa hợp lệ: hãy nhập theo dạng ngày/tháng/năm, ví dụ 14/11/2025.');
      input.focus();
      return;
    }
    if (civil > civilDateOf(app.now())) {
      f.setError(`Ngày xem lại không được sau hôm nay (${formatDate(app.now())}).`);
      input.focus();
      return;
    }
    location.hash = `#/obligations/${ob.id}?asOf=${civil}`;
  });
  const result = replay
    ? h(
        'div',
        { class: 'replay-result', role: 'status', 'data-testid': 'replay' },
        h('p', {}, h('strong', {}, `Tại hết ngày ${formatCivilDate(asOf)}:`)),
        replay.stage
          ? h(
              'ul',
              {},
              h('li', {}, `Bước: ${label(STAGE_LABELS, replay.stage)}`),
              h(
                'li',
                {},
                `Trạng thái: ${replay.status ? STATUS_LABELS[replay.status] : STAGE_LABELS.withdrawn}`,
              ),
              h(
                'li',
                {},
                `Mức đôn đốc: ${replay.escalationLevel ? `Cấp ${replay.escalationLevel}` : 'chưa phải đôn đốc'}`,
              ),
              h('li', {}, `Số sự kiện đã áp dụng: ${replay.eventsApplied}`),
            )
          : h('p', {}, 'Khi đó nghĩa vụ này chưa được mở.'),
      )
    : null;
  return h(
    'section',
    { 'aria-labelledby': 'asof-title', class: 'as-of' },
    h('h2', { id: 'asof-title' }, 'Xem lại theo thời điểm'),
    form,
    result,
  );
}
