/** Every way an API call can fail has a Vietnamese message in the web interface. */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { apiModule, type ApiModule } from './web-modules.js';

let api: ApiModule;
beforeAll(async () => {
  api = await apiModule();
});

const headers = (values: Record<string, string>) => ({ get: (n: string) => values[n] ?? null });

describe('web API error messages', () => {
  it('409 VERSION_CONFLICT says someone else changed the obligation', () => {
    expect(api.messageFor(409, { code: 'VERSION_CONFLICT', currentVersion: 4 })).toBe(
      'Nghĩa vụ này vừa được người khác thay đổi; hãy tải lại',
    );
    expect(api.CONFLICT_MESSAGE).toBe('Nghĩa vụ này vừa được người khác thay đổi; hãy tải lại');
    expect(api.messageFor(409, { code: 'IDEMPOTENCY_KEY_REUSED' })).toContain('nội dung khác');
  });

  it('database faults say nothing was recorded, and when to retry or whom to tell', () => {
    expect(
      api.messageFor(503, { code: 'DATABASE_UNAVAILABLE' }, headers({ 'Retry-After': '5' })),
    ).toBe(
      'Tạm thời không kết nối được cơ sở dữ liệu; thao tác chưa được ghi nhận, hãy thử lại sau 5 giây.',
    );
    expect(api.messageFor(503, { code: 'DATABASE_LOCKED' }, headers({}))).toBe(
      'Cơ sở dữ liệu đang bận; thao tác chưa được ghi nhận, hãy thử lại sau ít phút.',
    );
    expect(api.messageFor(503, { code: 'DATABASE_READ_ONLY' })).toContain('chỉ đọc');
    expect(api.messageFor(507, { code: 'DATABASE_FULL' })).toContain('đã đầy');
    expect(api.messageFor(500, { code: 'INTERNAL' })).toBe(
      'Máy chủ đang gặp sự cố; hãy thử lại sau ít phút.',
    );
  });

  it('422 EVENT_NOT_ALLOWED names the stage and what may be done, in Vietnamese', () => {
    expect(
      api.messageFor(422, {
        code: 'EVENT_NOT_ALLOWED',
        stage: 'aggregated',
        allowedEvents: ['REPORT_TO_UBND', 'EXTEND_DEADLINE'],
      }),
    ).toBe(
      'Thao tác này không được chấp nhận ở bước “Đã tổng hợp”; các thao tác có thể làm: ' +
        'Báo cáo UBND tỉnh, Gia hạn. Hãy tải lại trang để xem tình trạng mới nhất.',
    );
  });

  it('422 AGENCY_NOT_VALID says the agency did not exist on the transfer date', () => {
    expect(
      api.messageFor(422, { code: 'AGENCY_NOT_VALID', toAgency: 'SO_TNMT', date: '2025-11-20' }),
    ).toBe(
      'Cơ quan SO_TNMT không tồn tại vào ngày hiệu lực của việc chuyển giao (20/11/2025); ' +
        'hãy chọn cơ quan khác hoặc kiểm tra ngày hiệu lực.',
    );
  });

  it('401 is a wrong password at login, an expired session elsewhere; 403, 404, 429, 5xx', () => {
    expect(api.messageFor(401, { code: 'UNAUTHENTICATED' }, null, { login: true })).toBe(
      'Tên đăng nhập hoặc mật khẩu không đúng, hoặc tài khoản đã bị khóa.',
    );
    expect(api.messageFor(401, { code: 'UNAUTHENTICATED' })).toBe(
      'Phiên đăng nhập đã hết hạn hoặc không còn hiệu lực; hãy đăng nhập lại.',
    );
    expect(api.messageFor(403, { code: 'FORBIDDEN' })).toBe(
      'Bạn không có quyền thực hiện thao tác này.',
    );
    expect(api.messageFor(404, null)).toContain('Không tìm thấy');
    expect(api.messageFor(429, { code: 'RATE_LIMITED' }, headers({ 'Retry-After': '42' }))).toBe(
      'Bạn đã thử quá nhiều lần; hãy chờ 42 giây rồi thử lại.',
    );
    expect(api.messageFor(503, null)).toBe('Máy chủ đang gặp sự cố; hãy thử lại sau ít phút.');
  });

  it('400 lists the fields the server refused', () => {
    expect(
      api.messageFor(400, {
        code: 'VALIDATION_FAILED',
        fields: [{ path: 'payload.reportRef', message: 'Too small' }],
      }),
    ).toBe('Dữ liệu gửi lên chưa hợp lệ (payload.reportRef: Too small). Hãy sửa rồi gửi lại.');
  });
});
