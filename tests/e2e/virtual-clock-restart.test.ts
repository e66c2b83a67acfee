/**
 * The virtual clock survives a restart: the time an administrator set is stored in the database,
 * and a new process on that database (after a crash or a deploy) resumes from it instead of the
 * real time. A clock that a test or simulation injects is left as it was given.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { VirtualClock } from '../../src/clock/clocks.js';
import { loadConfig, type AppConfig } from '../../src/config/app-config.js';
import { createHttpApp } from '../../src/http-app.js';
import { describeEachDatabase, freshDatabase, type TestDatabase } from '../support/databases.js';
import { TEST_ADMIN_PASSWORD } from '../support/test-app.js';

describeEachDatabase('virtual clock across restarts', (dialect) => {
  let db: TestDatabase;
  const open: NestExpressApplication[] = [];

  beforeAll(async () => {
    db = await freshDatabase(dialect);
  });
  afterAll(async () => {
    for (const app of open) await app.close();
    await db?.drop();
  });

  const config = (clock: AppConfig['clock']): AppConfig => ({
    ...loadConfig({}),
    dataDir: db.dataDir,
    databaseUrl: db.databaseUrl,
    clock,
    adminPassword: TEST_ADMIN_PASSWORD,
    openCurrentCycleAtStart: false,
  });

  /** A server process's application, with the clock from the configuration or injected. */
  const start = async (clock: AppConfig['clock'], injected?: VirtualClock) => {
    const app = await createHttpApp(config(clock), { clock: injected, scheduler: false });
    await app.init();
    open.push(app);
    const login = await request(app.getHttpServer())
      .post('/api/auth/login')
      .send({ username: 'admin', password: TEST_ADMIN_PASSWORD })
      .expect(200);
    return { http: request(app.getHttpServer()), token: login.body.accessToken as string, app };
  };
  const stop = async (app: NestExpressApplication) => {
    await app.close();
    open.splice(open.indexOf(app), 1);
  };
  const clockOf = async (s: Awaited<ReturnType<typeof start>>) =>
    (await s.http.get('/api/clock').set('Authorization', `Bearer ${s.token}`).expect(200)).body;
  const setClock = (s: Awaited<ReturnType<typeof start>>, now: string) =>
    s.http
      .post('/api/admin/clock')
      .set('Authorization', `Bearer ${s.token}`)
      .send({ now })
      .expect(200);

  it('Given admin set the time, when the server restarts, then the clock resumes from that time', async () => {
    const first = await start('virtual');
    await setClock(first, '2025-11-20T08:00:00+07:00');
    await stop(first.app);

    const second = await start('virtual');
    expect(await clockOf(second)).toEqual({ mode: 'virtual', now: '2025-11-20T01:00:00.000Z' });
    // Moving it again is stored again: the latest time set wins.
    await setClock(second, '2025-12-01T00:00:00Z');
    await stop(second.app);

    const third = await start('virtual');
    expect((await clockOf(third)).now).toBe('2025-12-01T00:00:00.000Z');
    await stop(third.app);
  });

  it('Given a clock is injected (a test, a simulation), then the stored time does not replace it', async () => {
    const injected = new VirtualClock(new Date('2025-06-01T03:00:00Z'));
    const s = await start('virtual', injected);
    expect((await clockOf(s)).now).toBe('2025-06-01T03:00:00.000Z');
    await stop(s.app);
  });

  it('Given the system clock, then the stored virtual time is ignored', async () => {
    const s = await start('system');
    const { mode, now } = await clockOf(s);
    expect(mode).toBe('system');
    expect(Math.abs(Date.parse(now) - Date.now())).toBeLessThan(60_000);
    await stop(s.app);
  });
});
