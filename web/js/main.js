/**
 * The single-page shell: hash routes (#/dashboard, #/obligations/<id>, …), the role-aware
 * navigation, the signed-in user and logout. Hash routes need no server-side fallback, so the
 * server only serves static files at `/` and everything under `/api` stays the API's.
 */
import { setUnauthenticatedHandler } from './api.js';
import { app } from './app.js';
import { h, mount } from './dom.js';
import { ROLE_LABELS, label } from './i18n.js';
import { clearSession } from './session.js';
import { errorBox } from './components/error-box.js';
import * as login from './pages/login.js';
import * as dashboard from './pages/dashboard.js';
import * as obligation from './pages/obligation.js';
import * as aggregator from './pages/aggregator.js';
import * as notifications from './pages/notifications.js';
import * as escalations from './pages/escalations.js';
import * as users from './pages/admin-users.js';
import * as cycles from './pages/admin-cycles.js';
import * as clock from './pages/admin-clock.js';
import * as audit from './pages/audit.js';

const AUDIT_READERS = ['admin', 'auditor', 'leader', 'aggregator'];

/** Routes: a pattern on the hash path, the page, and the roles that may open it (all if unset). */
const ROUTES = [
  { pattern: /^\/login$/, page: login, public: true },
  { pattern: /^\/dashboard$/, page: dashboard },
  { pattern: /^\/obligations\/([0-9a-fA-F-]{1,64})$/, page: obligation },
  { pattern: /^\/aggregator$/, page: aggregator, roles: ['aggregator'] },
  { pattern: /^\/notifications$/, page: notifications },
  { pattern: /^\/escalations$/, page: escalations },
  { pattern: /^\/admin\/users$/, page: users, roles: ['admin'] },
  { pattern: /^\/admin\/cycles$/, page: cycles, roles: ['admin'] },
  { pattern: /^\/admin\/clock$/, page: clock, roles: ['admin'], virtualClock: true },
  { pattern: /^\/audit$/, page: audit, roles: AUDIT_READERS },
];

/** The navigation, in order; an entry shows only when its route is open to the user. */
const NAV = [
  ['#/dashboard', 'Bảng theo dõi'],
  ['#/aggregator', 'Tổng hợp báo cáo'],
  ['#/escalations', 'Đôn đốc'],
  ['#/notifications', 'Thông báo'],
  ['#/audit', 'Kiểm tra dữ liệu'],
  ['#/admin/users', 'Người dùng'],
  ['#/admin/cycles', 'Kỳ báo cáo'],
  ['#/admin/clock', 'Đồng hồ'],
];

function parseHash() {
  const hash = location.hash.startsWith('#/') ? location.hash.slice(1) : '/dashboard';
  const [path, search = ''] = hash.split('?');
  return { path, query: Object.fromEntries(new URLSearchParams(search)) };
}

function routeFor(path) {
  for (const route of ROUTES) {
    const match = route.pattern.exec(path);
    if (match) return { route, params: match.slice(1) };
  }
  return null;
}

function mayOpen(route, user) {
  if (route.public) return true;
  if (!user) return false;
  if (route.roles && !route.roles.includes(user.role)) return false;
  if (route.virtualClock && app.clock?.mode !== 'virtual') return false;
  return true;
}

function renderChrome(currentPath) {
  const user = app.user;
  const nav = document.getElementById('nav');
  const userBox = document.getElementById('user-box');
  if (!user) {
    mount(nav);
    mount(userBox);
    return;
  }
  const items = NAV.filter(([href]) => {
    const found = routeFor(href.slice(1));
    return found && mayOpen(found.route, user);
  });
  mount(
    nav,
    h(
      'ul',
      {},
      items.map(([href, text]) =>
        h(
          'li',
          {},
          h(
            'a',
            {
              href,
              'aria-current': currentPath.startsWith(href.slice(1)) ? 'page' : null,
            },
            text,
          ),
        ),
      ),
    ),
  );
  mount(
    userBox,
    h(
      'p',
      { class: 'who' },
      h('span', { class: 'username' }, user.username),
      ' · ',
      label(ROLE_LABELS, user.role),
      user.agencyCode ? ` · ${user.agencyCode}` : '',
    ),
    h('button', { type: 'button', class: 'secondary', onclick: logout }, 'Đăng xuất'),
  );
}

function logout() {
  clearSession();
  app.forget();
  app.flash('Bạn đã đăng xuất.', 'info');
  location.hash = '#/login';
}

let renderCount = 0;

async function render() {
  const ticket = (renderCount += 1);
  const { path, query } = parseHash();
  const main = document.getElementById('main');
  const user = app.user;
  const found = routeFor(path);
  if (!found) {
    location.replace('#/dashboard');
    return;
  }
  if (!found.route.public && !user) {
    location.replace(`#/login?next=${encodeURIComponent(path)}`);
    return;
  }
  if (found.route === ROUTES[0] && user) {
    location.replace('#/dashboard');
    return;
  }
  main.setAttribute('aria-busy', 'true');
  mount(main, h('p', { class: 'loading', role: 'status' }, 'Đang tải…'));
  try {
    if (user) await app.refreshClock();
  } catch (error) {
    // A 401 has already sent the user to the login page.
    if (ticket !== renderCount || error?.status === 401) return;
    renderChrome(path);
    mount(main, errorBox(error));
    main.removeAttribute('aria-busy');
    return;
  }
  if (ticket !== renderCount) return;
  renderChrome(path);
  if (!mayOpen(found.route, user)) {
    mount(
      main,
      h('h1', { tabindex: -1 }, 'Không có quyền truy cập'),
      h('p', {}, 'Trang này không dành cho vai trò của bạn.'),
      h('p', {}, h('a', { href: '#/dashboard' }, 'Về bảng theo dõi')),
    );
    main.removeAttribute('aria-busy');
    return;
  }
  const view = h('div', { class: 'page' });
  try {
    await found.route.page.render({
      root: view,
      params: found.params,
      query,
      app,
      isCurrent: () => ticket === renderCount,
      reload: () => render(),
    });
  } catch (error) {
    if (ticket !== renderCount) return;
    if (error?.status === 401) return;
    mount(view, errorBox(error));
  }
  if (ticket !== renderCount) return;
  mount(main, view);
  main.removeAttribute('aria-busy');
  const heading = view.querySelector('h1');
  document.title = `${heading?.textContent ?? 'dondoc'} — dondoc`;
  if (heading) {
    heading.setAttribute('tabindex', '-1');
    heading.focus({ preventScroll: true });
  }
}

setUnauthenticatedHandler((message) => {
  app.forget();
  app.flash(message, 'error');
  const { path } = parseHash();
  if (path !== '/login') location.hash = `#/login?next=${encodeURIComponent(path)}`;
});

window.addEventListener('hashchange', () => {
  if (location.hash === '#main') return;
  render();
});

document.getElementById('skip-link')?.addEventListener('click', (event) => {
  event.preventDefault();
  document.getElementById('main')?.focus();
});

render();
