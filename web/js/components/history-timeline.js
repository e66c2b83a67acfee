/**
 * The history of an obligation as a timeline: who, what, effective and recorded time, the
 * document numbers and reasons of the payload, the stage after, and each event's hash chain.
 */
import { h } from '../dom.js';
import { formatCivilDate, formatDateTime } from '../format.js';
import { EVENT_LABELS, STAGE_LABELS, label } from '../i18n.js';

const PAYLOAD_LABELS = {
  planRef: 'Số, ký hiệu kế hoạch',
  reportRef: 'Số, ký hiệu báo cáo',
  summary: 'Tóm tắt',
  reason: 'Lý do',
  consolidatedReportRef: 'Số, ký hiệu báo cáo tổng hợp',
  newDueDate: 'Hạn mới',
  basis: 'Căn cứ',
  toAgency: 'Chuyển cho',
  fromAgency: 'Chuyển từ',
  level: 'Cấp',
  note: 'Ghi chú',
  dueAt: 'Hạn báo cáo',
  from: 'Từ phiên bản',
  to: 'Sang phiên bản',
};

/** Payload fields not worth repeating on every entry (they are the page's own facts). */
const HIDDEN_PAYLOAD = new Set(['planId', 'year', 'agencyCode', 'kind']);

function actorName(actor) {
  return actor === 'system:scheduler' ? 'Hệ thống (tự động)' : actor;
}

function payloadValue(key, value, agencyName) {
  if (key === 'newDueDate') return formatCivilDate(value);
  if (key === 'dueAt') return formatDateTime(value);
  if (key === 'toAgency' || key === 'fromAgency') return agencyName(value);
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/**
 * `events`: `GET /api/obligations/:id/history`; `asOfMs`: events effective after it are marked
 * (null: none); `agencyName(code)`: names agency codes found in payloads.
 */
export function historyTimeline(events, asOfMs, agencyName) {
  return h(
    'section',
    { 'aria-labelledby': 'history-title' },
    h('h2', { id: 'history-title' }, 'Lịch sử'),
    h(
      'ol',
      { class: 'timeline', 'data-testid': 'history' },
      events.map((e) => {
        const after = asOfMs !== null && Date.parse(e.effectiveAt) > asOfMs;
        // The opening event takes effect at the start of the cycle year by convention.
        const late =
          Boolean(e.reason) ||
          (e.type !== 'OBLIGATION_OPENED' &&
            Date.parse(e.recordedAt) - Date.parse(e.effectiveAt) > 5 * 60 * 1000);
        const payload = Object.entries(e.payload ?? {}).filter(([k]) => !HIDDEN_PAYLOAD.has(k));
        return h(
          'li',
          {
            class: ['event', after ? 'event-after' : null],
            'data-type': e.type,
            'data-seq': e.seq,
          },
          h(
            'h3',
            {},
            `${e.seq}. ${label(EVENT_LABELS, e.type)}`,
            after ? h('span', { class: 'badge badge-muted' }, 'Sau thời điểm xem lại') : null,
          ),
          h(
            'dl',
            { class: 'event-facts' },
            h('dt', {}, 'Người thực hiện'),
            h('dd', {}, actorName(e.actor)),
            h('dt', {}, 'Thời điểm hiệu lực'),
            h('dd', {}, formatDateTime(e.effectiveAt)),
            h('dt', {}, 'Thời điểm ghi nhận'),
            h(
              'dd',
              {},
              formatDateTime(e.recordedAt),
              late ? h('span', { class: 'badge' }, 'Ghi nhận muộn') : null,
            ),
            e.reason ? [h('dt', {}, 'Lý do ghi nhận muộn'), h('dd', {}, e.reason)] : null,
            h('dt', {}, 'Bước sau sự kiện'),
            h('dd', {}, label(STAGE_LABELS, e.stageAfter)),
            payload.map(([k, v]) => [
              h('dt', {}, PAYLOAD_LABELS[k] ?? k),
              h('dd', {}, payloadValue(k, v, agencyName)),
            ]),
            h('dt', {}, 'Mã băm (SHA-256)'),
            h('dd', {}, h('code', { class: 'hash' }, e.hash)),
            h('dt', {}, 'Mã băm sự kiện trước'),
            h('dd', {}, h('code', { class: 'hash' }, e.prevHash)),
          ),
        );
      }),
    ),
  );
}
