import { describe, expect, it } from '@jest/globals';
import type { NotificationMessage } from '../../../src/notifications/outbox.js';
import { formatDeadline, renderNotification } from '../../../src/notifications/templates.js';

const PLAN_TITLE =
  'Thực hiện Nghị quyết số 46-NQ/TW của Bộ Chính trị và Chương trình hành động số 60-CTr/TU ngày ' +
  '23/02/2024 của Ban Thường vụ Tỉnh ủy về đổi mới, nâng cao chất lượng hoạt động của Hội Nông dân ' +
  'Việt Nam đáp ứng yêu cầu nhiệm vụ cách mạng trong giai đoạn mới';

const base: NotificationMessage = {
  kind: 'REMIND',
  level: 1,
  planId: 'thanh-hoa-nq46',
  planTitle: PLAN_TITLE,
  year: 2025,
  obligationId: '00000000-0000-0000-0000-000000000001',
  agencyCode: 'SO_CONGTHUONG',
  agencyName: 'Sở Công Thương',
  // 00:00 on 15/11/2025 in Hà Nội: "trước ngày 15/11".
  dueAt: '2025-11-14T17:00:00.000Z',
  firedAt: '2025-10-15T17:00:00.000Z',
  recipientRoles: ['agency'],
};

const cases: Array<[string, Partial<NotificationMessage>, RegExp[]]> = [
  [
    'REMIND 1 (30 days before)',
    { kind: 'REMIND', level: 1, firedAt: '2025-10-15T17:00:00.000Z' },
    [/^\[Nhắc hạn lần 1\]/, /Thời hạn còn 30 ngày/, /nhắc hạn lần 1 \(trước hạn\)/],
  ],
  [
    'REMIND 2 (7 days before)',
    { kind: 'REMIND', level: 2, firedAt: '2025-11-07T17:00:00.000Z' },
    [/^\[Nhắc hạn lần 2\]/, /Thời hạn còn 7 ngày/],
  ],
  [
    'REMIND 3 (on the last day)',
    { kind: 'REMIND', level: 3, firedAt: '2025-11-13T17:00:00.000Z' },
    [/^\[Nhắc hạn lần 3\]/, /Hôm nay \(14\/11\/2025\) là ngày cuối cùng/],
  ],
  [
    'REMIND 3 fired after the deadline (a sweep catching up, or a report returned late)',
    { kind: 'REMIND', level: 3, firedAt: '2025-12-01T02:00:00.000Z' },
    [
      /^\[Nhắc hạn lần 3\]/,
      /Đến ngày 01\/12\/2025, thời hạn đã hết, đã quá hạn 17 ngày; lần nhắc hạn này được gửi sau thời hạn\./,
      /gửi báo cáo ngay\./,
      /Mức: nhắc hạn lần 3 \(gửi sau thời hạn\)/,
    ],
  ],
  [
    'REMIND 2 fired on the first overdue day',
    { kind: 'REMIND', level: 2, firedAt: '2025-11-14T17:00:00.000Z' },
    [/Đến ngày 15\/11\/2025, thời hạn đã hết, đã quá hạn;/],
  ],
  [
    'DEADLINE_PASSED 1',
    { kind: 'DEADLINE_PASSED', level: 1, firedAt: '2025-11-14T17:00:00.000Z' },
    [
      /^\[Quá hạn\]/,
      /Đến ngày 15\/11\/2025, Sở Công Thương chưa gửi báo cáo, đã quá hạn\./,
      /Mức đôn đốc: 1 – thông báo quá hạn/,
    ],
  ],
  [
    'ESCALATE 1',
    { kind: 'ESCALATE', level: 1, firedAt: '2025-11-14T17:00:00.000Z' },
    [/^\[Quá hạn\]/, /Mức đôn đốc: 1/],
  ],
  [
    'ESCALATE 2 (lãnh đạo Sở)',
    { kind: 'ESCALATE', level: 2, firedAt: '2025-11-20T17:00:00.000Z' },
    [
      /^\[Đôn đốc lần 2\]/,
      /đôn đốc lần 2, đồng gửi lãnh đạo Sở/,
      /đã quá hạn 7 ngày/,
      /Mức đôn đốc: 2 – đôn đốc lần 2, gửi lãnh đạo Sở/,
    ],
  ],
  [
    'ESCALATE 3 (UBND tỉnh)',
    { kind: 'ESCALATE', level: 3, firedAt: '2025-11-27T17:00:00.000Z' },
    [
      /^\[Đôn đốc lần 3 – báo cáo UBND tỉnh\]/,
      /được báo cáo UBND tỉnh/,
      /đã quá hạn 14 ngày/,
      /Mức đôn đốc: 3 – đôn đốc lần 3, báo cáo UBND tỉnh/,
    ],
  ],
];

describe('notification templates', () => {
  it.each(cases)(
    '%s renders NFC Vietnamese naming agency, plan, deadline and level',
    (_name, patch, expected) => {
      const { subject, text } = renderNotification({ ...base, ...patch });
      expect(subject.normalize('NFC')).toBe(subject);
      expect(text.normalize('NFC')).toBe(text);
      expect(subject).toContain(
        `V/v đôn đốc báo cáo kết quả thực hiện Kế hoạch ${PLAN_TITLE} năm 2025`,
      );
      for (const s of [subject, text]) {
        expect(s).toContain('Sở Công Thương');
        expect(s).toContain('14/11/2025');
      }
      expect(text).toContain(PLAN_TITLE);
      expect(text).toMatch(/^Kính gửi: Sở Công Thương\n/);
      expect(subject).not.toMatch(/\n/);
      for (const re of expected) expect(`${subject}\n${text}`).toMatch(re);
    },
  );

  it('wording differs for every kind and level', () => {
    const onTime = cases.filter(([name]) => !name.includes('fired'));
    const subjects = new Set(
      onTime
        .filter(([, p]) => !(p.kind === 'ESCALATE' && p.level === 1))
        .map(([, p]) => renderNotification({ ...base, ...p }).subject),
    );
    expect(subjects.size).toBe(onTime.length - 1);
  });

  it('a reminder never tells an agency past its deadline that the deadline is still ahead', () => {
    for (const firedAt of ['2025-11-14T17:00:00.000Z', '2025-11-20T02:00:00.000Z']) {
      const { text } = renderNotification({ ...base, level: 2, firedAt });
      expect(text).not.toMatch(/Thời hạn còn|là ngày cuối cùng|đúng thời hạn|trước hạn/);
    }
  });

  it('shows the last day on time: the day before a 00:00 deadline, else the local day', () => {
    expect(formatDeadline('2025-11-14T17:00:00.000Z')).toBe('14/11/2025');
    // 09:00 on 20/11 in Hà Nội (an extended deadline at a time of day).
    expect(formatDeadline('2025-11-20T02:00:00.000Z')).toBe('20/11/2025');
    // 23:30 UTC on 20/11 is already 21/11 in Hà Nội.
    expect(formatDeadline('2025-11-20T23:30:00.000Z')).toBe('21/11/2025');
  });

  it('normalises decomposed input to NFC', () => {
    const nfd = 'Sở Công Thương'.normalize('NFD');
    const { subject, text } = renderNotification({ ...base, agencyName: nfd });
    expect(subject).toContain('Sở Công Thương');
    expect(text).toContain('Sở Công Thương');
    expect(text).not.toContain(nfd);
  });
});
