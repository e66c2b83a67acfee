/** Administration of cycles: the open cycles of each plan, and opening a year's cycle. */
import { api } from '../api.js';
import { field, h, select, tableRegion } from '../dom.js';
import { formatDate, formatDateTime, formatPercent } from '../format.js';
import { STATUSES, STATUS_LABELS } from '../i18n.js';

/** @param {import('../types').PageContext} ctx */
export async function render({ root, app, reload }) {
  const plans = await app.plans();
  root.append(h('h1', {}, 'Kỳ báo cáo'));
  for (const p of plans) {
    const plan = await app.plan(p.id);
    const years = await app.openYears(p.id);
    const summaries = await Promise.all(
      years.map((y) => api('GET', `/api/plans/${encodeURIComponent(p.id)}/cycles/${y}`)),
    );
    root.append(
      h(
        'section',
        { 'aria-labelledby': `plan-${p.id}` },
        h('h2', { id: `plan-${p.id}` }, p.title),
        h(
          'p',
          { class: 'muted' },
          `${p.issuer} · quy trình ${p.machineVersion} · áp dụng từ năm ${plan.cycle.firstYear}`,
        ),
        summaries.length
          ? tableRegion(
              `Các kỳ báo cáo đã mở của kế hoạch ${p.id}`,
              h(
                'table',
                { class: 'data', 'data-testid': 'cycles' },
                h('caption', {}, 'Các kỳ báo cáo đã mở'),
                h(
                  'thead',
                  {},
                  h(
                    'tr',
                    {},
                    [
                      'Năm',
                      'Mở ngày',
                      'Hạn báo cáo',
                      ...STATUSES.map((s) => STATUS_LABELS[s]),
                      'Tỉ lệ hoàn thành',
                    ].map((t) => h('th', { scope: 'col' }, t)),
                  ),
                ),
                h(
                  'tbody',
                  {},
                  summaries.map((s) =>
                    h(
                      'tr',
                      { 'data-year': s.year },
                      h(
                        'th',
                        { scope: 'row' },
                        h(
                          'a',
                          { href: `#/dashboard?plan=${encodeURIComponent(p.id)}&year=${s.year}` },
                          String(s.year),
                        ),
                      ),
                      h('td', {}, formatDateTime(s.openedAt)),
                      h('td', {}, `Hết ngày ${formatDate(new Date(Date.parse(s.dueAt) - 1))}`),
                      STATUSES.map((st) => h('td', { class: 'num' }, s.counts.byStatus[st] ?? 0)),
                      h(
                        'td',
                        { class: 'num' },
                        s.completionRate === null
                          ? 'Chưa đến hạn'
                          : formatPercent(s.completionRate),
                      ),
                    ),
                  ),
                ),
              ),
            )
          : h('p', { class: 'notice' }, 'Chưa mở kỳ báo cáo nào.'),
        openForm(p, plan, years, app, reload),
      ),
    );
  }
}

function openForm(p, plan, open, app, reload) {
  const current = Number(app.now().slice(0, 4));
  const last = plan.cycle.lastYear ?? current + 1;
  const candidates = [];
  for (let y = plan.cycle.firstYear; y <= Math.min(last, current + 1); y += 1)
    if (!open.includes(y)) candidates.push(y);
  if (!candidates.length)
    return h('p', { class: 'muted' }, 'Các năm đến năm sau đều đã mở kỳ báo cáo.');
  const year = field({
    label: 'Năm cần mở',
    control: select(
      candidates.map((y) => [y, String(y)]),
      candidates.includes(current) ? current : candidates[candidates.length - 1],
      { name: 'year' },
    ),
  });
  const error = h('div', { class: 'form-error', role: 'alert' });
  const button = h('button', { type: 'submit' }, 'Mở kỳ báo cáo');
  const form = h('form', { class: 'inline-form' }, year.element, button, error);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    button.disabled = true;
    const y = Number(year.control.value);
    try {
      const result = await api('POST', `/api/plans/${encodeURIComponent(p.id)}/cycles`, {
        body: { year: y },
      });
      app.forget(`years:${p.id}`);
      app.flash(`Đã mở kỳ báo cáo năm ${y}: ${result.obligations.length} nghĩa vụ.`);
      reload();
    } catch (e) {
      button.disabled = false;
      error.textContent = e.message;
    }
  });
  return form;
}
