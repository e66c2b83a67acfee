/**
 * Notifications end to end: outbox rows written as the timer sweep writes them (inside a write
 * transaction), the in-app inbox over HTTP, e-mail through a real SMTP server, signed webhooks
 * with retries and backoff driven by the virtual clock, and exactly-once claiming.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { SMTPServer } from 'smtp-server';
import request from 'supertest';
import { CycleService } from '../../src/cycles/cycle.service.js';
import { Database, intValue } from '../../src/database/database.js';
import {
  backoffMs,
  DispatcherService,
  loadWebhookSecret,
} from '../../src/notifications/dispatcher.service.js';
import {
  enqueueNotifications,
  recipientsFor,
  toOutboxRow,
  type NotificationMessage,
  type NotificationRecipient,
  type OutboxRow,
} from '../../src/notifications/outbox.js';
import { PlanRegistry } from '../../src/plans/plan-registry.service.js';
import { UsersService } from '../../src/users/users.service.js';
import { admin as adminCaller } from '../support/callers.js';
import { describeEachDatabase } from '../support/databases.js';
import { login, PASSWORD } from '../support/http-auth.js';
import { createTestHttpApp, type TestHarness } from '../support/test-app.js';

const PLAN = 'thanh-hoa-nq46';
const WEBHOOK_SECRET = 'test-webhook-secret-0123456789';
/** 00:00 on 15/11/2025 in Hà Nội: the 2025 deadline, when the level-1 notice fires. */
const FIRED_AT = new Date('2025-11-14T17:00:00.000Z');

// ---------- a minimal MIME reader (mailparser is not a dependency) ----------

function decodeWords(value: string): string {
  return value
    .replace(/(=\?[^?]+\?[BbQq]\?[^?]*\?=)\s+(?==\?)/g, '$1')
    .replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_m, _charset: string, enc: string, text) =>
      enc.toUpperCase() === 'B'
        ? Buffer.from(text, 'base64').toString('utf8')
        : decodeQuotedPrintable(text.replace(/_/g, ' ')),
    );
}

function decodeQuotedPrintable(text: string): string {
  const bytes: number[] = [];
  const s = text.replace(/=\r?\n/g, '');
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(s.slice(i + 1, i + 3))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(s[i]!, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

function parseMail(raw: string): { headers: Record<string, string>; text: string } {
  const split = raw.search(/\r?\n\r?\n/);
  const head = raw.slice(0, split).replace(/\r?\n[ \t]+/g, ' ');
  const body = raw.slice(split).replace(/^\r?\n\r?\n/, '');
  const headers: Record<string, string> = {};
  for (const line of head.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = decodeWords(line.slice(colon + 1).trim());
  }
  const encoding = (headers['content-transfer-encoding'] ?? '7bit').toLowerCase();
  const text =
    encoding === 'base64'
      ? Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8')
      : encoding === 'quoted-printable'
        ? decodeQuotedPrintable(body)
        : body;
  return { headers, text: text.replace(/\r\n/g, '\n').replace(/\n$/, '') };
}

// ---------- a webhook receiver ----------

interface Hook {
  url: string;
  requests: Array<{ path: string; headers: http.IncomingHttpHeaders; body: string }>;
  close(): Promise<void>;
}

/** An HTTP server on 127.0.0.1 that records each request and answers with `status(n)`. */
async function startHook(status: (n: number) => number, delayMs = 0): Promise<Hook> {
  const requests: Hook['requests'] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      const code = status(requests.length);
      setTimeout(
        () => res.writeHead(code, { 'content-type': 'text/plain' }).end(`status ${code}`),
        delayMs,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describeEachDatabase('notifications', (dialect) => {
  let h: TestHarness<NestExpressApplication>;
  let api: ReturnType<typeof request>;
  let db: Database;
  let dispatcher: DispatcherService;
  let smtp: SMTPServer;
  const mails: Array<{ from: string; to: string[]; raw: string }> = [];
  let ok: Hook;
  let obligationId: string;
  let message: NotificationMessage;

  const rowsOf = (where: string, params: unknown[] = []): Promise<OutboxRow[]> =>
    db.read(async (sql) =>
      (await sql.query(`SELECT * FROM notification_outbox WHERE ${where} ORDER BY id`, params)).map(
        toOutboxRow,
      ),
    );
  const rowById = async (id: number): Promise<OutboxRow> => (await rowsOf('id = ?', [id]))[0]!;

  /** Writes the rows of one fired timer, as the sweep does; returns the new rows. */
  async function enqueue(
    recipients: NotificationRecipient[],
    webhookUrls: string[],
    patch: Partial<NotificationMessage> = {},
  ): Promise<OutboxRow[]> {
    const [last] = await db.read((sql) =>
      sql.query<{ max: unknown }>('SELECT MAX(id) AS max FROM notification_outbox'),
    );
    const before = last?.max == null ? 0 : intValue(last.max);
    const count = await db.write((tx) =>
      enqueueNotifications(tx, {
        message: { ...message, ...patch },
        timerId: null,
        recipients,
        webhookUrls,
        now: h.clock.now().getTime(),
      }),
    );
    const rows = await rowsOf('id > ?', [before]);
    expect(rows).toHaveLength(count);
    return rows;
  }

  beforeAll(async () => {
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      disableReverseLookup: true,
      logger: false,
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          mails.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks).toString('utf8'),
          });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', () => resolve()));
    const smtpPort = (smtp.server.address() as AddressInfo).port;
    ok = await startHook(() => 200);

    h = await createTestHttpApp(dialect, {
      smtpUrl: `smtp://127.0.0.1:${smtpPort}`,
      mailFrom: 'Đôn đốc <dondoc@thanhhoa.gov.vn>',
      webhookSecret: WEBHOOK_SECRET,
      notifyMaxAttempts: 3,
    });
    api = request(h.app.getHttpServer());
    db = h.app.get(Database);
    dispatcher = h.app.get(DispatcherService);
    const users = h.app.get(UsersService);
    const people = [
      {
        username: 'canbo.sct',
        role: 'officer',
        agencyCode: 'SO_CONGTHUONG',
        email: 'canbo.sct@thanhhoa.gov.vn',
      },
      { username: 'canbo.snn', role: 'officer', agencyCode: 'SO_NNPTNT', email: null },
      { username: 'canbo2.sct', role: 'officer', agencyCode: 'SO_CONGTHUONG' },
      { username: 'nghiviec.sct', role: 'officer', agencyCode: 'SO_CONGTHUONG' },
      {
        username: 'tonghop.snn',
        role: 'aggregator',
        agencyCode: 'SO_NNPTNT',
        email: 'tonghop@snn.thanhhoa.gov.vn',
      },
      { username: 'lanhdao.ubnd', role: 'leader', email: 'lanhdao@thanhhoa.gov.vn' },
      { username: 'kiemtoan', role: 'auditor', email: 'kiemtoan@thanhhoa.gov.vn' },
    ];
    for (const p of people) await users.create({ ...p, password: PASSWORD });
    await users.setDisabled('nghiviec.sct', true);

    const cycle = await h.app.get(CycleService).open(PLAN, 2025, adminCaller);
    const obligation = cycle.obligations.find((o) => o.agencyCode === 'SO_CONGTHUONG')!;
    obligationId = obligation.id;
    const plan = h.app.get(PlanRegistry).get(PLAN).definition;
    message = {
      kind: 'DEADLINE_PASSED',
      level: 1,
      planId: PLAN,
      planTitle: plan.title,
      year: 2025,
      obligationId,
      agencyCode: 'SO_CONGTHUONG',
      agencyName: obligation.agencyName,
      dueAt: obligation.dueAt,
      firedAt: FIRED_AT.toISOString(),
      recipientRoles: ['agency'],
    };
    h.clock.set(FIRED_AT);
  });

  afterAll(async () => {
    await h?.close();
    await ok?.close();
    await new Promise<void>((resolve) => (smtp ? smtp.close(() => resolve()) : resolve()));
  });

  describe('users', () => {
    it('keep an optional, validated e-mail address', async () => {
      const users = h.app.get(UsersService);
      expect(await users.find('canbo.sct')).toMatchObject({ email: 'canbo.sct@thanhhoa.gov.vn' });
      expect(await users.find('canbo2.sct')).toMatchObject({ email: null });
      await expect(
        users.create({
          username: 'sai.email',
          password: PASSWORD,
          role: 'leader',
          email: 'không phải email',
        }),
      ).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        fields: [expect.objectContaining({ path: 'email' })],
      });
      const token = await login(api, 'admin');
      const created = await api
        .post('/api/users')
        .set('Authorization', `Bearer ${token}`)
        .send({ username: 'vanthu', password: PASSWORD, role: 'auditor', email: 'vanthu@x.vn' })
        .expect(201);
      expect(created.body).toMatchObject({ username: 'vanthu', email: 'vanthu@x.vn' });
      const bad = await api
        .post('/api/users')
        .set('Authorization', `Bearer ${token}`)
        .send({ username: 'vanthu2', password: PASSWORD, role: 'auditor', email: 'a@b' })
        .expect(400);
      expect(bad.body.fields.map((f: { path: string }) => f.path)).toContain('email');
    });
  });

  describe('recipients', () => {
    it('resolve the plan names to enabled users, de-duplicated and sorted', async () => {
      const names = (roles: string[]) =>
        db.read(async (sql) =>
          (await recipientsFor(sql, roles, 'SO_CONGTHUONG')).map((r) => r.username),
        );
      expect(await names(['agency'])).toEqual(['canbo.sct', 'canbo2.sct']);
      expect(await names(['agency', 'aggregator-leadership', 'leader'])).toEqual([
        'canbo.sct',
        'canbo2.sct',
        'lanhdao.ubnd',
        'tonghop.snn',
      ]);
      expect(await names(['aggregator', 'aggregator-leadership'])).toEqual(['tonghop.snn']);
      expect(await names([])).toEqual([]);
      const withMail = await db.read((sql) => recipientsFor(sql, ['agency'], 'SO_CONGTHUONG'));
      expect(withMail).toEqual([
        { username: 'canbo.sct', email: 'canbo.sct@thanhhoa.gov.vn' },
        { username: 'canbo2.sct', email: null },
      ]);
    });
  });

  describe('inbox and e-mail', () => {
    let rows: OutboxRow[];

    beforeAll(async () => {
      // The level-1 overdue notice to the agency, as the sweep writes it.
      const recipients = await db.read((sql) => recipientsFor(sql, ['agency'], 'SO_CONGTHUONG'));
      rows = await enqueue(recipients, []);
    });

    it('writes an inbox row per user (delivered) and an e-mail row per address (pending)', () => {
      expect(rows.map((r) => [r.channel, r.recipient, r.status])).toEqual([
        ['inbox', 'canbo.sct', 'delivered'],
        ['inbox', 'canbo2.sct', 'delivered'],
        ['email', 'canbo.sct@thanhhoa.gov.vn', 'pending'],
      ]);
      for (const r of rows) {
        expect(r).toMatchObject({ obligationId, attempts: 0, nextAttemptAt: FIRED_AT.getTime() });
      }
      expect(rows[0]!.deliveredAt).toBe(FIRED_AT.getTime());
      expect(rows[2]!.deliveredAt).toBeNull();
    });

    it("GET /api/notifications shows the officer's inbox in Vietnamese", async () => {
      const token = await login(api, 'canbo.sct');
      const res = await api
        .get('/api/notifications')
        .set('Authorization', `Bearer ${token}`)
        .expect(200);
      expect(res.body).toHaveLength(1);
      const [item] = res.body;
      expect(item).toEqual({
        id: rows[0]!.id,
        kind: 'DEADLINE_PASSED',
        level: 1,
        obligationId,
        planId: PLAN,
        year: 2025,
        agencyCode: 'SO_CONGTHUONG',
        subject: expect.any(String),
        text: expect.any(String),
        createdAt: FIRED_AT.toISOString(),
      });
      expect(item.subject).toContain('Sở Công Thương');
      expect(item.subject).toContain('14/11/2025');
      expect(item.subject).toContain('V/v đôn đốc báo cáo kết quả thực hiện Kế hoạch');
      expect(item.text).toContain('Kính gửi: Sở Công Thương');
      expect(item.subject.normalize('NFC')).toBe(item.subject);
    });

    it("another agency's officer has an empty inbox; no token is 401", async () => {
      const token = await login(api, 'canbo.snn');
      const res = await api
        .get('/api/notifications')
        .set('Authorization', `Bearer ${token}`)
        .expect(200);
      expect(res.body).toEqual([]);
      const anon = await api.get('/api/notifications').expect(401);
      expect(anon.body.code).toBe('UNAUTHENTICATED');
    });

    it('dispatchDue sends the e-mail through SMTP, in Vietnamese, and marks it delivered', async () => {
      const result = await dispatcher.dispatchDue();
      expect(result).toEqual({ sent: 1, failed: 0, retried: 0 });
      expect(mails).toHaveLength(1);
      const mail = mails[0]!;
      expect(mail.to).toEqual(['canbo.sct@thanhhoa.gov.vn']);
      expect(mail.from).toBe('dondoc@thanhhoa.gov.vn');
      const parsed = parseMail(mail.raw);
      expect(parsed.headers.to).toContain('canbo.sct@thanhhoa.gov.vn');
      expect(parsed.headers.from).toBe('Đôn đốc <dondoc@thanhhoa.gov.vn>');
      expect(parsed.headers['content-type']).toMatch(/^text\/plain; charset=utf-8/i);
      expect(parsed.headers['x-dondoc-delivery']).toBe(String(rows[2]!.id));
      expect(parsed.headers.subject).toContain(
        '[Quá hạn] Sở Công Thương – V/v đôn đốc báo cáo kết quả thực hiện Kế hoạch Thực hiện Nghị quyết số 46-NQ/TW',
      );
      expect(parsed.headers.subject).toContain('năm 2025 (hạn 14/11/2025)');
      expect(parsed.text).toMatch(/^Kính gửi: Sở Công Thương\n/);
      expect(parsed.text).toContain('chậm nhất ngày 14/11/2025');
      expect(parsed.text).toContain('Hội Nông dân Việt Nam');
      expect(parsed.text.normalize('NFC')).toBe(parsed.text);
      const row = await rowById(rows[2]!.id);
      expect(row).toMatchObject({ status: 'delivered', attempts: 1, lastError: null });
      expect(row.deliveredAt).toBe(FIRED_AT.getTime());
      // Nothing is left to send.
      expect(await dispatcher.dispatchDue()).toEqual({ sent: 0, failed: 0, retried: 0 });
      expect(mails).toHaveLength(1);
    });

    it('without an SMTP server, e-mail rows stay pending', async () => {
      const [email] = (await enqueue([{ username: 'x', email: 'x@thanhhoa.gov.vn' }], [])).filter(
        (r) => r.channel === 'email',
      );
      const noSmtp = new DispatcherService(db, { ...h.config, smtpUrl: null }, h.clock);
      expect(await noSmtp.dispatchDue()).toEqual({ sent: 0, failed: 0, retried: 0 });
      expect(await rowById(email!.id)).toMatchObject({ status: 'pending', attempts: 0 });
      // The configured dispatcher sends it.
      expect(await dispatcher.dispatchDue()).toEqual({ sent: 1, failed: 0, retried: 0 });
      expect(mails.at(-1)!.to).toEqual(['x@thanhhoa.gov.vn']);
    });
  });

  describe('webhooks', () => {
    it('POSTs the JSON signed with HMAC-SHA256 of the exact body', async () => {
      const [row] = await enqueue([], [ok.url], { kind: 'ESCALATE', level: 2 });
      expect(row).toMatchObject({ channel: 'webhook', recipient: ok.url, status: 'pending' });
      expect(await dispatcher.dispatchDue()).toEqual({ sent: 1, failed: 0, retried: 0 });
      expect(ok.requests).toHaveLength(1);
      const req = ok.requests[0]!;
      expect(req.headers['content-type']).toBe('application/json');
      expect(req.headers['x-dondoc-delivery']).toBe(String(row!.id));
      const expected = createHmac('sha256', WEBHOOK_SECRET).update(req.body).digest('hex');
      const signature = String(req.headers['x-dondoc-signature']);
      expect(signature).toMatch(/^sha256=[0-9a-f]{64}$/);
      expect(timingSafeEqual(Buffer.from(signature), Buffer.from(`sha256=${expected}`))).toBe(true);
      const body = JSON.parse(req.body);
      expect(Object.keys(body).sort()).toEqual(
        [
          'id',
          'kind',
          'level',
          'planId',
          'year',
          'obligationId',
          'agencyCode',
          'agencyName',
          'dueAt',
          'firedAt',
          'subject',
          'text',
        ].sort(),
      );
      expect(body).toMatchObject({
        id: row!.id,
        kind: 'ESCALATE',
        level: 2,
        planId: PLAN,
        year: 2025,
        obligationId,
        agencyCode: 'SO_CONGTHUONG',
        agencyName: 'Sở Công Thương',
        dueAt: '2025-11-14T17:00:00.000Z',
        firedAt: FIRED_AT.toISOString(),
      });
      expect(body.subject).toContain('[Đôn đốc lần 2] Sở Công Thương');
      expect(body.text).toContain('lãnh đạo Sở');
      expect(await rowById(row!.id)).toMatchObject({ status: 'delivered', attempts: 1 });
    });

    it('retries a failing endpoint with a growing backoff until it answers 2xx', async () => {
      const flaky = await startHook((n) => (n <= 2 ? 500 : 200));
      try {
        const [row] = await enqueue([], [flaky.url]);
        const t0 = h.clock.now().getTime();
        expect(await dispatcher.dispatchDue()).toEqual({ sent: 0, failed: 0, retried: 1 });
        const first = await rowById(row!.id);
        expect(first).toMatchObject({ status: 'pending', attempts: 1 });
        expect(first.lastError).toMatch(/^HTTP 500/);
        expect(first.nextAttemptAt).toBe(t0 + 30_000);

        // Not due yet: nothing is sent.
        h.clock.advance(29_000);
        expect(await dispatcher.dispatchDue()).toEqual({ sent: 0, failed: 0, retried: 0 });
        expect(flaky.requests).toHaveLength(1);

        h.clock.advance(1_000);
        const t1 = h.clock.now().getTime();
        expect(await dispatcher.dispatchDue()).toEqual({ sent: 0, failed: 0, retried: 1 });
        const second = await rowById(row!.id);
        expect(second).toMatchObject({ status: 'pending', attempts: 2 });
        expect(second.nextAttemptAt).toBe(t1 + 60_000);
        expect(second.nextAttemptAt - t1).toBeGreaterThan(first.nextAttemptAt - t0);

        h.clock.advance(60_000);
        expect(await dispatcher.dispatchDue()).toEqual({ sent: 1, failed: 0, retried: 0 });
        const third = await rowById(row!.id);
        expect(third).toMatchObject({ status: 'delivered', attempts: 3, lastError: null });
        expect(flaky.requests).toHaveLength(3);
        expect(new Set(flaky.requests.map((r) => r.headers['x-dondoc-delivery']))).toEqual(
          new Set([String(row!.id)]),
        );
      } finally {
        await flaky.close();
      }
    });

    it('marks a row failed after notifyMaxAttempts; deliveries?status=failed shows it', async () => {
      const down = await startHook(() => 503);
      try {
        const [row] = await enqueue([], [down.url]);
        expect(await dispatcher.dispatchDue()).toEqual({ sent: 0, failed: 0, retried: 1 });
        h.clock.advance(backoffMs(1));
        expect(await dispatcher.dispatchDue()).toEqual({ sent: 0, failed: 0, retried: 1 });
        h.clock.advance(backoffMs(2));
        expect(await dispatcher.dispatchDue()).toEqual({ sent: 0, failed: 1, retried: 0 });
        expect(down.requests).toHaveLength(3);
        expect(await rowById(row!.id)).toMatchObject({ status: 'failed', attempts: 3 });
        // A failed row is never sent again.
        h.clock.advance(24 * 3600_000);
        expect(await dispatcher.dispatchDue()).toEqual({ sent: 0, failed: 0, retried: 0 });
        expect(down.requests).toHaveLength(3);

        const token = await login(api, 'admin');
        const res = await api
          .get('/api/notifications/deliveries?status=failed')
          .set('Authorization', `Bearer ${token}`)
          .expect(200);
        expect(res.body).toEqual([
          expect.objectContaining({
            id: row!.id,
            channel: 'webhook',
            recipient: down.url,
            status: 'failed',
            attempts: 3,
            lastError: expect.stringMatching(/^HTTP 503/),
            obligationId,
            kind: 'DEADLINE_PASSED',
            level: 1,
          }),
        ]);
        const delivered = await api
          .get('/api/notifications/deliveries?status=delivered')
          .set('Authorization', `Bearer ${token}`)
          .expect(200);
        expect(delivered.body.length).toBeGreaterThanOrEqual(4);
        expect(delivered.body.every((d: { status: string }) => d.status === 'delivered')).toBe(
          true,
        );
        await api
          .get('/api/notifications/deliveries?status=lost')
          .set('Authorization', `Bearer ${token}`)
          .expect(400);
        const officer = await login(api, 'canbo.snn');
        await api
          .get('/api/notifications/deliveries')
          .set('Authorization', `Bearer ${officer}`)
          .expect(403);
      } finally {
        await down.close();
      }
    });

    it('an unreachable endpoint is retried with the connection error', async () => {
      const gone = await startHook(() => 200);
      await gone.close();
      const [row] = await enqueue([], [gone.url]);
      expect(await dispatcher.dispatchDue()).toEqual({ sent: 0, failed: 0, retried: 1 });
      const after = await rowById(row!.id);
      expect(after).toMatchObject({ status: 'pending', attempts: 1 });
      expect(after.lastError).toMatch(/ECONNREFUSED|fetch failed/);
      // Clean up: fail it so later passes do not retry it.
      await db.write((tx) =>
        tx.execute(`UPDATE notification_outbox SET status = 'failed' WHERE id = ?`, [row!.id]),
      );
    });

    it('two dispatchers at once deliver each row exactly once', async () => {
      const slow = await startHook(() => 200, 50);
      try {
        const urls = Array.from({ length: 8 }, (_, i) => `${slow.url}?n=${i}`);
        const rows = await enqueue([], urls);
        const other = new DispatcherService(db, h.config, h.clock);
        const results = await Promise.all([dispatcher.dispatchDue(), other.dispatchDue()]);
        expect(results[0]!.sent + results[1]!.sent).toBe(8);
        expect(slow.requests).toHaveLength(8);
        expect(slow.requests.map((r) => r.path).sort()).toEqual(
          urls.map((u) => new URL(u).pathname + new URL(u).search).sort(),
        );
        const ids = slow.requests.map((r) => r.headers['x-dondoc-delivery']);
        expect(new Set(ids).size).toBe(8);
        for (const r of rows) {
          expect(await rowById(r.id)).toMatchObject({ status: 'delivered', attempts: 1 });
        }
      } finally {
        await slow.close();
      }
    });

    it('a row left sending by a crashed dispatcher is sent again after its lease', async () => {
      const [row] = await enqueue([], [ok.url]);
      const before = ok.requests.length;
      // A dispatcher claimed it and died before settling it.
      await db.write((tx) =>
        tx.execute(
          `UPDATE notification_outbox SET status = 'sending', attempts = 1, next_attempt_at = ? WHERE id = ?`,
          [h.clock.now().getTime() + 10 * 60_000, row!.id],
        ),
      );
      expect(await dispatcher.dispatchDue()).toEqual({ sent: 0, failed: 0, retried: 0 });
      h.clock.advance(10 * 60_000);
      expect(await dispatcher.dispatchDue()).toEqual({ sent: 1, failed: 0, retried: 0 });
      expect(ok.requests.length).toBe(before + 1);
      expect(await rowById(row!.id)).toMatchObject({ status: 'delivered', attempts: 2 });
    });
  });

  it('the webhook secret is generated once into the data folder with mode 0600', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dondoc-secret-'));
    try {
      const first = loadWebhookSecret({ webhookSecret: null, dataDir: dir });
      expect(first.length).toBeGreaterThanOrEqual(32);
      expect(loadWebhookSecret({ webhookSecret: null, dataDir: dir })).toBe(first);
      expect(fs.statSync(path.join(dir, 'webhook-secret')).mode & 0o777).toBe(0o600);
      expect(loadWebhookSecret({ webhookSecret: WEBHOOK_SECRET, dataDir: dir })).toBe(
        WEBHOOK_SECRET,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('backoff doubles from 30 s and stops at 1 h', () => {
    expect([1, 2, 3, 4, 7, 8, 20].map(backoffMs)).toEqual([
      30_000, 60_000, 120_000, 240_000, 1_920_000, 3_600_000, 3_600_000,
    ]);
  });
});
