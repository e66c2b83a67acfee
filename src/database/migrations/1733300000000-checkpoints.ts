import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Signed checkpoints of the ledger: its head (position and hash) and the number of events at
 * that moment, HMAC-signed with the audit key, written hourly and on demand.
 */
export class Checkpoints1733300000000 implements MigrationInterface {
  name = 'Checkpoints1733300000000';

  async up(q: QueryRunner): Promise<void> {
    const pg = q.connection.driver.options.type === 'postgres';
    const serial = pg ? 'bigserial PRIMARY KEY' : 'integer PRIMARY KEY AUTOINCREMENT';
    await q.query(`CREATE TABLE audit_checkpoints (
      id ${serial},
      position bigint NOT NULL,
      hash varchar(64) NOT NULL,
      event_count bigint NOT NULL,
      created_at bigint NOT NULL,
      signature varchar(128) NOT NULL
    )`);
    await q.query(`CREATE INDEX ix_audit_checkpoints_position ON audit_checkpoints (position)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE audit_checkpoints');
  }
}
