import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes that keep every obligation list page an index seek in list order (keyset pagination,
 * no sort of the matching rows), however large the table:
 * - a cycle's obligations in one stage: `(plan_id, year, stage)` gains the rest of the sort key
 *   `(agency_code, origin_agency_code)`, so the stage filter reads its rows already in order
 *   (it replaces the narrower index, which is its prefix);
 * - an agency's obligations across plans and years (an officer's list without a cycle):
 *   `(agency_code, plan_id, year, origin_agency_code)`.
 * (A cycle's list and the dashboard already walk `ix_obligations_cycle_agency`.)
 */
export class ListIndexes1733600000000 implements MigrationInterface {
  name = 'ListIndexes1733600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX ix_obligations_cycle_stage_agency
       ON obligations (plan_id, year, stage, agency_code, origin_agency_code)`,
    );
    await q.query('DROP INDEX ix_obligations_cycle_stage');
    await q.query(
      `CREATE INDEX ix_obligations_agency
       ON obligations (agency_code, plan_id, year, origin_agency_code)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX ix_obligations_agency');
    await q.query(`CREATE INDEX ix_obligations_cycle_stage ON obligations (plan_id, year, stage)`);
    await q.query('DROP INDEX ix_obligations_cycle_stage_agency');
  }
}
