/**
 * The start's orphan check counts open obligations by plan, agency and machine version. On
 * SQLite it counts them in one streamed pass (Sql.eachArray), on PostgreSQL with GROUP BY: the
 * same report either way.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { INestApplicationContext } from '@nestjs/common';
import { CycleService } from '../../src/cycles/cycle.service.js';
import { Database } from '../../src/database/database.js';
import { OrphanCheck } from '../../src/plans/orphan-check.service.js';
import { admin } from '../support/callers.js';
import { describeEachDatabase } from '../support/databases.js';
import { createTestContext, type TestHarness } from '../support/test-app.js';

const PLAN = 'thanh-hoa-nq46';

describeEachDatabase('orphan report', (dialect) => {
  let h: TestHarness<INestApplicationContext>;
  let ids: Record<string, string>;

  beforeAll(async () => {
    h = await createTestContext(dialect);
    const y2025 = await h.app.get(CycleService).open(PLAN, 2025, admin);
    const y2026 = await h.app.get(CycleService).open(PLAN, 2026, admin);
    ids = Object.fromEntries(y2025.obligations.map((o) => [o.agencyCode, o.id]));
    const tuphap2026 = y2026.obligations.find((o) => o.agencyCode === 'SO_TUPHAP')!.id;
    // Four obligations made orphans as an operator's edit would: three on an unknown machine
    // version (Sở Tư pháp's in both years: one combination, two rows), one moved to an agency no
    // plan knows; one more closed (not counted).
    await h.app.get(Database).write(async (tx) => {
      await tx.execute('UPDATE obligations SET machine_version = ? WHERE id IN (?, ?, ?)', [
        'annual-report@9',
        ids.SO_TUPHAP!,
        tuphap2026,
        ids.SO_YTE!,
      ]);
      await tx.execute('UPDATE obligations SET agency_code = ? WHERE id = ?', [
        'KHONG_CO',
        ids.SO_GTVT!,
      ]);
      await tx.execute(
        "UPDATE obligations SET stage = 'withdrawn', machine_version = ? WHERE id = ?",
        ['annual-report@9', ids.SO_NNPTNT!],
      );
    });
  });
  afterAll(async () => h?.close());

  it('counts each open orphan once, by reason, with examples, and leaves the rest alone', async () => {
    const report = await h.app.get(OrphanCheck).report();
    expect(report.behind).toEqual([]);
    expect(
      report.orphans.map((g) => ({ reason: g.reason, subject: g.subject, count: g.count })),
    ).toEqual([
      // In the order of their first row by plan, origin agency, agency and version.
      { reason: 'agency-unknown', subject: 'KHONG_CO', count: 1 },
      { reason: 'machine-unknown', subject: 'annual-report@9', count: 3 },
    ]);
    const byReason = Object.fromEntries(report.orphans.map((g) => [g.reason, g]));
    expect(byReason['machine-unknown']!.examples.map((e) => [e.year, e.agencyCode])).toEqual([
      [2025, 'SO_TUPHAP'],
      [2025, 'SO_YTE'],
      [2026, 'SO_TUPHAP'],
    ]);
    expect(byReason['agency-unknown']!.examples).toEqual([
      {
        id: ids.SO_GTVT!,
        year: 2025,
        agencyCode: 'KHONG_CO',
        stage: 'plan_drafted',
        machineVersion: 'annual-report@1',
      },
    ]);
  });
});
