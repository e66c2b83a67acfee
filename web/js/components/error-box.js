/** An API error shown in place of a page or a section, with a reload button for a 409. */
import { h } from '../dom.js';

/**
 * @param {any} error
 * @param {{ onReload?: () => void }} [options]
 */
export function errorBox(error, { onReload } = {}) {
  const message =
    error?.message && error.status !== undefined
      ? error.message
      : 'Đã xảy ra lỗi không mong đợi trên trang; hãy tải lại trang.';
  return h(
    'div',
    { class: 'error-box', role: 'alert' },
    h('p', {}, message),
    error?.status === 409 || onReload
      ? h('button', { type: 'button', onclick: onReload ?? (() => location.reload()) }, 'Tải lại')
      : null,
  );
}
