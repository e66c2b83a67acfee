import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The consolidated report on the cycle: its number and symbol, when it was reported to UBND
 * tỉnh (epoch ms) and by whom. Null until the aggregator reports the cycle.
 */
export class ConsolidatedReport1733500000000 implements MigrationInterface {
  name = 'ConsolidatedReport1733500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE cycles ADD COLUMN consolidated_report_ref varchar(200) NULL`);
    await q.query(`ALTER TABLE cycles ADD COLUMN reported_to_ubnd_at bigint NULL`);
    await q.query(`ALTER TABLE cycles ADD COLUMN reported_to_ubnd_by varchar(128) NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE cycles DROP COLUMN reported_to_ubnd_by');
    await q.query('ALTER TABLE cycles DROP COLUMN reported_to_ubnd_at');
    await q.query('ALTER TABLE cycles DROP COLUMN consolidated_report_ref');
  }
}
