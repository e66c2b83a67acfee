/**
 * The queries that run on every page view or scrape read an index, never a whole table: the
 * obligation list and the cycle dashboard (the same query, by plan and year), and the metrics'
 * scrape-time counts. On PostgreSQL the plan is asked for with sequential scans disabled, so a
 * usable index is chosen even on the tiny test tables.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { INestApplicationContext } from '@nestjs/common';
import { CycleService } from '../../src/cycles/cycle.service.js';
import { Database, numberPlaceholders, type Sql } from '../../src/database/database.js';
import { OPEN_STAGES, SCRAPE_QUERIES } from '../../src/metrics/metrics.service.js';
import { CycleStatsService } from '../../src/cycles/cycle-stats.service.js';
import type { SortKey } from '../../src/obligations/obligation-cursor.js';
import {
  ObligationRepository,
  type ObligationFilter,
  type PageRequest,
} from '../../src/obligations/obligation.repository.js';
import { admin } from '../support/callers.js';
import { describeEachDatabase } from '../support/databases.js';
import { createTestContext, type TestHarness } from '../support/test-app.js';

/** Records the statements a repository call runs (and runs them). */
function recording(sql: Sql, seen: Array<{ text: string; params: unknown[] }>): Sql {
  return {
    dialect: sql.dialect,
    query: (text, params = []) => (seen.push({ text, params }), sql.query(text, params)),
    queryArrays: (text, params = []) => (
      seen.push({ text, params }),
      sql.queryArrays(text, params)
    ),
    execute: (text, params = []) => (seen.push({ text, params }), sql.execute(text, params)),
    insertReturningId: (text, params = []) => (
      seen.push({ text, params }),
      sql.insertReturningId(text, params)
    ),
  };
}

/** Indexes other than ix_obligations_cycle_agency that start with (plan_id, year). */
const CYCLE_PREFIXED = [
  'ix_obligations_cycle_stage_agency',
  'sqlite_autoindex_obligations_2',
  'uq_obligation_plan_year_origin',
];

describeEachDatabase('query plans', (dialect) => {
  let h: TestHarness<INestApplicationContext>;
  let db: Database;

  /** The plan as one string. */
  const explain = (text: string, params: unknown[]): Promise<string> =>
    db.write(async (tx) => {
      if (dialect === 'sqlite') {
        const rows = await tx.query<{ detail: string }>(`EXPLAIN QUERY PLAN ${text}`, params);
        return rows.map((r) => r.detail).join('\n');
      }
      await tx.execute('SET LOCAL enable_seqscan = off');
      // EXPLAIN takes no bind parameters through every driver path: inline them as literals.
      let n = 0;
      const inlined = numberPlaceholders(text).replace(/\$\d+/g, () => {
        const v = params[n++];
        return typeof v === 'number' ? String(v) : `'${String(v).replace(/'/g, "''")}'`;
      });
      const rows = await tx.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${inlined}`);
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    });

  beforeAll(async () => {
    h = await createTestContext(dialect);
    db = h.app.get(Database);
    await h.app.get(CycleService).open('thanh-hoa-nq46', 2025, admin);
  });
  afterAll(async () => h?.close());

  it("a cycle's list page (and the dashboard) reads the (plan, year, agency) index in order", async () => {
    const seen: Array<{ text: string; params: unknown[] }> = [];
    await db.read((sql) =>
      ObligationRepository.list(
        recording(sql, seen),
        { planId: 'thanh-hoa-nq46', year: 2025, now: Date.now() },
        { offset: 50, limit: 50 },
      ),
    );
    expect(seen).toHaveLength(2); // the total, then the page
    for (const q of seen) {
      const plan = await explain(q.text, q.params);
      // The count may use either index that starts with (plan_id, year); the page must walk
      // the (plan_id, year, agency_code) one, which is already in the page's order (no sort).
      const unique = 'ix_obligations_cycle_agency';
      const index = q.text.includes('COUNT(*)')
        ? new RegExp(`(${unique}|${CYCLE_PREFIXED.join('|')})`)
        : new RegExp(`(${unique})`);
      expect(plan).toMatch(index);
      if (dialect === 'sqlite') {
        expect(plan).toMatch(
          /SEARCH obligations USING (COVERING )?INDEX \w+ \(plan_id=\? AND year=\?\)/,
        );
        expect(plan).not.toContain('TEMP B-TREE');
      } else {
        expect(plan).not.toMatch(/Seq Scan|Sort/);
      }
    }
  });

  /** The statements of one list call, each with its plan. */
  const listPlans = async (filter: Omit<ObligationFilter, 'now'>, page: PageRequest) => {
    const seen: Array<{ text: string; params: unknown[] }> = [];
    await db.read((sql) =>
      ObligationRepository.list(recording(sql, seen), { ...filter, now: Date.now() }, page),
    );
    return Promise.all(
      seen.map(async (q) => ({ text: q.text, plan: await explain(q.text, q.params) })),
    );
  };

  const after: SortKey = ['thanh-hoa-nq46', 2025, 'SO_NOIVU', 'SO_NOIVU'];
  const lists: Array<[string, Omit<ObligationFilter, 'now'>]> = [
    ['a cycle', { planId: 'thanh-hoa-nq46', year: 2025 }],
    ['a cycle and an agency', { planId: 'thanh-hoa-nq46', year: 2025, agencyCode: 'SO_NOIVU' }],
    ['a cycle and a stage', { planId: 'thanh-hoa-nq46', year: 2025, stage: 'implementing' }],
    ['a cycle, overdue', { planId: 'thanh-hoa-nq46', year: 2025, overdue: true }],
    ['a cycle, not overdue', { planId: 'thanh-hoa-nq46', year: 2025, overdue: false }],
    ["an officer's agency, every cycle", { agencyCode: 'SO_NOIVU' }],
    ['a plan, every year', { planId: 'thanh-hoa-nq46' }],
  ];

  it.each(lists)(
    'a keyset page of %s seeks an index in list order (no scan, no sort)',
    async (_name, filter) => {
      for (const page of [{ limit: 50 }, { after, limit: 50 }]) {
        for (const { text, plan } of await listPlans(filter, page)) {
          if (dialect === 'sqlite') {
            expect(plan).toMatch(/SEARCH obligations USING (COVERING )?INDEX \w+ \(\w+=\?/);
            expect(plan).not.toMatch(/\bSCAN obligations\b/);
            expect(plan).not.toContain('TEMP B-TREE');
            if ('after' in page && !text.includes('COUNT(*)')) {
              // The cursor is part of the index search, not a filter on the rows read.
              expect(plan).toMatch(/origin_agency_code\)?>\(?\?/);
            }
          } else {
            expect(plan).toMatch(/Index (Only )?Scan|Bitmap Index Scan/);
            expect(plan).not.toContain('Seq Scan');
            expect(plan).not.toMatch(/\bSort\b/);
          }
        }
      }
    },
  );

  it('a page asked for by cursor is not counted; one by number is', async () => {
    const cycle = { planId: 'thanh-hoa-nq46', year: 2025 };
    const byCursor = await listPlans(cycle, { after, limit: 50 });
    expect(byCursor.map((q) => q.text.includes('COUNT(*)'))).toEqual([false]);
    const byNumber = await listPlans(cycle, { offset: 0, limit: 50 });
    expect(byNumber.map((q) => q.text.includes('COUNT(*)'))).toEqual([true, false]);
  });

  it("the cycle dashboard's pages seek the (plan, year, agency) index and count nothing", async () => {
    const seen: Array<{ text: string; params: unknown[] }> = [];
    const stats = h.app.get(CycleStatsService);
    const spy = db.read.bind(db);
    (db as { read: Database['read'] }).read = (work) => spy((sql) => work(recording(sql, seen)));
    try {
      await stats.statistics('thanh-hoa-nq46', 2025);
    } finally {
      (db as { read: Database['read'] }).read = spy;
    }
    const lists = seen.filter((q) => q.text.includes('FROM obligations'));
    expect(lists.length).toBeGreaterThan(0);
    for (const q of lists) {
      expect(q.text).not.toContain('COUNT(*)');
      const plan = await explain(q.text, q.params);
      expect(plan).toContain('ix_obligations_cycle_agency');
      if (dialect === 'sqlite') expect(plan).not.toContain('TEMP B-TREE');
      else expect(plan).not.toMatch(/Seq Scan|\bSort\b/);
    }
  });

  it('the scrape-time counts read only indexes', async () => {
    const now = Date.now();
    const cases: Array<[string, unknown[], string]> = [
      [SCRAPE_QUERIES.overdue, [...OPEN_STAGES, now], 'ix_obligations_stage_due'],
      [SCRAPE_QUERIES.timers, [now - 1, now], 'ix_timers_pending_due'],
      [SCRAPE_QUERIES.outboxPending, [], 'ix_outbox_pending'],
      [SCRAPE_QUERIES.outboxFailed, [], 'ix_outbox_failed'],
    ];
    for (const [text, params, index] of cases) {
      const plan = await explain(text, params);
      expect(plan).toContain(index);
      if (dialect === 'sqlite') {
        // SEARCH: a range of the index; SCAN … USING INDEX: all of a partial index (its rows only).
        expect(plan).toMatch(new RegExp(`(SEARCH|SCAN) \\w+ USING (COVERING )?INDEX ${index}`));
        expect(plan).not.toMatch(/\bSCAN \w+$/m);
      } else {
        expect(plan).not.toContain('Seq Scan');
      }
    }
  });
});
