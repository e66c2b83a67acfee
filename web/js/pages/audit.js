/**
 * Verification of the audit trail (`GET /api/audit/verify`): both hash chains, a replay of every
 * obligation against its stored state, optionally a signed checkpoint; each problem links to the
 * obligation it concerns.
 */
import { api } from '../api.js';
import { field, h, mount, tableRegion } from '../dom.js';
import { formatDateTime, formatInteger } from '../format.js';
import { AUDIT_PROBLEM_LABELS, label } from '../i18n.js';
import { planYearPicker } from '../components/plan-year-picker.js';

/** @param {import('../types').PageContext} ctx */
export async function render({ root, query, app }) {
  const picker = await planYearPicker({
    query,
    onChange: (p, y) => {
      location.hash = `#/audit?plan=${encodeURIComponent(p)}&year=${y ?? ''}`;
    },
  });
  root.append(h('h1', {}, 'Kiểm tra toàn vẹn dữ liệu'), picker.element);
  const scope = h(
    'select',
    { name: 'scope' },
    h('option', { value: 'cycle' }, 'Chỉ kỳ báo cáo đang chọn'),
    h('option', { value: 'all' }, 'Toàn bộ dữ liệu'),
  );
  const checkpoint = h('input', { type: 'checkbox', name: 'checkpoint' });
  const button = h('button', { type: 'submit' }, 'Kiểm tra');
  const result = h('div', { 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'audit-form' },
    field({ label: 'Phạm vi', control: scope }).element,
    h(
      'div',
      { class: 'field checkbox' },
      checkpoint,
      h(
        'label',
        { for: (checkpoint.id = 'audit-checkpoint') },
        'Đối chiếu với điểm kiểm tra (checkpoint) đã ký gần nhất',
      ),
    ),
    button,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    button.disabled = true;
    mount(result, h('p', { role: 'status' }, 'Đang kiểm tra…'));
    const params = new URLSearchParams();
    if (scope.value === 'cycle' && picker.year) {
      params.set('planId', picker.planId);
      params.set('year', picker.year);
    }
    if (checkpoint.checked) params.set('checkpoint', 'latest');
    try {
      const [report, names] = await Promise.all([
        api('GET', `/api/audit/verify?${params}`),
        obligationNames(picker, app),
      ]);
      mount(result, verification(report, names));
    } catch (e) {
      mount(
        result,
        h(
          'div',
          { class: 'error-box', role: 'alert' },
          h(
            'p',
            {},
            e.status === 404 && checkpoint.checked
              ? 'Chưa có điểm kiểm tra nào được ký.'
              : e.message,
          ),
        ),
      );
    } finally {
      button.disabled = false;
    }
  });
  root.append(form, result);
}

/** obligationId → agency name, for the selected cycle (other problems show the id). */
async function obligationNames(picker, app) {
  if (!picker.year) return new Map();
  const roster = await api(
    'GET',
    `/api/plans/${encodeURIComponent(picker.planId)}/cycles/${picker.year}/status`,
  );
  const plan = await app.plan(picker.planId);
  const directory = await app.agencyDirectory(plan, `${picker.year}-01-01`);
  return new Map(
    roster.obligations.map((o) => [
      o.obligationId,
      directory.get(o.agencyCode)?.name ?? o.agencyCode,
    ]),
  );
}

function verification(report, names) {
  const summary = h(
    'div',
    {
      class: ['verdict', report.ok ? 'verdict-ok' : 'verdict-bad'],
      role: 'status',
      'data-testid': 'verdict',
    },
    h(
      'p',
      { class: 'verdict-title' },
      report.ok
        ? 'Dữ liệu toàn vẹn: không phát hiện sai lệch.'
        : `Phát hiện ${formatInteger(report.problemCount ?? report.problems.length)} vấn đề.`,
    ),
    h(
      'p',
      {},
      `Đã kiểm tra ${formatInteger(report.obligations)} nghĩa vụ, ${formatInteger(report.events)} sự kiện`,
      report.ledgerEntries !== undefined
        ? `, ${formatInteger(report.ledgerEntries)} mục sổ cái`
        : '',
      report.checkpoints !== undefined
        ? `, ${formatInteger(report.checkpoints)} điểm kiểm tra`
        : '',
      report.checkedAt ? ` lúc ${formatDateTime(report.checkedAt)}` : '',
      '.',
    ),
    report.truncated ? h('p', {}, 'Danh sách dưới đây chỉ liệt kê 1.000 vấn đề đầu tiên.') : null,
  );
  if (!report.problems.length) return summary;
  return h(
    'div',
    {},
    summary,
    tableRegion(
      'Danh sách vấn đề',
      h(
        'table',
        { class: 'data', 'data-testid': 'problems' },
        h('caption', {}, 'Các vấn đề phát hiện'),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['Nghĩa vụ', 'Sự kiện số', 'Loại vấn đề', 'Chi tiết kỹ thuật'].map((t) =>
              h('th', { scope: 'col' }, t),
            ),
          ),
        ),
        h(
          'tbody',
          {},
          report.problems.map((p) =>
            h(
              'tr',
              { 'data-kind': p.kind },
              h(
                'th',
                { scope: 'row' },
                p.obligationId
                  ? h(
                      'a',
                      { href: `#/obligations/${p.obligationId}` },
                      names.get(p.obligationId) ?? p.obligationId,
                    )
                  : 'Sổ cái chung',
              ),
              h('td', { class: 'num' }, p.seq ?? '—'),
              h('td', {}, label(AUDIT_PROBLEM_LABELS, p.kind)),
              h('td', { class: 'detail' }, p.detail ?? ''),
            ),
          ),
        ),
      ),
    ),
  );
}
