/** Login: username and password; on success go to the page asked for, else the dashboard. */
import { api } from '../api.js';
import { field, h } from '../dom.js';
import { setSession } from '../session.js';

/** @param {import('../types').PageContext} ctx */
export async function render({ root, query, app }) {
  const username = h('input', {
    name: 'username',
    autocomplete: 'username',
    autocapitalize: 'none',
  });
  const password = h('input', {
    name: 'password',
    type: 'password',
    autocomplete: 'current-password',
  });
  const userField = field({ label: 'Tên đăng nhập', control: username, required: true });
  const passField = field({ label: 'Mật khẩu', control: password, required: true });
  const error = h('div', { class: 'form-error', role: 'alert' });
  const button = h('button', { type: 'submit' }, 'Đăng nhập');

  const form = h(
    'form',
    { class: 'card login-form', novalidate: true, 'aria-labelledby': 'login-title' },
    userField.element,
    passField.element,
    error,
    button,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.textContent = '';
    userField.setError(username.value.trim() ? null : 'Vui lòng nhập tên đăng nhập.');
    passField.setError(password.value ? null : 'Vui lòng nhập mật khẩu.');
    if (!username.value.trim()) return username.focus();
    if (!password.value) return password.focus();
    button.disabled = true;
    try {
      const session = await api('POST', '/api/auth/login', {
        body: { username: username.value.trim(), password: password.value },
        login: true,
      });
      setSession(session);
      app.forget();
      app.flash(null);
      const next =
        typeof query.next === 'string' && query.next.startsWith('/') ? query.next : '/dashboard';
      location.hash = `#${next === '/login' ? '/dashboard' : next}`;
    } catch (e) {
      error.textContent = e.message;
      password.value = '';
      password.focus();
    } finally {
      button.disabled = false;
    }
  });

  root.append(
    h('h1', { id: 'login-title' }, 'Đăng nhập'),
    h(
      'p',
      { class: 'lead' },
      'Hệ thống theo dõi, đôn đốc các cơ quan thực hiện kế hoạch và báo cáo định kỳ.',
    ),
    form,
  );
}
