/** GET /metrics: who may read it, and figures that follow what the server does. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { CycleService } from '../../src/cycles/cycle.service.js';
import { Database } from '../../src/database/database.js';
import { DispatcherService } from '../../src/notifications/dispatcher.service.js';
import { CommandService } from '../../src/obligations/command.service.js';
import { SweepService } from '../../src/timers/sweep.service.js';
import { admin } from '../support/callers.js';
import { describeEachDatabase } from '../support/databases.js';
import { login, loginAll, seedUsers, type TestUsername } from '../support/http-auth.js';
import { createTestHttpApp, type TestHarness } from '../support/test-app.js';

/** The value of one sample line (`name{labels} value`), or undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describeEachDatabase('GET /metrics', (dialect) => {
  let h: TestHarness<NestExpressApplication>;
  let tokens: Record<TestUsername, string>;
  let ids: Map<string, string>;
  const http = () => request(h.app.getHttpServer());
  const scrape = async () => {
    const res = await http().get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return res.text;
  };

  beforeAll(async () => {
    // A webhook nobody listens on, tried once: its rows end up failed.
    h = await createTestHttpApp(dialect, {
      webhookUrls: ['http://127.0.0.1:9/hook'],
      notifyMaxAttempts: 1,
    });
    await seedUsers(h.app);
    tokens = await loginAll(http());
    const opened = await h.app.get(CycleService).open('thanh-hoa-nq46', 2025, admin);
    ids = new Map(opened.obligations.map((o) => [o.agencyCode, o.id]));
  });
  afterAll(async () => h?.close());

  it('counts commands by type and result, with their latency, as they happen', async () => {
    const send = (agency: string, type: string, payload: object, expectedVersion?: number) =>
      http()
        .post(`/api/obligations/${ids.get(agency)}/events`)
        .set('Authorization', `Bearer ${tokens['canbo.snn']}`)
        .send({ type, payload, ...(expectedVersion ? { expectedVersion } : {}) });
    const before = await scrape();
    expect(sample(before, 'dondoc_commands_total{type="START_IMPLEMENTATION",result="ok"}')).toBe(
      undefined,
    );
    await send('SO_NNPTNT', 'START_IMPLEMENTATION', { planRef: '12/KH-SNN' }).expect(200);
    await send('SO_NNPTNT', 'START_IMPLEMENTATION', { planRef: '12/KH-SNN' }).expect(422);
    await send('SO_NNPTNT', 'SUBMIT_REPORT', { reportRef: '34/BC-SNN' }, 1).expect(409);
    // HTTP refuses an unknown type before the command path; another caller of the service could
    // still send one, and it is counted under one label so the label set cannot grow.
    await expect(
      h.app.get(CommandService).execute({
        obligationId: ids.get('SO_NNPTNT')!,
        type: 'NO_SUCH_EVENT',
        caller: admin,
      }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });

    const text = await scrape();
    expect(sample(text, 'dondoc_commands_total{type="START_IMPLEMENTATION",result="ok"}')).toBe(1);
    expect(
      sample(text, 'dondoc_commands_total{type="START_IMPLEMENTATION",result="EVENT_NOT_ALLOWED"}'),
    ).toBe(1);
    expect(
      sample(text, 'dondoc_commands_total{type="SUBMIT_REPORT",result="VERSION_CONFLICT"}'),
    ).toBe(1);
    expect(sample(text, 'dondoc_commands_total{type="invalid",result="VALIDATION_FAILED"}')).toBe(
      1,
    );
    expect(text).not.toContain('NO_SUCH_EVENT');
    expect(sample(text, 'dondoc_command_duration_seconds_count{type="START_IMPLEMENTATION"}')).toBe(
      2,
    );
    expect(
      sample(text, 'dondoc_command_duration_seconds_bucket{le="+Inf",type="START_IMPLEMENTATION"}'),
    ).toBe(2);
    if (dialect === 'sqlite') {
      // Every committed write batch was observed (the cycle's opening and the commands).
      expect(sample(text, 'dondoc_write_batch_size_count')).toBeGreaterThanOrEqual(4);
    }
    expect(sample(text, 'dondoc_write_queue_depth')).toBe(0);
  });

  it('reports overdue obligations by plan, due and lagging timers, fired timers and the outbox', async () => {
    // 1 June 2025: nothing is due yet.
    let text = await scrape();
    expect(sample(text, 'dondoc_timers_due')).toBe(0);
    expect(text).not.toContain('dondoc_obligations_overdue{');

    // 16 November, past the 15/11 deadline: the deadline passes of all 53 (the 2025 roster) and their 3 reminders
    // each are due; all lag; 53 are overdue (SO_NNPTNT is implementing but not reported either).
    h.clock.set(new Date('2025-11-16T03:00:00.000Z'));
    text = await scrape();
    expect(sample(text, 'dondoc_timers_due')).toBe(53 * 4);
    expect(sample(text, 'dondoc_timers_lagging')).toBe(53 * 4);
    expect(sample(text, 'dondoc_timer_lag_seconds')).toBeGreaterThan(29 * 86400);
    expect(sample(text, 'dondoc_obligations_overdue{plan="thanh-hoa-nq46",year="2025"}')).toBe(53);

    // SO_NNPTNT reports (with a token issued at the new time): one fewer overdue.
    tokens['canbo.snn'] = await login(http(), 'canbo.snn');
    await http()
      .post(`/api/obligations/${ids.get('SO_NNPTNT')}/events`)
      .set('Authorization', `Bearer ${tokens['canbo.snn']}`)
      .send({ type: 'SUBMIT_REPORT', payload: { reportRef: '34/BC-SNN' } })
      .expect(200);
    text = await scrape();
    expect(sample(text, 'dondoc_obligations_overdue{plan="thanh-hoa-nq46",year="2025"}')).toBe(52);

    const fired = await h.app.get(SweepService).sweep();
    expect(fired).toHaveLength(52 * 4);
    text = await scrape();
    expect(sample(text, 'dondoc_timers_due')).toBe(0);
    expect(sample(text, 'dondoc_timers_lagging')).toBe(0);
    expect(sample(text, 'dondoc_timer_lag_seconds')).toBe(0);
    expect(sample(text, 'dondoc_timers_fired_total{kind="REMIND"}')).toBe(52 * 3);
    expect(sample(text, 'dondoc_timers_fired_total{kind="DEADLINE_PASSED"}')).toBe(52);
    expect(sample(text, 'dondoc_commands_total{type="DEADLINE_PASSED",result="ok"}')).toBe(52);
    // One webhook row per fired timer, waiting for the dispatcher.
    expect(sample(text, 'dondoc_outbox_notifications{status="pending"}')).toBe(52 * 4);
    expect(sample(text, 'dondoc_outbox_notifications{status="failed"}')).toBe(0);

    await h.app.get(DispatcherService).dispatchDue();
    text = await scrape();
    expect(sample(text, 'dondoc_outbox_notifications{status="pending"}')).toBe(0);
    expect(sample(text, 'dondoc_outbox_notifications{status="failed"}')).toBe(52 * 4);
    // Process figures come with them.
    expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  it('refuses a request relayed by a proxy, even from the loopback interface', async () => {
    for (const header of ['X-Forwarded-For', 'Forwarded', 'X-Real-IP']) {
      const res = await http().get('/metrics').set(header, '203.0.113.7').expect(403);
      expect(res.body).toMatchObject({ code: 'FORBIDDEN' });
      expect(res.body.message).toContain('DONDOC_METRICS_TOKEN');
    }
    // Not under /api, and a user's token is not what opens it.
    await http().get('/api/metrics').set('Authorization', `Bearer ${tokens.admin}`).expect(404);
  });

  it('a scrape changes nothing in the database', async () => {
    const count = () =>
      h.app
        .get(Database)
        .read((sql) => sql.query<{ n: unknown }>('SELECT COUNT(*) AS n FROM obligation_events'));
    const before = Number((await count())[0]!.n);
    await scrape();
    expect(Number((await count())[0]!.n)).toBe(before);
  });
});

describe('GET /metrics with DONDOC_METRICS_TOKEN', () => {
  let h: TestHarness<NestExpressApplication>;
  const token = 'metrics-token-0123456789-abcdefghijkl';
  beforeAll(async () => {
    h = await createTestHttpApp('sqlite', { metricsToken: token });
  });
  afterAll(async () => h?.close());

  it('needs the token from every client, loopback included, and accepts it through a proxy', async () => {
    const http = request(h.app.getHttpServer());
    expect((await http.get('/metrics').expect(401)).body).toMatchObject({
      code: 'UNAUTHENTICATED',
      reason: 'no token',
    });
    expect(
      (await http.get('/metrics').set('Authorization', `Bearer ${token}x`).expect(401)).body,
    ).toMatchObject({ reason: 'wrong token' });
    const ok = await http
      .get('/metrics')
      .set('Authorization', `Bearer ${token}`)
      .set('X-Forwarded-For', '203.0.113.7')
      .expect(200);
    expect(ok.text).toContain('# TYPE dondoc_commands_total counter');
  });
});
