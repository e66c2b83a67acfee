/**
 * The agency registry and TRANSFER over HTTP (both databases): GET /api/agencies, the 422 of a
 * bad transfer in the contract's error envelope, and a 2026 cycle opened with its roster.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { describeEachDatabase } from '../support/databases.js';
import { loginAll, seedUsers, type TestUsername } from '../support/http-auth.js';
import { createTestHttpApp, type TestHarness } from '../support/test-app.js';

const PLAN = 'thanh-hoa-nq46';

describeEachDatabase('agencies over HTTP', (dialect) => {
  let h: TestHarness<NestExpressApplication>;
  let http: ReturnType<typeof request>;
  let tok: Record<TestUsername, string>;
  let ids: Record<string, string>;
  const as = (user: TestUsername) => ({
    get: (url: string) => http.get(url).set('Authorization', `Bearer ${tok[user]}`),
    post: (url: string) => http.post(url).set('Authorization', `Bearer ${tok[user]}`),
  });

  beforeAll(async () => {
    h = await createTestHttpApp(dialect);
    http = request(h.app.getHttpServer());
    await seedUsers(h.app);
    tok = await loginAll(http);
    const opened = await as('admin').post(`/api/plans/${PLAN}/cycles`).send({ year: 2025 });
    expect(opened.status).toBe(201);
    ids = Object.fromEntries(
      opened.body.obligations.map((o: { agencyCode: string; id: string }) => [o.agencyCode, o.id]),
    );
    expect(opened.body.roster).toEqual({
      asOf: '2025-01-01',
      aggregator: { code: 'SO_NNPTNT', name: 'Sở Nông nghiệp và Phát triển nông thôn' },
      excluded: [],
    });
  });
  afterAll(async () => h?.close());

  it('GET /api/agencies?date= lists the agencies valid that day, for any signed-in role', async () => {
    const res = await as('canbo.sct').get('/api/agencies?date=2026-01-01').expect(200);
    const codes = (res.body as Array<{ code: string; group: string }>).map((a) => a.code);
    expect(codes).toHaveLength(21);
    expect(codes).toContain('SO_NNMT');
    expect(codes).not.toContain('SO_NNPTNT');
    expect(res.body.filter((a: { group: string }) => a.group === 'district')).toEqual([]);
    const all = await as('kiemtoan').get('/api/agencies').expect(200);
    expect(all.body).toHaveLength(57);
    expect(all.body.find((a: { code: string }) => a.code === 'SO_NNPTNT')).toEqual({
      registry: 'thanh-hoa',
      code: 'SO_NNPTNT',
      name: 'Sở Nông nghiệp và Phát triển nông thôn',
      shortName: 'Sở Nông nghiệp và PTNT',
      group: 'department',
      tags: [],
      validFrom: null,
      validTo: '2025-02-28',
      successors: [
        {
          code: 'SO_NNMT',
          date: '2025-03-01',
          basis: expect.stringContaining('Nghị định số 45/2025/NĐ-CP'),
          functions: null,
        },
      ],
      endNote: null,
      note: null,
    });
    await http.get('/api/agencies').expect(401);
  });

  it('GET /api/agencies/:code gives its periods, its name and its label on the date', async () => {
    const res = await as('lanhdao.ubnd').get('/api/agencies/SO_NNPTNT?date=2025-12-01').expect(200);
    expect(res.body).toMatchObject({
      registry: 'thanh-hoa',
      code: 'SO_NNPTNT',
      date: '2025-12-01',
      validOnDate: false,
      name: 'Sở Nông nghiệp và Phát triển nông thôn',
      label: 'Sở Nông nghiệp và PTNT (nay là Sở Nông nghiệp và Môi trường)',
    });
    // Without a date: today by the clock (1 June 2025 in the tests).
    const today = await as('lanhdao.ubnd').get('/api/agencies/SO_NNMT').expect(200);
    expect(today.body).toMatchObject({ date: '2025-06-01', validOnDate: true });
    const unknown = await as('lanhdao.ubnd').get('/api/agencies/SO_KHONGCO').expect(404);
    expect(unknown.body).toMatchObject({ statusCode: 404, code: 'NOT_FOUND' });
  });

  it('a bad date or registry is 400 VALIDATION_FAILED naming the field', async () => {
    const bad = await as('kiemtoan').get('/api/agencies?date=2025-02-30').expect(400);
    expect(bad.body).toMatchObject({
      code: 'VALIDATION_FAILED',
      fields: [{ path: 'date', message: 'expected a real civil date YYYY-MM-DD, e.g. 2025-03-01' }],
    });
    const registry = await as('kiemtoan').get('/api/agencies?registry=Thanh Hoa').expect(400);
    expect(registry.body.code).toBe('VALIDATION_FAILED');
    await as('kiemtoan').get('/api/agencies?registry=nghe-an').expect(404);
  });

  it('POST TRANSFER: 422 AGENCY_NOT_VALID for an agency not valid then, 403 for the aggregator, 200 for admin', async () => {
    const url = `/api/obligations/${ids.SO_NNPTNT}/events`;
    const body = {
      type: 'TRANSFER',
      payload: { toAgency: 'SO_NNMT', basis: 'Nghị định số 45/2025/NĐ-CP' },
    };
    // Recorded as of 20/02/2025, when Sở NN&MT did not exist yet.
    const early = await as('admin')
      .post(url)
      .send({ ...body, effectiveAt: '2025-02-20T09:00:00+07:00', reason: 'Quyết định ngày 20/02' })
      .expect(422);
    expect(early.body).toMatchObject({
      statusCode: 422,
      code: 'AGENCY_NOT_VALID',
      message:
        "SO_NNMT is not valid on 2025-02-20 (the transfer's effective date) in agency registry thanh-hoa",
      toAgency: 'SO_NNMT',
      fromAgency: 'SO_NNPTNT',
      validity: [{ validFrom: '2025-03-01', validTo: null }],
    });
    const unknown = await as('admin')
      .post(url)
      .send({ ...body, payload: { ...body.payload, toAgency: 'SO_KHONGCO' } })
      .expect(422);
    expect(unknown.body.message).toBe('SO_KHONGCO is not in agency registry thanh-hoa');
    const history = await as('kiemtoan').get(`/api/obligations/${ids.SO_NNPTNT}/history`);
    expect(history.body).toHaveLength(1);
    const ok = await as('admin').post(url).send(body).expect(200);
    expect(ok.body).toMatchObject({
      agencyCode: 'SO_NNMT',
      agencyName: 'Sở Nông nghiệp và Môi trường',
      version: 2,
    });
    const denied = await as('tonghop.snn')
      .post(`/api/obligations/${ids.SO_TNMT}/events`)
      .send(body)
      .expect(403);
    expect(denied.body.code).toBe('FORBIDDEN');
    const malformed = await as('admin')
      .post(`/api/obligations/${ids.SO_TNMT}/events`)
      .send({ type: 'TRANSFER', payload: { toAgency: 'SO_NNMT' } })
      .expect(400);
    expect(malformed.body.fields).toEqual([expect.objectContaining({ path: 'payload.basis' })]);
    // The old agency's officer no longer sees it; an officer of the new agency does.
    await as('canbo.snn').get(`/api/obligations/${ids.SO_NNPTNT}`).expect(403);
    await as('admin')
      .post('/api/users')
      .send({
        username: 'canbo.snnmt',
        password: 'mat-khau-thu-nghiem',
        role: 'officer',
        agencyCode: 'SO_NNMT',
      })
      .expect(201);
    const login = await http
      .post('/api/auth/login')
      .send({ username: 'canbo.snnmt', password: 'mat-khau-thu-nghiem' })
      .expect(200);
    const mine = await http
      .get(`/api/obligations/${ids.SO_NNPTNT}`)
      .set('Authorization', `Bearer ${login.body.accessToken}`)
      .expect(200);
    expect(mine.body.allowedEvents).toEqual(['START_IMPLEMENTATION']);
  });

  it('a 2026 cycle opens with the registry’s roster and Sở NN&MT as aggregator', async () => {
    const res = await as('admin')
      .post(`/api/plans/${PLAN}/cycles`)
      .send({ year: 2026 })
      .expect(201);
    expect(res.body.obligations).toHaveLength(21);
    expect(res.body.roster.aggregator).toEqual({
      code: 'SO_NNMT',
      name: 'Sở Nông nghiệp và Môi trường',
    });
    expect(res.body.roster.excluded).toContainEqual({
      agencyCode: 'H_BATHUOC',
      reason: 'NO_SUCCESSOR',
      detail: expect.stringContaining('H_BATHUOC ended on 2025-06-30'),
    });
  });
});
