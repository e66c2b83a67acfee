/** Administration of users: the list, creating a user, disabling and re-enabling an account. */
import { api } from '../api.js';
import { field, h, select, tableRegion } from '../dom.js';
import { civilDateOf, formatDate } from '../format.js';
import { ROLE_LABELS, label } from '../i18n.js';

const USERNAME = /^[a-z0-9][a-z0-9._-]{1,63}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** @param {import('../types').PageContext} ctx */
export async function render({ root, app, reload }) {
  const [users, plans] = await Promise.all([api('GET', '/api/users'), app.plans()]);
  // Names of every agency a user may be bound to; new officers choose among today's agencies.
  const today = civilDateOf(app.now());
  const agencies = new Map();
  const current = new Map();
  for (const p of plans) {
    const plan = await app.plan(p.id);
    for (const [code, a] of await app.agencyDirectory(plan, today)) agencies.set(code, a.name);
    for (const a of await app.agenciesOn(plan, today)) current.set(a.code, a.name);
  }
  root.append(
    h('h1', {}, 'Người dùng'),
    userTable(users, agencies, app, reload),
    createForm(current, app, reload),
  );
}

function userTable(users, agencies, app, reload) {
  return h(
    'section',
    { 'aria-labelledby': 'users-title' },
    h('h2', { id: 'users-title' }, `Danh sách (${users.length})`),
    tableRegion(
      'Danh sách người dùng',
      h(
        'table',
        { class: 'data', 'data-testid': 'users' },
        h('caption', {}, 'Tài khoản người dùng'),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            [
              'Tên đăng nhập',
              'Vai trò',
              'Cơ quan',
              'Thư điện tử',
              'Tạo ngày',
              'Tình trạng',
              'Thao tác',
            ].map((t) => h('th', { scope: 'col' }, t)),
          ),
        ),
        h(
          'tbody',
          {},
          users.map((u) => {
            const error = h('span', { class: 'form-error', role: 'alert' });
            const toggle = h(
              'button',
              { type: 'button', class: u.disabled ? 'secondary' : 'caution' },
              u.disabled ? 'Mở khóa' : 'Khóa',
            );
            toggle.addEventListener('click', async () => {
              toggle.disabled = true;
              try {
                await api('PATCH', `/api/users/${encodeURIComponent(u.username)}`, {
                  body: { disabled: !u.disabled },
                });
                app.flash(
                  u.disabled
                    ? `Đã mở khóa tài khoản ${u.username}.`
                    : `Đã khóa tài khoản ${u.username}.`,
                );
                reload();
              } catch (e) {
                toggle.disabled = false;
                error.textContent =
                  e.status === 400
                    ? 'Không thể khóa tài khoản quản trị cuối cùng còn hoạt động.'
                    : e.message;
              }
            });
            return h(
              'tr',
              { 'data-username': u.username },
              h('th', { scope: 'row' }, u.username),
              h('td', {}, label(ROLE_LABELS, u.role)),
              h('td', {}, u.agencyCode ? (agencies.get(u.agencyCode) ?? u.agencyCode) : '—'),
              h('td', {}, u.email ?? '—'),
              h('td', {}, formatDate(u.createdAt)),
              h('td', {}, u.disabled ? 'Đã khóa' : 'Đang hoạt động'),
              h('td', {}, toggle, error),
            );
          }),
        ),
      ),
    ),
  );
}

function createForm(agencies, app, reload) {
  const username = field({
    label: 'Tên đăng nhập',
    control: h('input', { name: 'username', autocomplete: 'off', autocapitalize: 'none' }),
    required: true,
    hint: 'Chữ thường không dấu, số, dấu chấm, gạch dưới hoặc gạch ngang; ví dụ canbo.snn',
  });
  const password = field({
    label: 'Mật khẩu ban đầu',
    control: h('input', { name: 'password', type: 'password', autocomplete: 'new-password' }),
    required: true,
    hint: 'Từ 8 đến 200 ký tự.',
  });
  const role = field({
    label: 'Vai trò',
    control: select(Object.entries(ROLE_LABELS), 'officer', { name: 'role' }),
    required: true,
  });
  const agency = field({
    label: 'Cơ quan (bắt buộc với cán bộ đơn vị)',
    control: select(
      [
        ['', '— Không gắn cơ quan —'],
        ...[...agencies].map(([code, name]) => [code, `${name} (${code})`]),
      ],
      '',
      { name: 'agencyCode' },
    ),
  });
  const email = field({
    label: 'Thư điện tử nhận thông báo',
    control: h('input', { name: 'email', type: 'email', autocomplete: 'off' }),
  });
  const error = h('div', { class: 'form-error', role: 'alert' });
  const button = h('button', { type: 'submit' }, 'Tạo người dùng');
  const form = h(
    'form',
    { class: 'card', novalidate: true, 'aria-labelledby': 'create-user-title' },
    username.element,
    password.element,
    role.element,
    agency.element,
    email.element,
    error,
    button,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.textContent = '';
    const v = {
      username: username.control.value.trim(),
      password: password.control.value,
      role: role.control.value,
      agencyCode: agency.control.value || undefined,
      email: email.control.value.trim() || undefined,
    };
    /** @type {Array<[ReturnType<typeof field>, string | null]>} */
    const problems = [
      [
        username,
        !v.username
          ? 'Vui lòng nhập tên đăng nhập.'
          : !USERNAME.test(v.username)
            ? 'Tên đăng nhập chỉ gồm chữ thường không dấu, số, “.”, “_”, “-”, từ 2 đến 64 ký tự.'
            : null,
      ],
      [
        password,
        v.password.length < 8 || v.password.length > 200
          ? 'Mật khẩu phải có từ 8 đến 200 ký tự.'
          : null,
      ],
      [
        agency,
        v.role === 'officer' && !v.agencyCode ? 'Cán bộ đơn vị phải gắn với một cơ quan.' : null,
      ],
      [email, v.email && !EMAIL.test(v.email) ? 'Địa chỉ thư điện tử chưa hợp lệ.' : null],
    ];
    for (const [f, message] of problems) f.setError(message);
    const bad = problems.find(([, m]) => m);
    if (bad) {
      bad[0].control.focus();
      return;
    }
    button.disabled = true;
    try {
      await api('POST', '/api/users', { body: v });
      app.flash(`Đã tạo tài khoản ${v.username} (${label(ROLE_LABELS, v.role)}).`);
      reload();
    } catch (e) {
      button.disabled = false;
      if (
        e.status === 409 ||
        e.fields.some((f) => f.path === 'username' && /taken/.test(f.message))
      ) {
        username.setError('Tên đăng nhập này đã có người dùng.');
        username.control.focus();
      } else {
        error.textContent = e.message;
      }
    }
  });
  return h(
    'section',
    { 'aria-labelledby': 'create-user-title' },
    h('h2', { id: 'create-user-title' }, 'Tạo người dùng'),
    form,
  );
}
