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
import { ObligationRepository } from '../../src/obligations/obligation.repository.js';
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
  };
}

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
        ? new RegExp(`(${unique}|ix_obligations_cycle_stage)`)
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
