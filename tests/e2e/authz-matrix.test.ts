/**
 * Every route × every role (and no token): the status each cell must give, and for every denied
 * write, proof that nothing changed (stage, version and event count before and after).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { CycleService } from '../../src/cycles/cycle.service.js';
import { Database } from '../../src/database/database.js';
import { CommandService } from '../../src/obligations/command.service.js';
import { admin, aggregator, officerOf } from '../support/callers.js';
import { describeEachDatabase } from '../support/databases.js';
import { loginAll, seedUsers, type TestUsername } from '../support/http-auth.js';
import { createTestHttpApp, type TestHarness } from '../support/test-app.js';

const PLAN = 'thanh-hoa-nq46';
type Who = 'none' | TestUsername;
/**
 * Columns: no token, then each role; canbo.sct is the officer of the target agency (Sở Công
 * Thương, which every cycle's roster has), canbo.snn an officer of another agency.
 */
const WHO: Who[] = [
  'none',
  'kiemtoan',
  'lanhdao.ubnd',
  'canbo.snn',
  'canbo.sct',
  'tonghop.snn',
  'admin',
];
const COLUMN: Record<Who, string> = {
  none: 'no token',
  kiemtoan: 'auditor',
  'lanhdao.ubnd': 'leader',
  'canbo.snn': 'officer (other agency)',
  'canbo.sct': 'officer (own agency)',
  'tonghop.snn': 'aggregator',
  admin: 'admin',
};

/** Expected statuses in WHO order. */
type Row = [number, number, number, number, number, number, number];
const READ_ALL: Row = [401, 200, 200, 200, 200, 200, 200];
const ADMIN_ONLY = (ok: number): Row => [401, 403, 403, 403, 403, 403, ok];

describeEachDatabase('authorization matrix', (dialect) => {
  let h: TestHarness<NestExpressApplication>;
  let http: ReturnType<typeof request>;
  let tok: Record<TestUsername, string>;
  /** SO_CONGTHUONG's obligation of each year 2024–2031: one per write row, so rows don't interfere. */
  const snn: Record<number, string> = {};

  const send = (who: Who, method: 'get' | 'post' | 'patch', url: string, body?: object) => {
    const req = http[method](url);
    if (who !== 'none') req.set('Authorization', `Bearer ${tok[who]}`);
    return body ? req.send(body) : req;
  };

  const state = async (id: string) =>
    h.app.get(Database).read(async (sql) => {
      const [o] = await sql.query<{ stage: string; version: number }>(
        'SELECT stage, version FROM obligations WHERE id = ?',
        [id],
      );
      const [e] = await sql.query<{ n: unknown }>(
        'SELECT COUNT(*) AS n FROM obligation_events WHERE obligation_id = ?',
        [id],
      );
      return { stage: o?.stage, version: Number(o?.version), events: Number(e?.n) };
    });

  beforeAll(async () => {
    h = await createTestHttpApp(dialect);
    http = request(h.app.getHttpServer());
    await seedUsers(h.app);
    tok = await loginAll(http);
    const cycles = h.app.get(CycleService);
    for (let year = 2024; year <= 2031; year++) {
      const opened = await cycles.open(PLAN, year, admin);
      snn[year] = opened.obligations.find((o) => o.agencyCode === 'SO_CONGTHUONG')!.id;
    }
    // Bring each row's target to the stage its event needs.
    const commands = h.app.get(CommandService);
    const officer = officerOf('SO_CONGTHUONG');
    const steps: Array<[string, Record<string, unknown>, typeof officer]> = [
      ['START_IMPLEMENTATION', { planRef: 'KH' }, officer],
      ['SUBMIT_REPORT', { reportRef: 'BC' }, officer],
      ['AGGREGATE', {}, aggregator],
    ];
    const advance = async (id: string, n: number) => {
      for (const [type, payload, caller] of steps.slice(0, n))
        await commands.execute({ obligationId: id, type, payload, caller });
    };
    await advance(snn[2025]!, 1); // SUBMIT_REPORT row: implementing
    await advance(snn[2026]!, 2); // RETURN_REPORT row: report_submitted
    await advance(snn[2027]!, 2); // AGGREGATE row: report_submitted
    await advance(snn[2028]!, 3); // REPORT_TO_UBND row: aggregated
    await advance(snn[2031]!, 1); // backdating row: implementing
  });
  afterAll(async () => h?.close());

  describe('reads and administration', () => {
    const cases: Array<{
      route: string;
      method: 'get' | 'post' | 'patch';
      url: () => string;
      body?: (who: Who) => object;
      expected: Row;
    }> = [
      {
        route: 'GET /api/health',
        method: 'get',
        url: () => '/api/health',
        expected: [200, 200, 200, 200, 200, 200, 200],
      },
      { route: 'GET /api/plans', method: 'get', url: () => '/api/plans', expected: READ_ALL },
      {
        route: 'GET /api/plans/:planId',
        method: 'get',
        url: () => `/api/plans/${PLAN}`,
        expected: READ_ALL,
      },
      {
        route: 'GET /api/plans/:planId/machine',
        method: 'get',
        url: () => `/api/plans/${PLAN}/machine`,
        expected: READ_ALL,
      },
      {
        route: 'GET /api/plans/:planId/cycles/:year',
        method: 'get',
        url: () => `/api/plans/${PLAN}/cycles/2025`,
        expected: READ_ALL,
      },
      {
        route: 'GET /api/obligations',
        method: 'get',
        url: () => '/api/obligations?year=2025',
        expected: READ_ALL,
      },
      {
        route: 'GET /api/obligations/:id',
        method: 'get',
        url: () => `/api/obligations/${snn[2024]}`,
        expected: [401, 200, 200, 403, 200, 200, 200],
      },
      {
        route: 'GET /api/obligations/:id/history',
        method: 'get',
        url: () => `/api/obligations/${snn[2024]}/history`,
        expected: [401, 200, 200, 403, 200, 200, 200],
      },
      {
        route: 'GET /api/users',
        method: 'get',
        url: () => '/api/users',
        expected: ADMIN_ONLY(200),
      },
      {
        route: 'GET /api/escalations',
        method: 'get',
        url: () => '/api/escalations?year=2025',
        expected: READ_ALL,
      },
      {
        route: 'GET /api/notifications',
        method: 'get',
        url: () => '/api/notifications',
        expected: READ_ALL,
      },
      {
        route: 'GET /api/notifications/deliveries',
        method: 'get',
        url: () => '/api/notifications/deliveries',
        expected: ADMIN_ONLY(200),
      },
      {
        route: 'POST /api/users',
        method: 'post',
        url: () => '/api/users',
        body: (who) => ({
          username: `new.${who.replace(/[^a-z]/g, '')}`,
          password: 'mot-mat-khau',
          role: 'leader',
        }),
        expected: ADMIN_ONLY(201),
      },
      {
        route: 'PATCH /api/users/:username',
        method: 'patch',
        url: () => '/api/users/lanhdao.ubnd',
        body: () => ({ disabled: false }),
        expected: ADMIN_ONLY(200),
      },
      {
        route: 'POST /api/admin/clock',
        method: 'post',
        url: () => '/api/admin/clock',
        body: () => ({ now: h.clock.now().toISOString() }),
        expected: ADMIN_ONLY(200),
      },
      {
        route: 'POST /api/plans/:planId/cycles',
        method: 'post',
        url: () => `/api/plans/${PLAN}/cycles`,
        body: () => ({ year: 2032 }),
        expected: ADMIN_ONLY(201),
      },
    ];
    for (const c of cases) {
      it(`${c.route}: ${c.expected.join(' ')}`, async () => {
        const usersBefore = (await send('admin', 'get', '/api/users')).body.length;
        const cyclesBefore = await h.app
          .get(Database)
          .read((sql) => sql.query('SELECT * FROM cycles'));
        const got: Record<string, number> = {};
        for (const who of WHO)
          got[COLUMN[who]] = (await send(who, c.method, c.url(), c.body?.(who))).status;
        const want = Object.fromEntries(WHO.map((who, i) => [COLUMN[who], c.expected[i]]));
        expect(got).toEqual(want);
        if (c.method !== 'get') {
          // Only the admin's cell may have written.
          const usersAfter = (await send('admin', 'get', '/api/users')).body.length;
          const cyclesAfter = await h.app
            .get(Database)
            .read((sql) => sql.query('SELECT * FROM cycles'));
          expect(usersAfter - usersBefore).toBe(c.route === 'POST /api/users' ? 1 : 0);
          expect(cyclesAfter.length - cyclesBefore.length).toBe(c.route.includes('cycles') ? 1 : 0);
        }
      });
    }
  });

  describe('POST /api/obligations/:id/events', () => {
    const rows: Array<{ event: string; year: number; body: object; expected: Row }> = [
      {
        event: 'START_IMPLEMENTATION',
        year: 2024,
        body: { payload: { planRef: '1/KH' } },
        expected: [401, 403, 403, 403, 200, 403, 403],
      },
      {
        // The aggregator may record a report too, but the officer's came first: 422, not 403.
        event: 'SUBMIT_REPORT',
        year: 2025,
        body: { payload: { reportRef: '2/BC' } },
        expected: [401, 403, 403, 403, 200, 422, 403],
      },
      {
        event: 'RETURN_REPORT',
        year: 2026,
        body: { payload: { reason: 'Thiếu số liệu' } },
        expected: [401, 403, 403, 403, 403, 200, 403],
      },
      {
        event: 'AGGREGATE',
        year: 2027,
        body: { payload: {} },
        expected: [401, 403, 403, 403, 403, 200, 403],
      },
      {
        event: 'REPORT_TO_UBND',
        year: 2028,
        body: { payload: { consolidatedReportRef: '3/BC' } },
        expected: [401, 403, 403, 403, 403, 200, 403],
      },
      {
        event: 'EXTEND_DEADLINE',
        year: 2029,
        body: { payload: { newDueDate: '2029-11-30', basis: 'CV 4' } },
        expected: [401, 403, 403, 403, 403, 200, 200],
      },
      {
        event: 'ESCALATE',
        year: 2029,
        body: { payload: { level: 2 } },
        expected: [401, 403, 403, 403, 403, 403, 403],
      },
      {
        // Last on this obligation: it then belongs to Sở Tài chính.
        event: 'TRANSFER',
        year: 2029,
        body: { payload: { toAgency: 'SO_TAICHINH', basis: 'QĐ 6' } },
        expected: [401, 403, 403, 403, 403, 403, 200],
      },
      {
        event: 'WITHDRAW',
        year: 2030,
        body: { payload: { basis: 'QĐ 5' } },
        expected: [401, 403, 403, 403, 403, 403, 200],
      },
    ];
    for (const r of rows) {
      it(`${r.event}: ${r.expected.join(' ')}`, async () => {
        const id = snn[r.year]!;
        const got: Record<string, number> = {};
        for (const [i, who] of WHO.entries()) {
          const before = await state(id);
          const res = await send(who, 'post', `/api/obligations/${id}/events`, {
            type: r.event,
            ...r.body,
          });
          got[COLUMN[who]] = res.status;
          if (r.expected[i] !== 200) expect(await state(id)).toEqual(before);
          else expect((await state(id)).events).toBe(before.events + 1);
        }
        expect(got).toEqual(Object.fromEntries(WHO.map((who, i) => [COLUMN[who], r.expected[i]])));
      });
    }

    it('backdating effectiveAt: only the aggregator, and nothing changes for the others', async () => {
      const id = snn[2031]!;
      h.clock.advance(3 * 24 * 3600 * 1000);
      tok = await loginAll(http); // the old tokens expired with the clock
      const body = {
        type: 'SUBMIT_REPORT',
        payload: { reportRef: '6/BC' },
        effectiveAt: new Date(h.clock.now().getTime() - 2 * 24 * 3600 * 1000).toISOString(),
        reason: 'Báo cáo giấy',
      };
      const before = await state(id);
      const denied = await send('canbo.sct', 'post', `/api/obligations/${id}/events`, body);
      expect(denied.status).toBe(403);
      expect(await state(id)).toEqual(before);
      const ok = await send('tonghop.snn', 'post', `/api/obligations/${id}/events`, body);
      expect(ok.status).toBe(200);
      expect(ok.body.stage).toBe('report_submitted');
    });

    it('the actor is the authenticated user, never a field of the body', async () => {
      const history = await send('kiemtoan', 'get', `/api/obligations/${snn[2024]}/history`);
      expect(history.body[1]).toMatchObject({ type: 'START_IMPLEMENTATION', actor: 'canbo.sct' });
      const spoof = await send('canbo.sct', 'post', `/api/obligations/${snn[2025]}/events`, {
        type: 'EXTEND_DEADLINE',
        actor: 'admin',
        payload: {},
      });
      expect(spoof.status).toBe(400);
    });

    it('allowedEvents reflects the caller', async () => {
      const id = snn[2027]!; // aggregated now
      const seen: Record<string, string[]> = {};
      for (const who of ['canbo.sct', 'tonghop.snn', 'admin', 'kiemtoan'] as const) {
        seen[who] = (await send(who, 'get', `/api/obligations/${id}`)).body.allowedEvents;
      }
      expect(seen).toEqual({
        'canbo.sct': [],
        'tonghop.snn': ['REPORT_TO_UBND'],
        admin: ['WITHDRAW', 'TRANSFER'],
        kiemtoan: [],
      });
    });
  });
});
