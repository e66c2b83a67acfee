/**
 * GET /api/obligations joins each page from remembered view texts (ObligationViewCache), answers
 * a page seen before from its remembered bytes (ListPageCache, by ETag) and, on SQLite, without
 * reading its rows while nothing was written. What a user sees must not depend on that: every
 * item is exactly the obligation's view as GET /api/obligations/:id gives it now, for each role,
 * after a command, after a write by another process, as the deadline passes (and the virtual
 * clock goes back); and the page's ETag changes exactly when its content does (304 otherwise).
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { NestExpressApplication } from '@nestjs/platform-express';
import BetterSqlite3 from 'better-sqlite3';
import path from 'node:path';
import pg from 'pg';
import request from 'supertest';
import { ListPageCache } from '../../src/obligations/list-page-cache.js';
import { ObligationRepository } from '../../src/obligations/obligation.repository.js';
import { ObligationQueryService } from '../../src/obligations/obligation-query.service.js';
import { ObligationViewCache } from '../../src/obligations/obligation-view-cache.js';
import { describeEachDatabase } from '../support/databases.js';
import { loginAll, seedUsers, type TestUsername } from '../support/http-auth.js';
import { createTestHttpApp, TEST_NOW, type TestHarness } from '../support/test-app.js';

const PLAN = 'thanh-hoa-nq46';
const LIST = `/api/obligations?planId=${PLAN}&year=2025&pageSize=50`;

interface View {
  id: string;
  stage: string;
  overdue: boolean;
  version: number;
  allowedEvents: string[];
}

describeEachDatabase('GET /api/obligations: pages joined from remembered views', (dialect) => {
  let h: TestHarness<NestExpressApplication>;
  let http: ReturnType<typeof request>;
  let tok: Record<TestUsername, string>;

  const list = (user: TestUsername, path = LIST) =>
    http.get(path).set('Authorization', `Bearer ${tok[user]}`).expect(200);
  const detail = async (user: TestUsername, id: string) =>
    (
      await http
        .get(`/api/obligations/${id}`)
        .set('Authorization', `Bearer ${tok[user]}`)
        .expect(200)
    ).body as View;

  /** Every item of the page equals the detail view, fetched after the page. */
  const expectFresh = async (user: TestUsername, path = LIST) => {
    const res = await list(user, path);
    expect(res.headers['content-type']).toMatch(/^application\/json; charset=utf-8/);
    const items = res.body.items as View[];
    expect(items.length).toBeGreaterThan(0);
    for (const item of items) expect(item).toEqual(await detail(user, item.id));
    return res;
  };

  beforeAll(async () => {
    h = await createTestHttpApp(dialect);
    http = request(h.app.getHttpServer());
    await seedUsers(h.app);
    tok = await loginAll(http);
    await http
      .post(`/api/plans/${PLAN}/cycles`)
      .set('Authorization', `Bearer ${tok.admin}`)
      .send({ year: 2025 })
      .expect(201);
  });
  afterAll(async () => h?.close());

  it('gives every role the same items as the detail route, from memory too', async () => {
    const stats = (
      h.app.get(ObligationQueryService) as unknown as {
        views: { stats: { hits: number; misses: number } };
      }
    ).views.stats;
    const hitsBefore = stats.hits;
    for (const user of ['admin', 'tonghop.snn', 'lanhdao.ubnd', 'kiemtoan'] as const) {
      // Built, built again (now remembered), then answered from memory.
      for (let i = 0; i < 3; i++) await expectFresh(user);
    }
    expect(stats.hits - hitsBefore).toBeGreaterThan(0);
    // An officer's allowedEvents differ from the admin's for the same obligation.
    const mine = await expectFresh('canbo.snn', `/api/obligations?agency=SO_NNPTNT`);
    const asAdmin = (await list('admin', `/api/obligations?agency=SO_NNPTNT`)).body.items as View[];
    expect((mine.body.items as View[])[0]!.allowedEvents).toContain('START_IMPLEMENTATION');
    expect(asAdmin[0]!.allowedEvents).not.toContain('START_IMPLEMENTATION');
  });

  it('shows a command at once, and the page ETag changes with it (304 while unchanged)', async () => {
    const before = await list('admin');
    const etag = before.headers.etag as string;
    expect(etag).toMatch(/^W\/".+"$/);
    await http
      .get(LIST)
      .set('Authorization', `Bearer ${tok.admin}`)
      .set('If-None-Match', etag)
      .expect(304);
    const [owner] = (await list('canbo.snn', `/api/obligations?agency=SO_NNPTNT&year=2025`)).body
      .items as View[];
    await http
      .post(`/api/obligations/${owner!.id}/events`)
      .set('Authorization', `Bearer ${tok['canbo.snn']}`)
      .send({ type: 'START_IMPLEMENTATION', payload: { planRef: '01/KH-SNN' } })
      .expect(200);
    const after = await expectFresh('admin');
    const moved = (after.body.items as View[]).find((o) => o.id === owner!.id)!;
    expect(moved).toMatchObject({ stage: 'implementing', version: 2 });
    expect(after.headers.etag).not.toBe(etag);
    await http
      .get(LIST)
      .set('Authorization', `Bearer ${tok.admin}`)
      .set('If-None-Match', etag)
      .expect(200);
  });

  it('reads stamps first once most views are remembered, with the same answers', async () => {
    const queries = h.app.get(ObligationQueryService) as unknown as { missShare: number };
    for (let i = 0; i < 40 && queries.missShare >= 0.2; i++) await list('admin');
    expect(queries.missShare).toBeLessThan(0.2);
    await expectFresh('admin');
    // A command between two pages: its row is read in full again and shown as it is now.
    const [owner] = (await list('canbo.snn', `/api/obligations?agency=SO_NNPTNT&year=2025`)).body
      .items as View[];
    if (owner!.stage === 'plan_drafted') {
      await http
        .post(`/api/obligations/${owner!.id}/events`)
        .set('Authorization', `Bearer ${tok['canbo.snn']}`)
        .send({ type: 'START_IMPLEMENTATION', payload: { planRef: '02/KH-SNN' } })
        .expect(200);
    }
    await http
      .post(`/api/obligations/${owner!.id}/events`)
      .set('Authorization', `Bearer ${tok['canbo.snn']}`)
      .send({ type: 'SUBMIT_REPORT', payload: { reportRef: '05/BC-SNN' } })
      .expect(200);
    const after = await expectFresh('admin');
    expect((after.body.items as View[]).find((o) => o.id === owner!.id)).toMatchObject({
      stage: 'report_submitted',
    });
    expect(queries.missShare).toBeLessThan(0.5);
  });

  it('turns overdue when the deadline passes, with a new ETag', async () => {
    const before = await list('admin');
    expect((before.body.items as View[]).every((o) => o.overdue === false)).toBe(true);
    h.clock.set(new Date('2025-11-20T03:00:00.000Z'));
    tok = await loginAll(http); // the earlier tokens expired meanwhile
    try {
      const after = await expectFresh('admin');
      const open = (after.body.items as View[]).filter((o) => o.stage !== 'report_submitted');
      expect(open.length).toBeGreaterThan(0);
      expect(open.every((o) => o.overdue)).toBe(true);
      expect(after.headers.etag).not.toBe(before.headers.etag);
    } finally {
      h.clock.set(TEST_NOW);
      tok = await loginAll(http);
    }
  });

  /** Writes to the database as another process would (the CLI, another replica). */
  const writeElsewhere = async (text: string, params: unknown[]) => {
    if (dialect === 'sqlite') {
      const other = new BetterSqlite3(path.join(h.db.dataDir, 'dondoc.sqlite'), { timeout: 5000 });
      try {
        other.prepare(text).run(...params);
      } finally {
        other.close();
      }
      return;
    }
    const client = new pg.Client({ connectionString: h.db.databaseUrl! });
    await client.connect();
    try {
      let n = 0;
      await client.query(
        text.replace(/\?/g, () => `$${++n}`),
        params,
      );
    } finally {
      await client.end();
    }
  };

  it('answers a page seen before from memory, and shows at once what another process wrote', async () => {
    const pages = (h.app.get(ObligationQueryService) as unknown as { pages: ListPageCache }).pages
      .stats;
    const path = `/api/obligations?planId=${PLAN}&year=2025&pageSize=5`;
    const reads = [
      jest.spyOn(ObligationRepository, 'listStamps'),
      jest.spyOn(ObligationRepository, 'listRows'),
    ];
    const rowReads = () => reads.reduce((n, spy) => n + spy.mock.calls.length, 0);
    try {
      await list('admin', path);
      const built = await list('admin', path); // built a second time: remembered now
      const hitsBefore = pages.hits;
      const readsBefore = rowReads();
      const again = await list('admin', path);
      expect(again.text).toBe(built.text);
      expect(again.headers.etag).toBe(built.headers.etag);
      expect(pages.hits).toBe(hitsBefore + 1);
      // SQLite knows nothing was written since, and reads no rows; PostgreSQL reads their stamps.
      expect(rowReads() - readsBefore).toBe(dialect === 'sqlite' ? 0 : 1);

      const [first] = built.body.items as View[];
      await writeElsewhere(`UPDATE obligations SET stage = ?, version = version + 1 WHERE id = ?`, [
        'implementing',
        first!.id,
      ]);
      const after = await expectFresh('admin', path);
      expect((after.body.items as View[])[0]).toMatchObject({
        id: first!.id,
        stage: 'implementing',
        version: first!.version + 1,
      });
      expect(after.headers.etag).not.toBe(built.headers.etag);
    } finally {
      for (const spy of reads) spy.mockRestore();
    }
  });

  it('flips overdue on a remembered page as the clock passes the deadline, and back', async () => {
    const path = `/api/obligations?planId=${PLAN}&year=2025&pageSize=5`;
    const late = new Date('2025-11-20T03:00:00.000Z');
    const flags = (res: { body: { items: View[] } }) => res.body.items.map((o) => o.overdue);
    for (let i = 0; i < 3; i++) await list('admin', path);
    const before = await expectFresh('admin', path);
    expect(flags(before)).not.toContain(true);
    h.clock.set(late);
    tok = await loginAll(http); // the earlier tokens expired meanwhile
    try {
      for (let i = 0; i < 3; i++) await list('admin', path);
      const after = await expectFresh('admin', path);
      expect(flags(after)).toContain(true);
      expect(after.headers.etag).not.toBe(before.headers.etag);
    } finally {
      h.clock.set(TEST_NOW);
      tok = await loginAll(http);
    }
    const back = await expectFresh('admin', path);
    expect(flags(back)).toEqual(flags(before));
    expect(back.headers.etag).toBe(before.headers.etag);
  });

  it('the ETag differs between callers who see different allowedEvents', async () => {
    const path = `/api/obligations?agency=SO_NNPTNT`;
    const officer = await list('canbo.snn', path);
    const admin = await list('admin', path);
    expect(officer.headers.etag).not.toBe(admin.headers.etag);
  });
});

describe('GET /api/obligations with DONDOC_VIEW_CACHE=0', () => {
  it('builds every view afresh and gives the same page', async () => {
    const h = await createTestHttpApp('sqlite', { viewCacheObligations: 0 });
    try {
      const http = request(h.app.getHttpServer());
      await seedUsers(h.app);
      const tok = await loginAll(http);
      await http
        .post(`/api/plans/${PLAN}/cycles`)
        .set('Authorization', `Bearer ${tok.admin}`)
        .send({ year: 2025 })
        .expect(201);
      const page = async () =>
        (await http.get(LIST).set('Authorization', `Bearer ${tok.admin}`).expect(200)).body as {
          items: View[];
        };
      const first = await page();
      expect(first.items.length).toBeGreaterThan(0);
      expect(await page()).toEqual(first);
      const [one] = first.items;
      const detail = await http
        .get(`/api/obligations/${one!.id}`)
        .set('Authorization', `Bearer ${tok.admin}`)
        .expect(200);
      expect(one).toEqual(detail.body);
    } finally {
      await h.close();
    }
  });
});

describe('ListPageCache', () => {
  const json = (n: number) => JSON.stringify({ items: ['x'.repeat(n)] });

  it('remembers a page the second time its ETag is built, as the same bytes', () => {
    const cache = new ListPageCache(10_000);
    expect(cache.encode('W/"a"', 'Sở Nông nghiệp').toString()).toBe('Sở Nông nghiệp');
    expect(cache.get('W/"a"')).toBeUndefined();
    cache.encode('W/"a"', 'Sở Nông nghiệp');
    expect(cache.get('W/"a"')?.toString()).toBe('Sở Nông nghiệp');
    expect(cache.size).toEqual({ pages: 1, bytes: Buffer.byteLength('Sở Nông nghiệp') });
  });

  it('does not remember pages read in no particular order (built again only much later)', () => {
    const cache = new ListPageCache(1_000_000);
    cache.encode('a', json(10));
    for (let i = 0; i < 300; i++) cache.encode(`other ${i}`, json(10));
    cache.encode('a', json(10));
    expect(cache.get('a')).toBeUndefined();
    expect(cache.size.pages).toBe(0);
  });

  it('holds at most its bytes, dropping the least recently used page', () => {
    const cache = new ListPageCache(1000);
    for (const tag of ['a', 'b', 'c']) for (let i = 0; i < 2; i++) cache.encode(tag, json(200));
    expect(cache.size.pages).toBe(3);
    cache.get('a'); // used: b is now the oldest
    for (let i = 0; i < 2; i++) cache.encode('d', json(200));
    for (let i = 0; i < 2; i++) cache.encode('e', json(200));
    expect(cache.size.bytes).toBeLessThanOrEqual(1000);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBeDefined();
    expect(cache.get('e')).toBeDefined();
  });

  it('remembers nothing with a bound of 0, nor a page bigger than a quarter of its bound', () => {
    const off = new ListPageCache(0);
    for (let i = 0; i < 3; i++) off.encode('a', json(10));
    expect(off.get('a')).toBeUndefined();
    const small = new ListPageCache(1000);
    for (let i = 0; i < 3; i++) small.encode('big', json(300));
    expect(small.get('big')).toBeUndefined();
    expect(small.size).toEqual({ pages: 0, bytes: 0 });
  });
});

describe('ObligationViewCache', () => {
  const plan = {} as never;
  const caller = { name: 'a', role: 'admin', agencyCode: null, system: false } as const;
  const stamp = (id: string, version = 1) => ({
    id,
    planId: 'p',
    year: 2025,
    agencyCode: 'A',
    originAgencyCode: 'A',
    stage: 'plan_drafted' as const,
    version,
    machineVersion: 'm@1',
    dueAt: 1000,
  });

  it('remembers a text the second time it is built', () => {
    const cache = new ObligationViewCache(10);
    cache.set(stamp('x'), plan, 0, caller, 'text');
    expect(cache.get(stamp('x'), plan, 0, caller)).toBeUndefined();
    cache.set(stamp('x'), plan, 0, caller, 'text');
    expect(cache.get(stamp('x'), plan, 0, caller)).toBe('text');
    // Once remembered, a newer version replaces it at once.
    cache.set(stamp('x', 2), plan, 0, caller, 'text 2');
    expect(cache.get(stamp('x', 2), plan, 0, caller)).toBe('text 2');
    expect(cache.get(stamp('x'), plan, 0, caller)).toBeUndefined();
  });

  it('answers only for the same version, plan, audience and overdue state', () => {
    const cache = new ObligationViewCache(10);
    cache.set(stamp('x'), plan, 0, caller, 'text');
    cache.set(stamp('x'), plan, 0, caller, 'text');
    expect(cache.get(stamp('x'), plan, 0, caller)).toBe('text');
    expect(cache.get(stamp('x', 2), plan, 0, caller)).toBeUndefined();
    expect(cache.get(stamp('x'), {} as never, 0, caller)).toBeUndefined();
    expect(cache.get(stamp('x'), plan, 2000, caller)).toBeUndefined(); // overdue now
    const officer = { ...caller, role: 'officer', agencyCode: 'A' } as const;
    expect(cache.get(stamp('x'), plan, 0, officer)).toBeUndefined();
  });

  it('remembers nothing when its bound is 0 (DONDOC_VIEW_CACHE=0)', () => {
    const cache = new ObligationViewCache(0);
    cache.set(stamp('x'), plan, 0, caller, 'text');
    expect(cache.get(stamp('x'), plan, 0, caller)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('holds at most its bound, dropping the oldest', () => {
    const cache = new ObligationViewCache(10);
    for (let i = 0; i < 25; i++)
      for (const _ of [1, 2]) cache.set(stamp(`o${i}`), plan, 0, caller, `t${i}`);
    expect(cache.size).toBeLessThanOrEqual(10);
    expect(cache.get(stamp('o24'), plan, 0, caller)).toBe('t24');
    expect(cache.get(stamp('o0'), plan, 0, caller)).toBeUndefined();
  });
});
