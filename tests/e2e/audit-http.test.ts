/** The audit routes over HTTP: who may verify and sign checkpoints, and what they answer. */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { CycleService } from '../../src/cycles/cycle.service.js';
import { Database } from '../../src/database/database.js';
import { admin } from '../support/callers.js';
import { describeEachDatabase } from '../support/databases.js';
import { loginAll, seedUsers, type TestUsername } from '../support/http-auth.js';
import { createTestHttpApp, type TestHarness } from '../support/test-app.js';

const PLAN = 'thanh-hoa-nq46';

describeEachDatabase('audit routes', (dialect) => {
  let h: TestHarness<NestExpressApplication>;
  let http: ReturnType<typeof request>;
  let tok: Record<TestUsername, string>;

  const get = (who: TestUsername | null, url: string) => {
    const req = http.get(url);
    return who ? req.set('Authorization', `Bearer ${tok[who]}`) : req;
  };
  const post = (who: TestUsername, url: string) =>
    http.post(url).set('Authorization', `Bearer ${tok[who]}`);

  beforeAll(async () => {
    h = await createTestHttpApp(dialect, { auditKey: 'khoa-kiem-toan-http-0123456789abcdef' });
    await seedUsers(h.app);
    http = request(h.app.getHttpServer());
    tok = await loginAll(http);
    await h.app.get(CycleService).open(PLAN, 2025, admin);
  });
  afterAll(async () => h?.close());

  it('GET /api/audit/verify: auditor, leader, aggregator and admin get the report; an officer 403', async () => {
    const res = await get('kiemtoan', `/api/audit/verify?planId=${PLAN}&year=2025`);
    expect(res.status).toBe(200);
    // 53: the 2025 roster (Đông Sơn merged into the city on 01/01/2025).
    expect(res.body).toMatchObject({ ok: true, obligations: 53, events: 53, problems: [] });
    for (const who of ['lanhdao.ubnd', 'tonghop.snn', 'admin'] as const) {
      expect((await get(who, '/api/audit/verify')).status).toBe(200);
    }
    const officer = await get('canbo.snn', '/api/audit/verify');
    expect(officer.status).toBe(403);
    expect(officer.body.code).toBe('FORBIDDEN');
    expect((await get(null, '/api/audit/verify')).status).toBe(401);
  });

  it('a tampered event is reported with its obligation, seq and kind', async () => {
    const [row] = await h.app
      .get(Database)
      .read((sql) =>
        sql.query<{ obligation_id: string }>(
          'SELECT obligation_id FROM obligation_events ORDER BY id LIMIT 1',
        ),
      );
    const id = row!.obligation_id;
    await h.app
      .get(Database)
      .write((tx) =>
        tx.execute("UPDATE obligation_events SET actor = 'someone-else' WHERE obligation_id = ?", [
          id,
        ]),
      );
    try {
      const res = await get('kiemtoan', '/api/audit/verify');
      expect(res.status).toBe(200);
      expect(res.body.ok).toBe(false);
      expect(res.body.problems).toEqual([
        {
          obligationId: id,
          seq: 1,
          kind: 'HASH_MISMATCH',
          detail: "the event's fields do not hash to its hash",
        },
      ]);
    } finally {
      await h.app
        .get(Database)
        .write((tx) =>
          tx.execute("UPDATE obligation_events SET actor = 'admin' WHERE obligation_id = ?", [id]),
        );
    }
    expect((await get('kiemtoan', '/api/audit/verify')).body.ok).toBe(true);
  });

  it('POST /api/audit/checkpoints: admin and auditor sign one; others 403; it is listed and checkable', async () => {
    const created = await post('kiemtoan', '/api/audit/checkpoints');
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.any(Number),
      position: 53,
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      eventCount: 53,
      createdAt: h.clock.now().toISOString(),
      signature: expect.stringMatching(/^[0-9a-f]{64}$/),
      algorithm: 'HMAC-SHA256',
    });
    expect((await post('admin', '/api/audit/checkpoints')).status).toBe(201);
    for (const who of ['lanhdao.ubnd', 'tonghop.snn', 'canbo.snn'] as const) {
      expect((await post(who, '/api/audit/checkpoints')).status).toBe(403);
    }
    const list = await get('lanhdao.ubnd', '/api/audit/checkpoints');
    expect(list.status).toBe(200);
    expect(list.body).toHaveLength(2);
    expect(list.body[1]).toEqual(created.body);
    expect((await get('canbo.snn', '/api/audit/checkpoints')).status).toBe(403);
    expect((await get('kiemtoan', `/api/audit/checkpoints/${created.body.id}`)).body).toEqual(
      created.body,
    );

    const checked = await get('kiemtoan', '/api/audit/verify?checkpoint=latest');
    expect(checked.body).toMatchObject({ ok: true, checkpoints: 1 });
    const byId = await get('kiemtoan', `/api/audit/verify?checkpoint=${created.body.id}`);
    expect(byId.body).toMatchObject({ ok: true, checkpoints: 1 });
    expect((await get('kiemtoan', '/api/audit/verify?checkpoint=999')).status).toBe(404);
    const bad = await get('kiemtoan', '/api/audit/verify?checkpoint=newest');
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('VALIDATION_FAILED');
  });
});
