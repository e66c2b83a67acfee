/**
 * Keyset pagination of GET /api/obligations: following `nextCursor` with `after` walks the same
 * rows, in the same order, as the page numbers, for every filter; a malformed cursor is a 400
 * naming the parameter.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { encodeCursor } from '../../src/obligations/obligation-cursor.js';
import { describeEachDatabase } from '../support/databases.js';
import { loginAll, seedUsers, type TestUsername } from '../support/http-auth.js';
import { createTestHttpApp, type TestHarness } from '../support/test-app.js';

const PLAN = 'thanh-hoa-nq46';

interface Page {
  items: Array<{ id: string; year: number; agencyCode: string; stage: string }>;
  total: number | null;
  page: number | null;
  pageSize: number;
  nextCursor: string | null;
}

describeEachDatabase('GET /api/obligations with a cursor', (dialect) => {
  let h: TestHarness<NestExpressApplication>;
  let http: ReturnType<typeof request>;
  let tok: Record<TestUsername, string>;

  const get = async (user: TestUsername, query: string, status = 200) =>
    (
      await http
        .get(`/api/obligations?${query}`)
        .set('Authorization', `Bearer ${tok[user]}`)
        .expect(status)
    ).body as Page;

  /** Every id, page by page, by page number. */
  const byNumber = async (user: TestUsername, query: string, size: number) => {
    const ids: string[] = [];
    for (let page = 1; ; page++) {
      const body = await get(user, `${query}&page=${page}&pageSize=${size}`);
      ids.push(...body.items.map((o) => o.id));
      if (body.items.length < size) return { ids, total: body.total };
    }
  };

  /** Every id, page by page, following nextCursor; checks the shape of each page. */
  const byCursor = async (user: TestUsername, query: string, size: number) => {
    const ids: string[] = [];
    let pages = 0;
    for (let after: string | null = null; ;) {
      const body = await get(
        user,
        `${query}&pageSize=${size}${after === null ? '' : `&after=${after}`}`,
      );
      pages += 1;
      expect(body.items.length).toBeLessThanOrEqual(size);
      if (after === null) expect(body).toMatchObject({ page: 1, total: expect.any(Number) });
      else expect(body).toMatchObject({ page: null, total: null, pageSize: size });
      ids.push(...body.items.map((o) => o.id));
      if (body.nextCursor === null) return { ids, pages };
      expect(body.items).toHaveLength(size);
      after = body.nextCursor;
    }
  };

  beforeAll(async () => {
    h = await createTestHttpApp(dialect);
    http = request(h.app.getHttpServer());
    await seedUsers(h.app);
    tok = await loginAll(http);
    for (const year of [2025, 2026]) {
      await http
        .post(`/api/plans/${PLAN}/cycles`)
        .set('Authorization', `Bearer ${tok.admin}`)
        .send({ year })
        .expect((res) => expect([200, 201]).toContain(res.status));
    }
    // One obligation moves on, so the stage filter has something to leave out.
    const [mine] = (await get('canbo.snn', `planId=${PLAN}&year=2025`)).items;
    await http
      .post(`/api/obligations/${mine!.id}/events`)
      .set('Authorization', `Bearer ${tok['canbo.snn']}`)
      .send({ type: 'START_IMPLEMENTATION', payload: { planRef: '12/KH-SNN' } })
      .expect(200);
  });
  afterAll(async () => h?.close());

  it.each([
    ['a cycle', `planId=${PLAN}&year=2025`, 7],
    ['every cycle', `planId=${PLAN}`, 10],
    ['no filter at all', '', 9],
    ['a cycle and a stage', `planId=${PLAN}&year=2025&stage=plan_drafted`, 6],
    ['a cycle, not overdue', `planId=${PLAN}&year=2025&overdue=false`, 8],
    ['one agency', 'agency=SO_NNPTNT', 1],
  ])('walking %s by cursor gives the same rows as by page number', async (_n, query, size) => {
    const numbered = await byNumber('admin', query, size);
    const cursored = await byCursor('admin', query, size);
    expect(numbered.ids.length).toBeGreaterThan(0);
    expect(cursored.ids).toEqual(numbered.ids);
    expect(new Set(cursored.ids).size).toBe(cursored.ids.length);
    expect(cursored.ids).toHaveLength(numbered.total!);
    expect(cursored.pages).toBe(Math.max(1, Math.ceil(numbered.ids.length / size)));
  });

  it('the stage filter leaves out the obligation that moved on', async () => {
    const drafted = await byCursor('admin', `planId=${PLAN}&year=2025&stage=plan_drafted`, 6);
    const all = await byCursor('admin', `planId=${PLAN}&year=2025`, 6);
    expect(drafted.ids).toHaveLength(all.ids.length - 1);
  });

  it("an officer's walk by cursor stays within their agency", async () => {
    const all = await byCursor('canbo.snn', '', 1);
    expect(all.ids).toEqual((await byNumber('canbo.snn', '', 1)).ids);
    expect(all.ids).toEqual((await byNumber('admin', 'agency=SO_NNPTNT', 1)).ids);
    expect(all.ids.length).toBeGreaterThan(0);
  });

  it('the last page by number has nextCursor null; an earlier one a cursor to the next', async () => {
    const total = (await get('admin', `planId=${PLAN}&year=2025&pageSize=1`)).total!;
    const last = await get(
      'admin',
      `planId=${PLAN}&year=2025&pageSize=10&page=${Math.ceil(total / 10)}`,
    );
    expect(last.nextCursor).toBeNull();
    const third = await get('admin', `planId=${PLAN}&year=2025&pageSize=10&page=3`);
    const fourth = await get('admin', `planId=${PLAN}&year=2025&pageSize=10&page=4`);
    const next = await get(
      'admin',
      `planId=${PLAN}&year=2025&pageSize=10&after=${third.nextCursor}`,
    );
    expect(next.items.map((o) => o.id)).toEqual(fourth.items.map((o) => o.id));
  });

  it("a cursor from another list seeks by the whole key: 2025's last row, then 2026", async () => {
    const y2025 = await byNumber('admin', `planId=${PLAN}&year=2025`, 100);
    const lastOf2025 = await get('admin', `planId=${PLAN}&year=2025&pageSize=100`);
    const tail = lastOf2025.items[lastOf2025.items.length - 1]!;
    const cursor = encodeCursor([PLAN, 2025, tail.agencyCode, tail.agencyCode]);
    // Within 2026 every row is after a 2025 key; within 2025 none is after its last row.
    const in2026 = await get('admin', `planId=${PLAN}&year=2026&pageSize=500&after=${cursor}`);
    expect(in2026.items.length).toBe((await get('admin', `planId=${PLAN}&year=2026`)).total);
    const in2025 = await get('admin', `planId=${PLAN}&year=2025&pageSize=500&after=${cursor}`);
    expect(in2025.items).toEqual([]);
    expect(in2025.nextCursor).toBeNull();
    expect(y2025.ids.length).toBe(lastOf2025.total);
    // A cursor from 2026's list used on 2025's: nothing is after it.
    const from2026 = encodeCursor([PLAN, 2026, 'A', 'A']);
    expect((await get('admin', `planId=${PLAN}&year=2025&after=${from2026}`)).items).toEqual([]);
  });

  it.each([
    ['not base64url', 'not*base64'],
    ['not JSON', Buffer.from('{{{').toString('base64url')],
    ['an object', Buffer.from('{"planId":"x"}').toString('base64url')],
    [
      'a short key',
      encodeCursor(['x', 2025, 'A'] as unknown as Parameters<typeof encodeCursor>[0]),
    ],
    ['a year that is text', Buffer.from('["x","2025","A","A"]').toString('base64url')],
    ['too long', 'A'.repeat(1001)],
  ])('a cursor that is %s is 400 VALIDATION_FAILED naming after', async (_n, cursor) => {
    const res = await http
      .get(`/api/obligations?planId=${PLAN}&after=${cursor}`)
      .set('Authorization', `Bearer ${tok.admin}`)
      .expect(400);
    expect(res.body).toMatchObject({ statusCode: 400, code: 'VALIDATION_FAILED' });
    expect(res.body.fields).toEqual([expect.objectContaining({ path: 'after' })]);
  });

  it('page and after together are 400 VALIDATION_FAILED', async () => {
    const cursor = encodeCursor([PLAN, 2025, 'A', 'A']);
    const res = await http
      .get(`/api/obligations?page=2&after=${cursor}`)
      .set('Authorization', `Bearer ${tok.admin}`)
      .expect(400);
    expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(res.body.fields).toEqual([expect.objectContaining({ path: 'after' })]);
  });
});
