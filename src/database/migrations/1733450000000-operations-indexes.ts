import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes for the metrics read at every scrape, so a scrape never scans a table:
 * - overdue obligations by plan and year: `stage IN (open stages) AND due_at <= now` is a range
 *   per stage on `(stage, due_at)`, and `plan_id, year` in the index make it covering;
 * - failed notifications: a partial index holding only those rows (few, normally none).
 * (Pending notifications already have `ix_outbox_pending`, due timers `ix_timers_pending_due`.)
 */
export class OperationsIndexes1733450000000 implements MigrationInterface {
  name = 'OperationsIndexes1733450000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX ix_obligations_stage_due ON obligations (stage, due_at, plan_id, year)`,
    );
    await q.query(
      `CREATE INDEX ix_outbox_failed ON notification_outbox (id) WHERE status = 'failed'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX ix_outbox_failed');
    await q.query('DROP INDEX ix_obligations_stage_due');
  }
}
