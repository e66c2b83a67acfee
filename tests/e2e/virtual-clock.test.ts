import { afterAll, describe, expect, it } from '@jest/globals';
import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { loadConfig } from '../../src/config/app-config.js';
import { createHttpApp } from '../../src/http-app.js';
import { UsersService } from '../../src/users/users.service.js';
import { freshDatabase, type TestDatabase } from '../support/databases.js';
import { TEST_ADMIN_PASSWORD } from '../support/test-app.js';

async function start(
  clock: 'system' | 'virtual',
): Promise<{ app: NestExpressApplication; db: TestDatabase; token: string }> {
  const db = await freshDatabase('sqlite');
  const config = {
    ...loadConfig({}),
    dataDir: db.dataDir,
    databaseUrl: null,
    clock,
    adminPassword: TEST_ADMIN_PASSWORD,
    openCurrentCycleAtStart: false,
  };
  const app = await createHttpApp(config, { scheduler: false });
  await app.init();
  const login = await request(app.getHttpServer())
    .post('/api/auth/login')
    .send({ username: 'admin', password: TEST_ADMIN_PASSWORD })
    .expect(200);
  return { app, db, token: login.body.accessToken };
}

describe('POST /api/admin/clock and /api/admin/sweep', () => {
  const running: Array<{ app: NestExpressApplication; db: TestDatabase }> = [];
  afterAll(async () => {
    for (const r of running) {
      await r.app.close();
      await r.db.drop();
    }
  });

  it('with DONDOC_CLOCK=virtual, admin sets the time that everything then uses', async () => {
    const s = await start('virtual');
    running.push(s);
    const http = request(s.app.getHttpServer());
    const res = await http
      .post('/api/admin/clock')
      .set('Authorization', `Bearer ${s.token}`)
      .send({ now: '2025-11-20T08:00:00+07:00' })
      .expect(200);
    expect(res.body).toEqual({ now: '2025-11-20T01:00:00.000Z' });
    // A token issued at the real time is now far in the future of the clock: still valid, not expired.
    await http
      .post('/api/plans/thanh-hoa-nq46/cycles')
      .set('Authorization', `Bearer ${s.token}`)
      .send({ year: 2025 })
      .expect(201);
    const summary = await http
      .get('/api/plans/thanh-hoa-nq46/cycles/2025')
      .set('Authorization', `Bearer ${s.token}`);
    // 20/11/2025 is after the 15/11 deadline: every obligation is overdue by the virtual clock.
    // 53: the 2025 roster (Đông Sơn merged into the city on 01/01/2025).
    expect(summary.body.counts.byStatus.IN_PROGRESS_OVERDUE).toBe(53);
    // POST /api/admin/sweep fires what is due by the virtual clock: 3 reminders and the deadline.
    const swept = await http
      .post('/api/admin/sweep')
      .set('Authorization', `Bearer ${s.token}`)
      .expect(200);
    expect(swept.body.fired).toHaveLength(53 * 4);
    expect(swept.body.fired[0]).toEqual({
      obligationId: expect.any(String),
      type: 'REMIND',
      level: 1,
    });
    await s.app
      .get(UsersService)
      .create({ username: 'lanhdao', password: 'mat-khau-dai', role: 'leader' });
    const leader = (
      await http.post('/api/auth/login').send({ username: 'lanhdao', password: 'mat-khau-dai' })
    ).body.accessToken as string;
    for (const url of ['/api/admin/sweep', '/api/admin/clock']) {
      const denied = await http
        .post(url)
        .set('Authorization', `Bearer ${leader}`)
        .send({ now: '2026-01-01T00:00:00Z' });
      expect(denied.status).toBe(403);
    }
    const again = await http
      .post('/api/admin/sweep')
      .set('Authorization', `Bearer ${s.token}`)
      .expect(200);
    expect(again.body.fired).toEqual([]);
    const escalations = await http
      .get('/api/escalations?planId=thanh-hoa-nq46&year=2025')
      .set('Authorization', `Bearer ${s.token}`)
      .expect(200);
    expect(escalations.body).toHaveLength(53 * 4);
    expect(escalations.body[0]).toMatchObject({
      kind: 'REMIND',
      level: 1,
      firedAt: '2025-11-20T01:00:00.000Z',
    });
    const bad = await http
      .post('/api/admin/clock')
      .set('Authorization', `Bearer ${s.token}`)
      .send({ now: 'tomorrow' });
    expect(bad.status).toBe(400);
    expect(bad.body.fields[0].path).toBe('now');
  });

  it('answers 404 with the system clock', async () => {
    const s = await start('system');
    running.push(s);
    const res = await request(s.app.getHttpServer())
      .post('/api/admin/clock')
      .set('Authorization', `Bearer ${s.token}`)
      .send({ now: '2025-11-20T08:00:00+07:00' })
      .expect(404);
    expect(res.body.code).toBe('NOT_FOUND');
    const sweep = await request(s.app.getHttpServer())
      .post('/api/admin/sweep')
      .set('Authorization', `Bearer ${s.token}`)
      .expect(404);
    expect(sweep.body.code).toBe('NOT_FOUND');
  });
});
