/**
 * The aggregator's page: submitted reports to review (return with a reason, or aggregate), the
 * cycle's report to UBND tỉnh, and the DOCX report and XLSX status downloads.
 */
import { api, newIdempotencyKey } from '../api.js';
import { field, h, tableRegion } from '../dom.js';
import { formatDateTime } from '../format.js';
import { STAGE_LABELS } from '../i18n.js';
import { planYearPicker } from '../components/plan-year-picker.js';

/** Reads at most `limit` histories at a time. */
async function mapLimited(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** @param {import('../types').PageContext} ctx */
export async function render({ root, query, app, isCurrent, reload }) {
  const picker = await planYearPicker({
    query,
    onChange: (p, y) => {
      location.hash = `#/aggregator?plan=${encodeURIComponent(p)}&year=${y ?? ''}`;
    },
  });
  root.append(h('h1', {}, 'Tổng hợp báo cáo'), picker.element);
  if (!picker.year) return;
  const { planId, year, plan } = picker;
  const list = (stage) =>
    api(
      'GET',
      `/api/obligations?planId=${encodeURIComponent(planId)}&year=${year}&stage=${stage}&pageSize=500`,
    );
  const [submitted, aggregated, reported, summary] = await Promise.all([
    list('report_submitted'),
    list('aggregated'),
    list('reported_to_ubnd'),
    api('GET', `/api/plans/${encodeURIComponent(planId)}/cycles/${year}`),
  ]);
  const submissions = await mapLimited(submitted.items, 6, async (o) => {
    const events = await api('GET', `/api/obligations/${o.id}/history`);
    const last = events.filter((e) => e.type === 'SUBMIT_REPORT').pop();
    return { obligation: o, report: last ?? null };
  });
  if (!isCurrent()) return;

  root.append(
    reviewSection(submissions, app, reload),
    ubndSection({ planId, year, plan, summary, aggregated, reported, app, reload }),
    downloadsSection(planId, year),
  );
}

function reviewSection(submissions, app, reload) {
  const body = submissions.length
    ? tableRegion(
        'Báo cáo chờ xem xét',
        h(
          'table',
          { class: 'data review', 'data-testid': 'review' },
          h('caption', {}, `${submissions.length} báo cáo chờ xem xét`),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ['Cơ quan', 'Số, ký hiệu báo cáo', 'Gửi lúc', 'Tóm tắt', 'Xử lý'].map((t) =>
                h('th', { scope: 'col' }, t),
              ),
            ),
          ),
          h(
            'tbody',
            {},
            submissions.map((s) => reviewRow(s, app, reload)),
          ),
        ),
      )
    : h('p', { class: 'notice' }, 'Không có báo cáo nào đang chờ xem xét.');
  return h(
    'section',
    { 'aria-labelledby': 'review-title' },
    h('h2', { id: 'review-title' }, 'Báo cáo chờ xem xét'),
    body,
  );
}

function reviewRow({ obligation: o, report }, app, reload) {
  const error = h('div', { class: 'form-error', role: 'alert' });
  const send = async (type, payload, button) => {
    button.disabled = true;
    error.textContent = '';
    try {
      await api('POST', `/api/obligations/${o.id}/events`, {
        body: { type, payload, expectedVersion: o.version },
        headers: { 'Idempotency-Key': newIdempotencyKey() },
      });
      app.flash(
        type === 'AGGREGATE'
          ? `Đã tổng hợp báo cáo của ${o.agencyName}.`
          : `Đã trả lại báo cáo của ${o.agencyName}.`,
      );
      reload();
    } catch (e) {
      button.disabled = false;
      error.textContent = e.message;
    }
  };
  const cells = [];
  if (o.allowedEvents.includes('AGGREGATE')) {
    const aggregate = h('button', { type: 'button', 'data-action': 'aggregate' }, 'Tổng hợp');
    aggregate.addEventListener('click', () => send('AGGREGATE', {}, aggregate));
    cells.push(aggregate);
  }
  if (o.allowedEvents.includes('RETURN_REPORT')) {
    const reason = h('textarea', { name: 'reason', rows: 2, maxlength: 2000 });
    const reasonField = field({
      label: `Lý do trả lại báo cáo của ${o.agencyName}`,
      control: reason,
      required: true,
    });
    const confirm = h('button', { type: 'submit', class: 'caution' }, 'Xác nhận trả lại');
    const form = h(
      'form',
      { class: 'return-form', novalidate: true, hidden: true },
      reasonField.element,
      confirm,
    );
    const open = h(
      'button',
      { type: 'button', class: 'secondary', 'aria-expanded': 'false', 'data-action': 'return' },
      'Trả lại',
    );
    open.addEventListener('click', () => {
      form.hidden = !form.hidden;
      open.setAttribute('aria-expanded', String(!form.hidden));
      if (!form.hidden) reason.focus();
    });
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      if (!reason.value.trim()) {
        reasonField.setError('Vui lòng nêu lý do trả lại.');
        reason.focus();
        return;
      }
      reasonField.setError(null);
      send('RETURN_REPORT', { reason: reason.value.trim() }, confirm);
    });
    cells.push(open, form);
  }
  return h(
    'tr',
    { 'data-agency': o.agencyCode },
    h('th', { scope: 'row' }, h('a', { href: `#/obligations/${o.id}` }, o.agencyName)),
    h('td', {}, report?.payload?.reportRef ?? '—'),
    h('td', {}, report ? formatDateTime(report.effectiveAt) : '—'),
    h('td', { class: 'summary-text' }, report?.payload?.summary ?? ''),
    h('td', { class: 'row-actions' }, cells, error),
  );
}

function ubndSection({ planId, year, plan, summary, aggregated, reported, app, reload }) {
  const ref = h('input', {
    name: 'consolidatedReportRef',
    type: 'text',
    maxlength: 200,
    autocomplete: 'off',
  });
  const refField = field({
    label: 'Số, ký hiệu báo cáo tổng hợp',
    control: ref,
    required: true,
    hint: 'Ví dụ: 310/BC-SNN',
  });
  const error = h('div', { class: 'form-error', role: 'alert' });
  const button = h('button', { type: 'submit' }, `Báo cáo ${plan.cycle.reportsTo.name}`);
  const form = h('form', { class: 'ubnd-form', novalidate: true }, refField.element, error, button);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.textContent = '';
    if (!ref.value.trim()) {
      refField.setError('Vui lòng nhập số, ký hiệu báo cáo tổng hợp.');
      ref.focus();
      return;
    }
    refField.setError(null);
    button.disabled = true;
    try {
      const result = await api(
        'POST',
        `/api/plans/${encodeURIComponent(planId)}/cycles/${year}/report-to-ubnd`,
        {
          body: { consolidatedReportRef: ref.value.trim() },
          headers: { 'Idempotency-Key': newIdempotencyKey() },
        },
      );
      app.flash(reportMessage(plan.cycle.reportsTo.name, result, ref.value.trim()));
      reload();
    } catch (e) {
      button.disabled = false;
      error.textContent = e.message;
    }
  });
  return h(
    'section',
    { 'aria-labelledby': 'ubnd-title' },
    h('h2', { id: 'ubnd-title' }, `Báo cáo ${plan.cycle.reportsTo.name}`),
    h(
      'p',
      { 'data-testid': 'ubnd-counts' },
      `${STAGE_LABELS.aggregated}: ${aggregated.total} nghĩa vụ; ${STAGE_LABELS.reported_to_ubnd}: ${reported.total} nghĩa vụ.`,
    ),
    // The cycle statistics say when the cycle was reported (once per cycle, one reference).
    summary.consolidatedReport
      ? h(
          'p',
          { class: 'notice', 'data-testid': 'ubnd-reported' },
          `Đã báo cáo ${plan.cycle.reportsTo.name} bằng văn bản số ${summary.consolidatedReport.ref}, ` +
            `lúc ${formatDateTime(summary.consolidatedReport.reportedAt)} (${summary.consolidatedReport.reportedBy}).`,
        )
      : null,
    summary.consolidatedReport
      ? null
      : aggregated.total
        ? form
        : h('p', { class: 'notice' }, 'Chưa có báo cáo nào đã tổng hợp để báo cáo UBND tỉnh.'),
  );
}

/** What the report to UBND did, from its answer (`reported`, `notReported`, `repeated`). */
function reportMessage(to, result, ref) {
  const reported = Array.isArray(result?.reported) ? result.reported.length : null;
  const left = Array.isArray(result?.notReported) ? result.notReported.length : 0;
  if (result?.repeated)
    return `Kỳ báo cáo này đã được báo cáo ${to} bằng văn bản số ${ref} trước đó.`;
  return (
    `Đã báo cáo ${to} (${ref})` +
    (reported !== null ? `: ${reported} nghĩa vụ` : '') +
    (left ? `; ${left} nghĩa vụ chưa đủ điều kiện (chưa tổng hợp).` : '.')
  );
}

function downloadsSection(planId, year) {
  const status = h('p', { role: 'status', class: 'download-status' });
  const download = (path, fallback, text) => {
    const button = h(
      'button',
      { type: 'button', class: 'secondary', 'data-download': fallback },
      text,
    );
    button.addEventListener('click', async () => {
      button.disabled = true;
      status.textContent = 'Đang tạo tệp…';
      try {
        const { blob, filename } = await api('GET', path, { blob: true });
        const url = URL.createObjectURL(blob);
        const a = h('a', { href: url, download: filename ?? fallback, hidden: true });
        document.body.append(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(url), 10_000);
        status.textContent = `Đã tải xuống ${filename ?? fallback}.`;
      } catch (e) {
        status.textContent = e.message;
      } finally {
        button.disabled = false;
      }
    });
    return button;
  };
  const base = `/api/plans/${encodeURIComponent(planId)}/cycles/${year}`;
  return h(
    'section',
    { 'aria-labelledby': 'downloads-title' },
    h('h2', { id: 'downloads-title' }, 'Tải văn bản'),
    h(
      'div',
      { class: 'button-row' },
      download(
        `${base}/report.docx`,
        `bao-cao-${planId}-${year}.docx`,
        'Tải báo cáo tổng hợp (DOCX)',
      ),
      download(
        `${base}/status.xlsx`,
        `tinh-hinh-${planId}-${year}.xlsx`,
        'Tải bảng tình hình thực hiện (XLSX)',
      ),
    ),
    status,
  );
}
