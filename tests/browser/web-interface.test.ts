/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The web interface in a real browser (Debian's chromium through playwright-core), against the
 * server listening on a free port with a virtual clock and one user per role. One cycle, told in
 * order: the admin opens it; officers start and submit; the aggregator returns one report and
 * aggregates another; the deadline passes and the sweep escalates; the dashboard counts the four
 * statuses; the auditor verifies the trail and replays an obligation as of a date; the aggregator
 * reports the cycle to UBND tỉnh and downloads the documents.
 */
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Page } from 'playwright-core';
import { Database } from '../../src/database/database.js';
import { describeEachDatabase } from '../support/databases.js';
import { PASSWORD, seedUsers, type TestUsername } from '../support/http-auth.js';
import { createTestHttpApp, TEST_ADMIN_PASSWORD, type TestHarness } from '../support/test-app.js';
import {
  ARTIFACTS,
  chromiumAvailable,
  CHROMIUM,
  contrastOf,
  expectAccessiblePage,
  launch,
  newPage,
  screenshot,
  settled,
  type Browser,
} from './support/browser.js';

// Each step drives a real browser; on a loaded machine a step can take tens of seconds.
jest.setTimeout(120_000);

const PLAN = 'thanh-hoa-nq46';
/** The 2025 roster: 53 agencies (Đông Sơn joined Thanh Hóa city on 1 January 2025). */
const ROSTER = 53;
/** Districts on that roster. */
const DISTRICTS = 26;
/** A civil time in Hà Nội as an instant. */
const hanoi = (local: string) => new Date(`${local}+07:00`);

if (!chromiumAvailable) {
  process.stderr.write(
    `Browser tests skipped: ${CHROMIUM} is missing (apt-get install chromium; .ci/run does).\n`,
  );
}

const suite = chromiumAvailable
  ? describeEachDatabase
  : (title: string, fn: (dialect: 'sqlite') => void) =>
      describe.skip(`${title} (skipped: ${CHROMIUM} is missing)`, () => fn('sqlite'));

suite('web interface in a browser', (dialect) => {
  let h: TestHarness<NestExpressApplication>;
  let base: string;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  const ids: Record<string, string> = {};

  /** Calls the API from the test (not the browser) as a user. */
  const call = async (user: TestUsername, method: string, url: string, body?: unknown) => {
    const password = user === 'admin' ? TEST_ADMIN_PASSWORD : PASSWORD;
    const login = await fetch(`${base}/api/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: user, password }),
    });
    const { accessToken } = (await login.json()) as { accessToken: string };
    const res = await fetch(`${base}${url}`, {
      method,
      headers: { Authorization: `Bearer ${accessToken}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const stageOf = async (agency: string) =>
    (await call('admin', 'GET', `/api/obligations/${ids[agency]}`)).body.stage;

  const shot = (name: string, top?: number) => screenshot(page, `${dialect}-${name}`, top);
  const go = async (hash: string) => {
    await page.evaluate((target) => {
      location.hash = target;
    }, hash);
    await settled(page);
  };
  /** Waits until an element matching `selector` contains `text`. */
  const waitText = (selector: string, text: string) =>
    page.waitForFunction(
      ([s, t]) => [...document.querySelectorAll(s)].some((el) => el.textContent?.includes(t)),
      [selector, text] as const,
    );
  /** Waits for a flash message, then for the page it announces to be rendered again. */
  const flashed = async (text: string) => {
    await waitText('#flash', text);
    await settled(page);
  };
  const textOf = async (selector: string) =>
    ((await page.locator(selector).first().textContent()) ?? '').trim();
  const navLinks = async () => page.locator('#nav a').allTextContents();

  async function login(username: TestUsername): Promise<void> {
    const password = username === 'admin' ? TEST_ADMIN_PASSWORD : PASSWORD;
    if (page.url().startsWith(base)) await page.evaluate(() => sessionStorage.clear());
    // A new query string makes it a full page load, whatever the current hash.
    await page.goto(`${base}/?login=${Date.now()}#/login`);
    await settled(page);
    await page.getByLabel('Tên đăng nhập').fill(username);
    await page.getByLabel('Mật khẩu').fill(password);
    await page.getByRole('button', { name: 'Đăng nhập' }).click();
    await page.waitForURL(/#\/dashboard/);
    await settled(page);
  }

  /** Opens an agency's obligation from the dashboard's matrix. */
  async function openObligation(agency: string): Promise<void> {
    await go('#/dashboard');
    await page.locator(`[data-testid=matrix] tr[data-agency=${agency}] th a`).click();
    await page.waitForSelector('[data-testid=history]');
    await settled(page);
  }

  /** Fills and submits the form of an event on the obligation page. */
  async function sendEvent(type: string, fields: Record<string, string>): Promise<void> {
    const form = page.locator(`form[data-event=${type}]`);
    for (const [name, value] of Object.entries(fields)) {
      await form.locator(`[name=${name}]`).fill(value);
    }
    await form.locator('button[type=submit]').click();
  }

  beforeAll(async () => {
    h = await createTestHttpApp(dialect);
    await seedUsers(h.app);
    await h.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(h.app.getHttpServer().address() as AddressInfo).port}`;
    browser = await launch();
    page = await newPage(browser.context, problems);
    page.setDefaultTimeout(10_000);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  afterEach(() => {
    // No script error and no Content Security Policy violation on any page.
    expect(problems).toEqual([]);
  });

  it('serves the interface at / under a strict CSP; unknown /api paths still answer JSON 404', async () => {
    const index = await fetch(`${base}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = index.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toMatch(/unsafe-inline|https:|http:/);
    expect(await index.text()).toContain('<html lang="vi">');
    const script = await fetch(`${base}/js/main.js`);
    expect(script.headers.get('content-type')).toMatch(/javascript/);
    const unknown = await fetch(`${base}/api/no-such-route`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ statusCode: 404, code: 'NOT_FOUND' });
  });

  it('a wrong password gets a Vietnamese message; the admin then logs in with the keyboard alone', async () => {
    await page.goto(`${base}/`);
    await page.waitForURL(/#\/login/);
    await settled(page);
    await expectAccessiblePage(page);
    await shot('login');
    await page.getByLabel('Tên đăng nhập').fill('admin');
    await page.getByLabel('Mật khẩu').fill('sai-mat-khau');
    await page.keyboard.press('Enter');
    await waitText('.login-form [role=alert]', 'Tên đăng nhập hoặc mật khẩu không đúng');

    await page.reload();
    await settled(page);
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const el = document.activeElement as HTMLInputElement;
      const style = getComputedStyle(el);
      return { name: el.name, outline: style.outlineStyle, width: parseFloat(style.outlineWidth) };
    });
    // The focused field is visibly outlined.
    expect(focused).toEqual({ name: 'username', outline: 'solid', width: 3 });
    await page.keyboard.type('admin');
    await page.keyboard.press('Tab');
    await page.keyboard.type(TEST_ADMIN_PASSWORD);
    await page.keyboard.press('Enter');
    await page.waitForURL(/#\/dashboard/);
    await settled(page);
    expect(await navLinks()).toEqual([
      'Bảng theo dõi',
      'Đôn đốc',
      'Thông báo',
      'Kiểm tra dữ liệu',
      'Người dùng',
      'Kỳ báo cáo',
      'Đồng hồ',
    ]);
    expect(await textOf('#user-box')).toContain('admin · Quản trị hệ thống');
    expect(await textOf('main')).toContain('Kế hoạch này chưa mở kỳ báo cáo nào.');
  });

  it('the admin opens the 2025 cycle and creates an officer, with validation messages', async () => {
    await go('#/admin/cycles');
    await page.getByLabel('Năm cần mở').selectOption('2025');
    await page.getByRole('button', { name: 'Mở kỳ báo cáo' }).click();
    await flashed(`Đã mở kỳ báo cáo năm 2025: ${ROSTER} nghĩa vụ.`);
    await page.waitForSelector('[data-testid=cycles] tr[data-year="2025"]');
    await expectAccessiblePage(page);
    await shot('admin-cycles');
    const list = await call(
      'admin',
      'GET',
      `/api/obligations?planId=${PLAN}&year=2025&pageSize=500`,
    );
    for (const o of list.body.items as Array<{ id: string; agencyCode: string }>) {
      ids[o.agencyCode] = o.id;
    }
    expect(Object.keys(ids)).toHaveLength(ROSTER);

    await go('#/admin/users');
    await expectAccessiblePage(page);
    await page.getByLabel('Tên đăng nhập').fill('canbo.tuphap');
    await page.getByLabel('Mật khẩu ban đầu').fill('mat-khau-tu-phap');
    await page.getByRole('button', { name: 'Tạo người dùng' }).click();
    await waitText('.field-error', 'Cán bộ đơn vị phải gắn với một cơ quan.');
    await page.getByLabel('Cơ quan (bắt buộc với cán bộ đơn vị)').selectOption('SO_TUPHAP');
    await page.getByRole('button', { name: 'Tạo người dùng' }).click();
    await flashed('Đã tạo tài khoản canbo.tuphap (Cán bộ đơn vị).');
    await page.waitForSelector('[data-testid=users] tr[data-username="canbo.tuphap"]');
    expect(await textOf('[data-testid=users] tr[data-username="canbo.tuphap"]')).toContain(
      'Sở Tư pháp',
    );
  });

  it('an officer sees their own agency first, starts implementation and submits a report', async () => {
    h.clock.set(hanoi('2025-06-02T09:00:00'));
    await login('canbo.snn');
    const links = await navLinks();
    expect(links).not.toContain('Tổng hợp báo cáo');
    expect(links).not.toContain('Người dùng');
    const first = page.locator('[data-testid=matrix] tbody tr').first();
    expect(await first.getAttribute('data-agency')).toBe('SO_NNPTNT');
    expect(await first.textContent()).toContain('Đơn vị của bạn');

    await openObligation('SO_NNPTNT');
    await expectAccessiblePage(page);
    expect(await textOf('main h1')).toBe('Sở Nông nghiệp và Phát triển nông thôn');
    expect(await textOf('.facts')).toContain('Hết ngày 14/11/2025');
    expect(await page.locator('g.stage-current').getAttribute('data-stage')).toBe('plan_drafted');
    // Sending without the required field shows the message next to it and sends nothing.
    await sendEvent('START_IMPLEMENTATION', {});
    await waitText(
      'form[data-event=START_IMPLEMENTATION] .field-error',
      'Vui lòng nhập số, ký hiệu kế hoạch của đơn vị.',
    );
    expect(await stageOf('SO_NNPTNT')).toBe('plan_drafted');
    await sendEvent('START_IMPLEMENTATION', { planRef: '12/KH-SNN' });
    await flashed('Đã ghi nhận: Bắt đầu tổ chức thực hiện.');
    await waitText('[data-testid=stage]', 'Tổ chức thực hiện');
    expect(await page.locator('g.stage-current').getAttribute('data-stage')).toBe('implementing');

    // A week later the token has expired: the page says so and returns to the login form.
    h.clock.set(hanoi('2025-06-10T09:00:00'));
    await page.reload();
    await page.waitForURL(/#\/login/);
    await waitText(
      '#flash',
      'Phiên đăng nhập đã hết hạn hoặc không còn hiệu lực; hãy đăng nhập lại.',
    );
    await login('canbo.snn');
    await openObligation('SO_NNPTNT');
    await sendEvent('SUBMIT_REPORT', {
      reportRef: '45/BC-SNN',
      summary: 'Đã tổ chức 12 hội nghị tuyên truyền Nghị quyết 46-NQ/TW.',
    });
    await flashed('Đã ghi nhận: Gửi báo cáo.');
    await waitText('[data-testid=stage]', 'Đã gửi báo cáo');
    const submitted = page.locator('[data-testid=history] li[data-type=SUBMIT_REPORT]');
    const entry = (await submitted.textContent()) ?? '';
    expect(entry).toContain('canbo.snn');
    expect(entry).toContain('45/BC-SNN');
    expect(entry).toContain('10/06/2025 09:00');
    expect(await submitted.locator('code.hash').first().textContent()).toMatch(/^[0-9a-f]{64}$/);
    expect(await textOf('[data-testid=status]')).toBe('Hoàn thành đúng hạn');
    await shot('obligation-officer');
  });

  it('the officer has no aggregator buttons, and a forged aggregator request is refused', async () => {
    expect(await page.locator('[data-event=AGGREGATE], [data-event=RETURN_REPORT]').count()).toBe(
      0,
    );
    expect(await textOf('.actions')).toContain('Bạn không có thao tác nào ở bước này.');
    const forged = await page.evaluate(async (id) => {
      const session = JSON.parse(sessionStorage.getItem('dondoc.session') ?? '{}');
      const res = await fetch(`/api/obligations/${id}/events`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Authorization: `Bearer ${session.accessToken}`,
        },
        body: JSON.stringify({ type: 'AGGREGATE', payload: {} }),
      });
      return { status: res.status, body: await res.json() };
    }, ids.SO_NNPTNT!);
    expect(forged).toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } });
    expect(await stageOf('SO_NNPTNT')).toBe('report_submitted');
    await go('#/aggregator');
    expect(await textOf('main h1')).toBe('Không có quyền truy cập');
  });

  it('a form sent on a stale version gets the 409 message and works after reloading', async () => {
    await login('canbo.sct');
    await openObligation('SO_CONGTHUONG');
    // Meanwhile the admin extends the deadline: the obligation's version moves on.
    const extended = await call('admin', 'POST', `/api/obligations/${ids.SO_CONGTHUONG}/events`, {
      type: 'EXTEND_DEADLINE',
      payload: { newDueDate: '2025-11-30', basis: 'Công văn số 123/UBND-NN' },
    });
    expect(extended.status).toBe(200);
    await sendEvent('START_IMPLEMENTATION', { planRef: '08/KH-SCT' });
    await waitText(
      '.actions [role=alert]',
      'Nghĩa vụ này vừa được người khác thay đổi; hãy tải lại',
    );
    expect(await stageOf('SO_CONGTHUONG')).toBe('plan_drafted');
    await page.locator('.actions .error-box').getByRole('button', { name: 'Tải lại' }).click();
    await waitText(
      '.facts',
      'Đã gia hạn đến hết ngày 30/11/2025; căn cứ: Công văn số 123/UBND-NN.',
    );
    await sendEvent('START_IMPLEMENTATION', { planRef: '08/KH-SCT' });
    await waitText('[data-testid=stage]', 'Tổ chức thực hiện');
    await sendEvent('SUBMIT_REPORT', { reportRef: '20/BC-SCT' });
    await waitText('[data-testid=stage]', 'Đã gửi báo cáo');
  });

  it('the aggregator returns one report with a reason and aggregates another', async () => {
    h.clock.set(hanoi('2025-06-12T14:00:00'));
    await login('tonghop.snn');
    expect(await navLinks()).toContain('Tổng hợp báo cáo');
    await go('#/aggregator');
    await expectAccessiblePage(page);
    const rows = page.locator('[data-testid=review] tbody tr');
    expect(await rows.count()).toBe(2);
    const snn = page.locator('[data-testid=review] tr[data-agency=SO_NNPTNT]');
    expect(await snn.textContent()).toContain('45/BC-SNN');
    expect(await snn.textContent()).toContain('10/06/2025 09:00');
    await snn.locator('[data-action=return]').click();
    await snn.getByRole('button', { name: 'Xác nhận trả lại' }).click();
    await waitText('[data-testid=review] .field-error', 'Vui lòng nêu lý do trả lại.');
    await snn.locator('textarea[name=reason]').fill('Thiếu số liệu về Quỹ hỗ trợ nông dân.');
    await shot('aggregator', 1100);
    await snn.getByRole('button', { name: 'Xác nhận trả lại' }).click();
    await flashed('Đã trả lại báo cáo của Sở Nông nghiệp và Phát triển nông thôn.');
    await page
      .locator('[data-testid=review] tr[data-agency=SO_CONGTHUONG] [data-action=aggregate]')
      .click();
    await flashed('Đã tổng hợp báo cáo của Sở Công Thương.');
    await waitText('main', 'Không có báo cáo nào đang chờ xem xét.');
    expect(await textOf('[data-testid=ubnd-counts]')).toBe(
      'Đã tổng hợp: 1 nghĩa vụ; Đã báo cáo UBND tỉnh: 0 nghĩa vụ.',
    );
    expect(await stageOf('SO_NNPTNT')).toBe('implementing');
    expect(await stageOf('SO_CONGTHUONG')).toBe('aggregated');
  });

  it('past the deadline the admin runs the sweep; the officer finds the overdue notice and resubmits late', async () => {
    await login('admin');
    await go('#/admin/clock');
    await expectAccessiblePage(page);
    await page.getByLabel('Ngày (ngày/tháng/năm)').fill('20/11/2025');
    await page.getByLabel('Giờ (giờ:phút)').fill('08:00');
    await page.getByRole('button', { name: 'Đặt thời gian' }).click();
    // The admin's own token is now months old: the page says so and asks to log in again.
    await page.waitForURL(/#\/login/);
    await flashed('Đã đặt thời gian hệ thống: 20/11/2025 08:00.');
    await flashed('hãy đăng nhập lại');
    await login('admin');
    await go('#/admin/clock');
    expect(await textOf('[data-testid=clock-now]')).toBe(
      'Thời gian của hệ thống: 20/11/2025 08:00',
    );
    await page.getByRole('button', { name: 'Quét hạn ngay' }).click();
    await page.waitForSelector('[data-testid=sweep-summary]');
    // Every obligation still open is overdue; Sở Công Thương's report was in (and its deadline moved).
    expect(await textOf('[data-testid=sweep-summary]')).toContain(`Quá hạn ${ROSTER - 1}`);

    await login('canbo.snn');
    await go('#/notifications');
    await expectAccessiblePage(page);
    const inbox = page.locator('[data-testid=inbox] li[data-kind=DEADLINE_PASSED]');
    expect(await inbox.count()).toBe(1);
    expect(await inbox.textContent()).toContain('Sở Nông nghiệp và Phát triển nông thôn');
    await openObligation('SO_NNPTNT');
    expect(await textOf('[data-testid=status]')).toBe('Đang thực hiện quá hạn');
    expect(await textOf('[data-testid=escalation]')).toContain('Cấp 1');
    expect(await textOf('[data-testid=history] li[data-type=RETURN_REPORT]')).toContain(
      'Thiếu số liệu về Quỹ hỗ trợ nông dân.',
    );
    await sendEvent('SUBMIT_REPORT', { reportRef: '45b/BC-SNN' });
    await waitText('[data-testid=status]', 'Hoàn thành quá hạn');
  });

  it('the dashboard counts the four statuses, puts overdue agencies first and filters by group and status', async () => {
    await login('lanhdao.ubnd');
    const card = (status: string) => textOf(`li[data-status=${status}] .card-value`);
    expect(await card('IN_PROGRESS_OVERDUE')).toBe(String(ROSTER - 2));
    expect(await card('IN_PROGRESS_ON_TIME')).toBe('0');
    expect(await card('DONE_LATE')).toBe('1');
    expect(await card('DONE_ON_TIME')).toBe('1');
    // SO_CONGTHUONG's deadline was extended to 30/11: of the 52 past their deadline, 1 is done.
    expect(await textOf('[data-testid=completion-rate]')).toBe('1,9%');
    expect(await textOf('[data-testid=deadline]')).toBe('Hết ngày 14/11/2025');
    expect(await textOf('[data-testid=days-left]')).toBe('Quá hạn 6 ngày');
    // Districts: all overdue, none in the other three statuses.
    expect(await textOf('tr[data-group=districts]')).toMatch(
      new RegExp(`huyện\\D*${DISTRICTS}\\s*0\\s*0\\s*0\\s*${DISTRICTS}`),
    );

    const statuses = await page
      .locator('[data-testid=matrix] tbody tr')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-status')));
    expect(statuses).toHaveLength(ROSTER);
    expect(statuses.slice(0, ROSTER - 2).every((s) => s === 'IN_PROGRESS_OVERDUE')).toBe(true);
    expect(statuses.slice(ROSTER - 2)).toEqual(['DONE_LATE', 'DONE_ON_TIME']);
    // The current stage's cell carries the status colour, with text for screen readers.
    const snnRow = page.locator('[data-testid=matrix] tr[data-agency=SO_NNPTNT]');
    expect(await snnRow.locator('td.cell-current').textContent()).toContain(
      'Bước hiện tại: Đã gửi báo cáo',
    );
    expect(await snnRow.locator('td.cell-current').getAttribute('class')).toContain(
      'status-done-late',
    );
    for (const status of ['overdue', 'done-late', 'done-on-time']) {
      expect(await contrastOf(page, `.pill.status-${status}`)).toBeGreaterThanOrEqual(4.5);
    }
    await expectAccessiblePage(page);
    await shot('dashboard', 1300);

    await page.getByLabel('Nhóm cơ quan', { exact: true }).selectOption('poor-districts');
    expect(await page.locator('[data-testid=matrix] tbody tr').count()).toBe(6);
    expect(await textOf('.filter-result')).toContain(`Đang hiển thị 6 trên ${ROSTER} cơ quan.`);
    await page.getByLabel('Nhóm cơ quan', { exact: true }).selectOption('all');
    await page.getByLabel('Trạng thái', { exact: true }).selectOption('DONE_ON_TIME');
    const onTime = page.locator('[data-testid=matrix] tbody tr');
    expect(await onTime.count()).toBe(1);
    expect(await onTime.getAttribute('data-agency')).toBe('SO_CONGTHUONG');
    expect(page.url()).toContain('status=DONE_ON_TIME');

    // Tablet portrait: the page does not scroll sideways; the matrix scrolls in its own region.
    await page.setViewportSize({ width: 768, height: 1024 });
    await page.getByLabel('Trạng thái', { exact: true }).selectOption('all');
    await expectAccessiblePage(page);
    await shot('dashboard-tablet', 1500);
    await page.setViewportSize({ width: 1366, height: 768 });
  });

  it('the escalations view lists what the sweep sent, with recipients', async () => {
    await go('#/escalations');
    await expectAccessiblePage(page);
    const passed = page.locator('[data-testid=escalations] tr[data-kind=DEADLINE_PASSED]');
    expect(await passed.count()).toBe(ROSTER - 1);
    expect(await textOf('li.card-overdue .card-value')).toBe(String(ROSTER - 1));
    const snn = passed.filter({ hasText: 'Sở Nông nghiệp và Phát triển nông thôn' });
    expect(await snn.textContent()).toContain('canbo.snn');
    expect(await snn.textContent()).toContain('20/11/2025 08:00');
  });

  it('the auditor verifies the trail and replays an obligation as of a date', async () => {
    await login('kiemtoan');
    expect(await navLinks()).toContain('Kiểm tra dữ liệu');
    await go('#/audit');
    await expectAccessiblePage(page);
    await page.getByRole('button', { name: 'Kiểm tra' }).click();
    await waitText('[data-testid=verdict]', 'Dữ liệu toàn vẹn: không phát hiện sai lệch.');
    await shot('audit');

    await openObligation('SO_NNPTNT');
    expect(await textOf('.actions')).toContain('Bạn không có thao tác nào ở bước này.');
    const asOf = page.getByLabel('Xem trạng thái tại ngày');
    await asOf.fill('31/02/2025');
    await page.getByRole('button', { name: 'Xem lại' }).click();
    await waitText('.as-of .field-error', 'Ngày chưa hợp lệ');
    await asOf.fill('05/06/2025');
    await page.getByRole('button', { name: 'Xem lại' }).click();
    await page.waitForURL(/asOf=2025-06-05/);
    await page.waitForSelector('[data-testid=replay]');
    expect(await textOf('[data-testid=replay]')).toContain('Bước: Tổ chức thực hiện');
    expect(await page.locator('g.stage-replayed').getAttribute('data-stage')).toBe('implementing');
    expect(await page.locator('g.stage-current').getAttribute('data-stage')).toBe(
      'report_submitted',
    );
    const after = await page
      .locator('[data-testid=history] li.event-after')
      .evaluateAll((items) => items.map((i) => i.getAttribute('data-type')));
    expect(after).toEqual([
      'SUBMIT_REPORT',
      'RETURN_REPORT',
      'REMIND',
      'REMIND',
      'REMIND',
      'DEADLINE_PASSED',
      'SUBMIT_REPORT',
    ]);
    await shot('obligation-replay', 1400);
    await page.setViewportSize({ width: 768, height: 1024 });
    await expectAccessiblePage(page);
    await shot('obligation-tablet');
    await page.setViewportSize({ width: 1366, height: 768 });

    await page.getByLabel('Xem trạng thái tại ngày').fill('11/06/2025');
    await page.getByRole('button', { name: 'Xem lại' }).click();
    await page.waitForURL(/asOf=2025-06-11/);
    await waitText('[data-testid=replay]', 'Bước: Đã gửi báo cáo');
  });

  it('the aggregator reports the cycle to UBND tỉnh and downloads the DOCX and XLSX', async () => {
    await login('tonghop.snn');
    await go('#/aggregator');
    await page.getByLabel('Số, ký hiệu báo cáo tổng hợp').fill('310/BC-SNN');
    await page.getByRole('button', { name: 'Báo cáo Ủy ban nhân dân tỉnh Thanh Hóa' }).click();
    await flashed('Đã báo cáo Ủy ban nhân dân tỉnh Thanh Hóa (310/BC-SNN)');
    expect(await stageOf('SO_CONGTHUONG')).toBe('reported_to_ubnd');
    await waitText('[data-testid=ubnd-counts]', 'Đã báo cáo UBND tỉnh: 1 nghĩa vụ.');
    expect(await textOf('[data-testid=ubnd-reported]')).toContain('văn bản số 310/BC-SNN');
    for (const [label, extension] of [
      ['Tải báo cáo tổng hợp (DOCX)', '.docx'],
      ['Tải bảng tình hình thực hiện (XLSX)', '.xlsx'],
    ] as const) {
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: label }).click(),
      ]);
      expect(download.suggestedFilename().endsWith(extension)).toBe(true);
      const file = path.join(ARTIFACTS, `${dialect}-${download.suggestedFilename()}`);
      await download.saveAs(file);
      // Both formats are ZIP packages.
      expect(fs.readFileSync(file).subarray(0, 2).toString()).toBe('PK');
    }
  });

  it('the admin transfers an obligation to the successor agency, with its legal basis', async () => {
    await login('admin');
    await openObligation('SO_TNMT');
    const form = page.locator('form[data-event=TRANSFER]');
    await form.locator('button[type=submit]').click();
    await waitText(
      'form[data-event=TRANSFER] .field-error',
      'Vui lòng chọn cơ quan nhận chuyển giao.',
    );
    // Only agencies that exist today are offered: Sở Nông nghiệp và Môi trường (from 1/3/2025).
    const options = await form.locator('select[name=toAgency] option').allTextContents();
    expect(options).toContain('Sở Nông nghiệp và Môi trường');
    expect(options).not.toContain('Sở Tài nguyên và Môi trường');
    await form.locator('select[name=toAgency]').selectOption('SO_NNMT');
    await sendEvent('TRANSFER', { basis: 'Nghị định số 45/2025/NĐ-CP' });
    await flashed('Đã ghi nhận: Chuyển giao cho cơ quan khác.');
    const transfer = await textOf('[data-testid=history] li[data-type=TRANSFER]');
    expect(transfer).toContain('Chuyển từSở Tài nguyên và Môi trường');
    expect(transfer).toContain('Chuyển choSở Nông nghiệp và Môi trường');
    expect(transfer).toContain('Nghị định số 45/2025/NĐ-CP');
    expect((await call('admin', 'GET', `/api/obligations/${ids.SO_TNMT}`)).body.agencyCode).toBe(
      'SO_NNMT',
    );
  });

  it('a lost connection is explained in Vietnamese', async () => {
    await login('lanhdao.ubnd');
    await page.route('**/api/**', (route) => route.abort('internetdisconnected'));
    await page.evaluate(() => {
      location.hash = '#/notifications';
    });
    await waitText(
      'main [role=alert]',
      'Không kết nối được máy chủ; hãy kiểm tra mạng rồi thử lại.',
    );
    await page.unroute('**/api/**');
  });

  it("a tampered event shows up in the auditor's verification, linked to its obligation", async () => {
    const changed = await h.app.get(Database).write((tx) =>
      tx.execute(
        dialect === 'postgres'
          ? `UPDATE obligation_events SET payload = replace(payload::text, '20/BC-SCT', '21/BC-SCT')::jsonb
             WHERE obligation_id = ? AND type = 'SUBMIT_REPORT'`
          : `UPDATE obligation_events SET payload = replace(payload, '20/BC-SCT', '21/BC-SCT')
             WHERE obligation_id = ? AND type = 'SUBMIT_REPORT'`,
        [ids.SO_CONGTHUONG],
      ),
    );
    expect(changed).toBe(1);
    await login('kiemtoan');
    await go('#/audit');
    await page.getByRole('button', { name: 'Kiểm tra' }).click();
    await waitText('[data-testid=verdict]', 'Phát hiện');
    const problem = page.locator('[data-testid=problems] tr[data-kind=HASH_MISMATCH]');
    expect(await problem.textContent()).toContain('Mã băm không khớp nội dung sự kiện');
    await shot('audit-problem', 700);
    await problem.getByRole('link', { name: 'Sở Công Thương' }).click();
    await page.waitForSelector('[data-testid=history]');
    expect(await textOf('main h1')).toBe('Sở Công Thương');
  });
});
