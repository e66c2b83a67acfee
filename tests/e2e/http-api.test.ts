import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { describeEachDatabase } from '../support/databases.js';
import { loginAll, seedUsers, type TestUsername } from '../support/http-auth.js';
import { createTestHttpApp, type TestHarness } from '../support/test-app.js';

const PLAN = 'thanh-hoa-nq46';

describeEachDatabase('HTTP API', (dialect) => {
  let h: TestHarness<NestExpressApplication>;
  let http: ReturnType<typeof request>;
  let ids: Record<string, string>;
  let tok: Record<TestUsername, string>;
  /** An authenticated request as `user`. */
  const as = (user: TestUsername) => ({
    get: (url: string) => http.get(url).set('Authorization', `Bearer ${tok[user]}`),
    post: (url: string) => http.post(url).set('Authorization', `Bearer ${tok[user]}`),
  });

  beforeAll(async () => {
    h = await createTestHttpApp(dialect);
    http = request(h.app.getHttpServer());
    await seedUsers(h.app);
    tok = await loginAll(http);
  });
  afterAll(async () => h?.close());

  const eventsOf = async (id: string) =>
    (await as('kiemtoan').get(`/api/obligations/${id}/history`).expect(200)).body as unknown[];

  it('GET /api/health reports the database and version', async () => {
    const res = await http.get('/api/health').expect(200);
    expect(res.body).toEqual({ status: 'ok', database: dialect, version: expect.any(String) });
  });

  it('GET /api/plans lists the embedded plan with its basis documents', async () => {
    const res = await as('admin').get('/api/plans').expect(200);
    const plan = res.body.find((p: { id: string }) => p.id === PLAN);
    expect(plan.issuer).toBe('Ủy ban nhân dân tỉnh Thanh Hóa');
    expect(plan.machineVersion).toBe('annual-report@1');
    expect(plan.basis).toContainEqual(
      expect.objectContaining({ ref: '46-NQ/TW', date: '2023-12-20' }),
    );
    expect(plan.basis).toContainEqual(
      expect.objectContaining({ ref: '60-CTr/TU', date: '2024-02-23' }),
    );
  });

  it('GET /api/plans/:id gives the whole definition; /machine the statechart', async () => {
    const res = await as('admin').get(`/api/plans/${PLAN}`).expect(200);
    expect(res.body.cycle.aggregator).toBe('SO_NNPTNT');
    expect(res.body.agencies).toHaveLength(54);
    expect(res.body.escalation.levels).toHaveLength(3);
    const machine = await as('admin').get(`/api/plans/${PLAN}/machine`).expect(200);
    expect(machine.body).toMatchObject({
      id: 'annual-report',
      version: 1,
      initial: 'plan_drafted',
    });
    expect(machine.body.stages.map((s: { name: string }) => s.name)).toContain('reported_to_ubnd');
  });

  it('an unknown plan is 404 NOT_FOUND', async () => {
    const res = await as('admin').get('/api/plans/no-such-plan').expect(404);
    expect(res.body).toMatchObject({ statusCode: 404, code: 'NOT_FOUND' });
    expect(res.body.message).toContain('no-such-plan');
  });

  it('POST cycles opens a year once: 201, then 200 with the same obligations', async () => {
    const first = await as('admin')
      .post(`/api/plans/${PLAN}/cycles`)
      .send({ year: 2025 })
      .expect(201);
    expect(first.body).toMatchObject({ planId: PLAN, year: 2025 });
    // 53: the 2025 roster (Đông Sơn merged into the city on 01/01/2025).
    expect(first.body.obligations).toHaveLength(53);
    const again = await as('admin')
      .post(`/api/plans/${PLAN}/cycles`)
      .send({ year: 2025 })
      .expect(200);
    expect(again.body.obligations.map((o: { id: string }) => o.id).sort()).toEqual(
      first.body.obligations.map((o: { id: string }) => o.id).sort(),
    );
    ids = Object.fromEntries(
      first.body.obligations.map((o: { agencyCode: string; id: string }) => [o.agencyCode, o.id]),
    );
  });

  it('POST cycles with a bad year is 400 naming the field', async () => {
    const res = await as('admin')
      .post(`/api/plans/${PLAN}/cycles`)
      .send({ year: 'next' })
      .expect(400);
    expect(res.body.code).toBe('VALIDATION_FAILED');
    expect(res.body.fields.map((f: { path: string }) => f.path)).toContain('year');
    const early = await as('admin')
      .post(`/api/plans/${PLAN}/cycles`)
      .send({ year: 2023 })
      .expect(400);
    expect(early.body.fields[0].path).toBe('year');
  });

  it('GET a cycle summarises stages and the four statuses; an unopened year is 404', async () => {
    const res = await as('admin').get(`/api/plans/${PLAN}/cycles/2025`).expect(200);
    expect(res.body).toMatchObject({
      planId: PLAN,
      year: 2025,
      dueAt: '2025-11-14T17:00:00.000Z',
      completionRate: null,
      overdue: [],
    });
    expect(res.body.counts.byStage.plan_drafted).toBe(53);
    expect(res.body.counts.byStatus).toEqual({
      IN_PROGRESS_ON_TIME: 53,
      IN_PROGRESS_OVERDUE: 0,
      DONE_ON_TIME: 0,
      DONE_LATE: 0,
    });
    await as('admin').get(`/api/plans/${PLAN}/cycles/2030`).expect(404);
  });

  it('GET /api/obligations filters and pages', async () => {
    const page = await as('admin')
      .get('/api/obligations')
      .query({ planId: PLAN, year: 2025, page: 2, pageSize: 20 })
      .expect(200);
    expect(page.body).toMatchObject({ total: 53, page: 2, pageSize: 20 });
    expect(page.body.items).toHaveLength(20);
    const one = await as('canbo.snn')
      .get('/api/obligations')
      .query({ agency: 'SO_NNPTNT', year: 2025 })
      .expect(200);
    expect(one.body.total).toBe(1);
    expect(one.body.items[0]).toMatchObject({
      agencyName: 'Sở Nông nghiệp và Phát triển nông thôn',
      kind: 'directed',
      stage: 'plan_drafted',
      overdue: false,
      escalationLevel: 0,
      dueAt: '2025-11-14T17:00:00.000Z',
      version: 1,
      machineVersion: 'annual-report@1',
      allowedEvents: ['START_IMPLEMENTATION'],
    });
    expect(one.body.items[0].dueDerivation).toMatchObject({
      policy: 'fixed-exclusive',
      lastDay: '2025-11-14',
    });
    const requested = await as('admin')
      .get('/api/obligations')
      .query({ agency: 'HOI_NONGDAN_TINH' })
      .expect(200);
    expect(requested.body.items[0].kind).toBe('requested');
    const bad = await as('admin')
      .get('/api/obligations')
      .query({ stage: 'flying', pageSize: 0 })
      .expect(400);
    expect(bad.body.fields.map((f: { path: string }) => f.path).sort()).toEqual([
      'pageSize',
      'stage',
    ]);
  });

  it('GET an unknown obligation is 404', async () => {
    const res = await as('admin')
      .get('/api/obligations/00000000-0000-0000-0000-000000000000')
      .expect(404);
    expect(res.body.code).toBe('NOT_FOUND');
  });

  it('POST an event advances the obligation and records it', async () => {
    const id = ids.SO_NNPTNT!;
    const res = await as('canbo.snn')
      .post(`/api/obligations/${id}/events`)
      .send({
        type: 'START_IMPLEMENTATION',
        payload: { planRef: '123/KH-SNN' },
        expectedVersion: 1,
      })
      .expect(200);
    expect(res.body).toMatchObject({
      id,
      stage: 'implementing',
      version: 2,
      allowedEvents: ['SUBMIT_REPORT'],
    });
    const history = await eventsOf(id);
    expect(history[1]).toMatchObject({
      seq: 2,
      type: 'START_IMPLEMENTATION',
      actor: 'canbo.snn',
      stageAfter: 'implementing',
      payload: { planRef: '123/KH-SNN' },
    });
  });

  it('bad input gets a clear error and changes nothing', async () => {
    const id = ids.SO_NNPTNT!;
    const before = (await as('canbo.snn').get(`/api/obligations/${id}`).expect(200)).body;
    const cases: Array<{ body: string | object; status: number; code: string; field?: string }> = [
      { body: '{"type": "SUBMIT_REPORT", ', status: 400, code: 'VALIDATION_FAILED' },
      {
        body: { type: 'SUBMIT_REPORT', payload: { reportRef: 'x' }, actor: 'someone-else' },
        status: 400,
        code: 'VALIDATION_FAILED',
        field: 'actor',
      },
      {
        body: { type: 'SUBMIT_REPORT', payload: {} },
        status: 400,
        code: 'VALIDATION_FAILED',
        field: 'payload.reportRef',
      },
      {
        body: { type: 'SUBMIT_REPORT', payload: { reportRef: 'x' }, expectedVersion: 'two' },
        status: 400,
        code: 'VALIDATION_FAILED',
        field: 'expectedVersion',
      },
      { body: { type: 'TELEPORT' }, status: 400, code: 'VALIDATION_FAILED', field: 'type' },
      {
        body: { type: 'START_IMPLEMENTATION', payload: { planRef: 'again' } },
        status: 422,
        code: 'EVENT_NOT_ALLOWED',
      },
      { body: { type: 'AGGREGATE', payload: {} }, status: 403, code: 'FORBIDDEN' },
      {
        body: { type: 'SUBMIT_REPORT', payload: { reportRef: 'x' }, expectedVersion: 1 },
        status: 409,
        code: 'VERSION_CONFLICT',
      },
      { body: { type: 'ESCALATE', payload: { level: 3 } }, status: 403, code: 'FORBIDDEN' },
    ];
    for (const c of cases) {
      const req = as('canbo.snn')
        .post(`/api/obligations/${id}/events`)
        .set('Content-Type', 'application/json');
      const res = await req.send(typeof c.body === 'string' ? c.body : JSON.stringify(c.body));
      expect({ status: res.status, code: res.body.code }).toEqual({
        status: c.status,
        code: c.code,
      });
      expect(res.body.statusCode).toBe(c.status);
      expect(typeof res.body.message).toBe('string');
      expect(JSON.stringify(res.body)).not.toMatch(/at .*\.ts:\d+|SELECT|INSERT/);
      if (c.field) expect(res.body.fields.map((f: { path: string }) => f.path)).toContain(c.field);
      if (c.code === 'EVENT_NOT_ALLOWED')
        expect(res.body).toMatchObject({
          stage: 'implementing',
          allowedEvents: ['SUBMIT_REPORT'],
        });
      if (c.code === 'VERSION_CONFLICT') expect(res.body.currentVersion).toBe(2);
    }
    const after = (await as('canbo.snn').get(`/api/obligations/${id}`).expect(200)).body;
    expect(after).toEqual(before);
    expect(await eventsOf(id)).toHaveLength(2);
  });

  it('events on an unknown obligation are 404', async () => {
    const res = await as('tonghop.snn')
      .post('/api/obligations/00000000-0000-0000-0000-000000000000/events')
      .send({ type: 'AGGREGATE', payload: {} })
      .expect(404);
    expect(res.body.code).toBe('NOT_FOUND');
  });

  it('repeating a request with the same Idempotency-Key returns the first answer and appends nothing', async () => {
    const id = ids.SO_CONGTHUONG!;
    const send = (payload: object) =>
      as('canbo.sct')
        .post(`/api/obligations/${id}/events`)
        .set('Idempotency-Key', 'sct-2025-start')
        .send({ type: 'START_IMPLEMENTATION', payload });
    const first = await send({ planRef: '88/KH-SCT' }).expect(200);
    h.clock.advance(60_000);
    const second = await send({ planRef: '88/KH-SCT' }).expect(200);
    expect(second.body).toEqual(first.body);
    expect(await eventsOf(id)).toHaveLength(2);
    const reused = await send({ planRef: 'another' }).expect(409);
    expect(reused.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await eventsOf(id)).toHaveLength(2);
  });

  it('serves the OpenAPI description at /api/docs', async () => {
    await http.get('/api/docs').expect(200);
    const json = await http.get('/api/docs-json').expect(200);
    expect(Object.keys(json.body.paths)).toContain('/api/obligations/{id}/events');
  });

  it('an unknown route is a JSON 404', async () => {
    const res = await as('admin').get('/api/nothing-here').expect(404);
    expect(res.body.code).toBe('NOT_FOUND');
  });
});
