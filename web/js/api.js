/**
 * Calls to the dondoc API and the Vietnamese message for every way a call can fail. Every request
 * carries the session's bearer token; a 401 ends the session and returns to the login page.
 */
import { clearSession, getSession } from './session.js';
import { EVENT_LABELS, STAGE_LABELS, label } from './i18n.js';
import { formatCivilDate } from './format.js';

/** The message the issue asks for when another user changed the obligation first. */
export const CONFLICT_MESSAGE = 'Nghĩa vụ này vừa được người khác thay đổi; hãy tải lại';

export class ApiError extends Error {
  /** `status` 0 means the server could not be reached. */
  constructor(status, body, message) {
    super(message);
    this.status = status;
    this.body = body ?? {};
    this.code = this.body.code ?? null;
  }

  /** Field-level problems of a 400: `[{ path, message }]`. */
  get fields() {
    return Array.isArray(this.body.fields) ? this.body.fields : [];
  }
}

/** Called on a 401 (other than a failed login); set by main.js. */
/** @type {(message: string) => void} */
let onUnauthenticated = () => {};
export function setUnauthenticatedHandler(fn) {
  onUnauthenticated = fn;
}

/** A random Idempotency-Key (crypto.randomUUID needs HTTPS; getRandomValues does not). */
export function newIdempotencyKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `ui-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/**
 * `api('GET', '/api/plans')` → parsed JSON. Options: `body` (sent as JSON), `headers`,
 * `blob: true` (returns `{ blob, filename }`), `login: true` (a 401 is a wrong password, not an
 * expired session).
 */
/**
 * @param {string} method
 * @param {string} path
 * @param {{ body?: unknown, headers?: Record<string, string>, blob?: boolean, login?: boolean }} [options]
 * @returns {Promise<any>}
 */
export async function api(method, path, options = {}) {
  /** @type {Record<string, string>} */
  const headers = { Accept: 'application/json', ...(options.headers ?? {}) };
  const session = getSession();
  if (session?.accessToken) headers.Authorization = `Bearer ${session.accessToken}`;
  let body;
  if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  let response;
  try {
    response = await fetch(path, { method, headers, body, cache: 'no-store' });
  } catch {
    throw new ApiError(0, null, 'Không kết nối được máy chủ; hãy kiểm tra mạng rồi thử lại.');
  }
  if (response.ok) {
    if (options.blob) {
      const disposition = response.headers.get('Content-Disposition') ?? '';
      return { blob: await response.blob(), filename: filenameOf(disposition) };
    }
    const text = await response.text();
    return text ? JSON.parse(text) : null;
  }
  const errorBody = await response.json().catch(() => null);
  const error = new ApiError(
    response.status,
    errorBody,
    messageFor(response.status, errorBody, response.headers, options),
  );
  if (response.status === 401 && !options.login) {
    clearSession();
    onUnauthenticated(error.message);
  }
  throw error;
}

function filenameOf(disposition) {
  const star = /filename\*=UTF-8''([^;]+)/i.exec(disposition);
  if (star) return decodeURIComponent(star[1]);
  const plain = /filename="?([^";]+)"?/i.exec(disposition);
  return plain ? plain[1] : null;
}

/**
 * The Vietnamese message for a failed call.
 * @param {number} status
 * @param {any} body
 * @param {Headers | null} [headers]
 * @param {{ login?: boolean }} [options]
 */
export function messageFor(status, body, headers, options = {}) {
  const code = body?.code;
  switch (status) {
    case 400: {
      const fields = Array.isArray(body?.fields) ? body.fields : [];
      const detail = fields.map((f) => `${f.path}: ${f.message}`).join('; ');
      return `Dữ liệu gửi lên chưa hợp lệ${detail ? ` (${detail})` : ''}. Hãy sửa rồi gửi lại.`;
    }
    case 401:
      return options.login
        ? 'Tên đăng nhập hoặc mật khẩu không đúng, hoặc tài khoản đã bị khóa.'
        : 'Phiên đăng nhập đã hết hạn hoặc không còn hiệu lực; hãy đăng nhập lại.';
    case 403:
      return 'Bạn không có quyền thực hiện thao tác này.';
    case 404:
      return 'Không tìm thấy dữ liệu yêu cầu (có thể chưa được tạo hoặc đã bị xóa).';
    case 409:
      if (code === 'ALREADY_REPORTED') {
        return 'Kỳ báo cáo này đã được báo cáo UBND tỉnh bằng một văn bản khác; hãy tải lại trang.';
      }
      if (code === 'IDEMPOTENCY_KEY_REUSED') {
        return 'Yêu cầu này đã được gửi trước đó với nội dung khác; hãy tải lại trang.';
      }
      return CONFLICT_MESSAGE;
    case 413:
      return 'Dữ liệu gửi lên quá lớn.';
    case 422: {
      if (code === 'EVENT_NOT_ALLOWED') {
        const stage = body.stage ? `“${label(STAGE_LABELS, body.stage)}”` : 'hiện tại';
        const allowed = (body.allowedEvents ?? []).map((e) => label(EVENT_LABELS, e));
        return `Thao tác này không được chấp nhận ở bước ${stage}${
          allowed.length ? `; các thao tác có thể làm: ${allowed.join(', ')}` : ''
        }. Hãy tải lại trang để xem tình trạng mới nhất.`;
      }
      if (code === 'AGENCY_NOT_VALID') {
        return `Cơ quan ${body.toAgency ?? ''} không tồn tại vào ngày hiệu lực của việc chuyển giao${
          body.date ? ` (${formatCivilDate(body.date)})` : ''
        }; hãy chọn cơ quan khác hoặc kiểm tra ngày hiệu lực.`;
      }
      if (code === 'NOTHING_TO_REPORT') {
        return 'Chưa có nghĩa vụ nào đã tổng hợp để báo cáo UBND tỉnh.';
      }
      return 'Yêu cầu không thể thực hiện ở trạng thái hiện tại; hãy tải lại trang.';
    }
    case 429: {
      const wait = headers?.get?.('Retry-After');
      return `Bạn đã thử quá nhiều lần; hãy chờ ${wait ? `${wait} giây` : 'một lát'} rồi thử lại.`;
    }
    default: {
      const wait = headers?.get?.('Retry-After');
      const retry = wait ? `hãy thử lại sau ${wait} giây` : 'hãy thử lại sau ít phút';
      if (code === 'DATABASE_UNAVAILABLE') {
        return `Tạm thời không kết nối được cơ sở dữ liệu; thao tác chưa được ghi nhận, ${retry}.`;
      }
      if (code === 'DATABASE_LOCKED') {
        return `Cơ sở dữ liệu đang bận; thao tác chưa được ghi nhận, ${retry}.`;
      }
      if (code === 'DATABASE_READ_ONLY') {
        return 'Cơ sở dữ liệu đang ở chế độ chỉ đọc: vẫn xem được nhưng chưa ghi được; hãy báo quản trị viên.';
      }
      if (code === 'DATABASE_FULL') {
        return 'Bộ nhớ lưu trữ của máy chủ đã đầy: vẫn xem được nhưng chưa ghi được; hãy báo quản trị viên.';
      }
      if (code === 'SHUTTING_DOWN') {
        return `Máy chủ đang khởi động lại; thao tác chưa được ghi nhận, ${retry}.`;
      }
      if (status >= 500) return 'Máy chủ đang gặp sự cố; hãy thử lại sau ít phút.';
      return `Yêu cầu không thành công (mã ${status}).`;
    }
  }
}
