/** Dates and numbers in the web interface: Vietnamese formats, always in Asia/Ho_Chi_Minh. */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { formatModule, type FormatModule } from './web-modules.js';

let f: FormatModule;
beforeAll(async () => {
  f = await formatModule();
});

describe('web date formats', () => {
  it('shows an instant as its civil date and time in Hà Nội, whatever the process time zone', () => {
    // 17:00Z on 14/11 is already 15/11 00:00 in Hà Nội.
    expect(f.formatDate('2025-11-14T16:59:59.999Z')).toBe('14/11/2025');
    expect(f.formatDate('2025-11-14T17:00:00.000Z')).toBe('15/11/2025');
    expect(f.formatDateTime('2025-06-02T02:05:00Z')).toBe('02/06/2025 09:05');
    expect(f.formatCivilDate('2025-01-04')).toBe('04/01/2025');
    expect(f.civilDateOf('2024-12-31T17:00:00Z')).toBe('2025-01-01');
  });

  it('reads dates typed as day/month/year and refuses impossible ones', () => {
    expect(f.parseVietnameseDate('14/11/2025')).toBe('2025-11-14');
    expect(f.parseVietnameseDate(' 4/1/2025 ')).toBe('2025-01-04');
    expect(f.parseVietnameseDate('14-11-2025')).toBe('2025-11-14');
    expect(f.parseVietnameseDate('29/02/2024')).toBe('2024-02-29');
    expect(f.parseVietnameseDate('29/02/2025')).toBeNull();
    expect(f.parseVietnameseDate('31/04/2025')).toBeNull();
    expect(f.parseVietnameseDate('2025-11-14')).toBeNull();
    expect(f.parseVietnameseDate('11/14/2025')).toBeNull();
    expect(f.parseTimeOfDay('08:30')).toBe(510);
    expect(f.parseTimeOfDay('24:00')).toBeNull();
  });

  it('builds instants with the +07:00 offset', () => {
    expect(f.instantAt('2025-11-20', 8 * 60)).toBe('2025-11-20T08:00:00+07:00');
    expect(Date.parse(f.endOfDay('2025-06-05'))).toBe(Date.parse('2025-06-05T16:59:59.999Z'));
  });

  it('counts days to an exclusive midnight deadline from its last day on time', () => {
    const due = '2025-11-14T17:00:00.000Z'; // before 15/11/2025 00:00 ICT
    expect(f.daysToDeadline(due, '2025-11-13T20:00:00Z')).toBe(0); // 14/11 03:00 ICT
    expect(f.describeDaysLeft(f.daysToDeadline(due, '2025-11-13T20:00:00Z'))).toBe(
      'Hạn chót là hôm nay',
    );
    expect(f.describeDaysLeft(f.daysToDeadline(due, '2025-11-10T01:00:00Z'))).toBe('Còn 4 ngày');
    expect(f.describeDaysLeft(f.daysToDeadline(due, '2025-11-20T01:00:00Z'))).toBe(
      'Quá hạn 6 ngày',
    );
  });

  it('writes rates with the Vietnamese decimal comma', () => {
    expect(f.formatPercent(1 / 53)).toBe('1,9%');
    expect(f.formatPercent(1)).toBe('100%');
  });
});
