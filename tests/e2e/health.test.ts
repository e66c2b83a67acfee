/** Liveness and readiness, and what a draining server answers. */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { Database } from '../../src/database/database.js';
import { LifecycleService } from '../../src/health/lifecycle.service.js';
import { isApiPath } from '../../src/web/web-interface.js';
import { describeEachDatabase } from '../support/databases.js';
import { createTestHttpApp, type TestHarness } from '../support/test-app.js';

describeEachDatabase('health, readiness and draining', (dialect) => {
  let h: TestHarness<NestExpressApplication>;
  const http = () => request(h.app.getHttpServer());

  beforeAll(async () => {
    h = await createTestHttpApp(dialect);
  });
  afterAll(async () => h?.close());

  it('answers liveness, readiness and the original health route without a token', async () => {
    expect((await http().get('/api/health/live').expect(200)).body).toEqual({ status: 'ok' });
    expect((await http().get('/api/health/ready').expect(200)).body).toEqual({
      status: 'ready',
      database: dialect,
      version: expect.any(String),
      checks: { accepting: 'ok', database: 'ok', migrations: 'ok' },
    });
    expect((await http().get('/api/health').expect(200)).body).toMatchObject({
      status: 'ok',
      database: dialect,
    });
  });

  it('serves the web interface at / and never looks for API paths among its files', async () => {
    const page = await http().get('/').expect(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    // A file of web/ under an API path is not served: the API answers (JSON 404).
    const miss = await http().get('/api/index.html').expect(404);
    expect(miss.body).toMatchObject({ statusCode: 404 });
    expect(isApiPath('/api')).toBe(true);
    expect(isApiPath('/api/obligations')).toBe(true);
    expect(isApiPath('/metrics')).toBe(true);
    expect(isApiPath('/apis.js')).toBe(false);
    expect(isApiPath('/index.html')).toBe(false);
  });

  it('is not ready when a migration this version expects has not run', async () => {
    const db = h.app.get(Database);
    const [row] = await db.read((sql) =>
      sql.query<{ id: unknown; timestamp: unknown; name: string }>(
        'SELECT id, timestamp, name FROM migrations ORDER BY timestamp DESC LIMIT 1',
      ),
    );
    // A fresh health controller has not seen the migrations yet; simulate an older schema.
    const fresh = await createTestHttpApp(dialect);
    try {
      await fresh.app
        .get(Database)
        .write((tx) => tx.execute('DELETE FROM migrations WHERE name = ?', [row!.name]));
      const res = await request(fresh.app.getHttpServer()).get('/api/health/ready').expect(503);
      expect(res.body).toMatchObject({
        statusCode: 503,
        code: 'NOT_READY',
        checks: { accepting: 'ok', database: 'ok', migrations: 'missing' },
      });
      // Liveness does not depend on the schema.
      await request(fresh.app.getHttpServer()).get('/api/health/live').expect(200);
    } finally {
      await fresh.close();
    }
  });

  it('while draining: not ready, still alive, and every other request gets 503 SHUTTING_DOWN', async () => {
    h.app.get(LifecycleService).startDraining();
    const ready = await http().get('/api/health/ready').expect(503);
    expect(ready.body).toMatchObject({
      code: 'NOT_READY',
      checks: { accepting: 'draining' },
    });
    await http().get('/api/health/live').expect(200);
    for (const [method, url] of [
      ['get', '/api/health'],
      ['post', '/api/auth/login'],
      ['get', '/api/obligations'],
      ['get', '/metrics'],
    ] as const) {
      const res = await http()[method](url).expect(503);
      expect(res.body).toEqual({
        statusCode: 503,
        code: 'SHUTTING_DOWN',
        message: expect.stringContaining('shutting down'),
      });
      expect(res.headers.connection).toBe('close');
    }
  });
});
