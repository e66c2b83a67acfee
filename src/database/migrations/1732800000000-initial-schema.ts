import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The obligations, their append-only events, cycles and idempotency keys.
 * Instants are integer epoch milliseconds (UTC) on both databases: SQLite compares text dates
 * wrongly, and integers keep the two dialects identical.
 */
export class InitialSchema1732800000000 implements MigrationInterface {
  name = 'InitialSchema1732800000000';

  async up(q: QueryRunner): Promise<void> {
    const pg = q.connection.driver.options.type === 'postgres';
    const json = pg ? 'jsonb' : 'text';
    const serial = pg ? 'bigserial PRIMARY KEY' : 'integer PRIMARY KEY AUTOINCREMENT';
    await q.query(`CREATE TABLE cycles (
      plan_id varchar(100) NOT NULL,
      year integer NOT NULL,
      due_at bigint NOT NULL,
      opened_at bigint NOT NULL,
      opened_by varchar(128) NOT NULL,
      PRIMARY KEY (plan_id, year)
    )`);
    await q.query(`CREATE TABLE obligations (
      id varchar(36) PRIMARY KEY,
      plan_id varchar(100) NOT NULL,
      year integer NOT NULL,
      agency_code varchar(64) NOT NULL,
      kind varchar(16) NOT NULL,
      stage varchar(32) NOT NULL,
      snapshot ${json} NOT NULL,
      version integer NOT NULL,
      machine_version varchar(64) NOT NULL,
      due_at bigint NOT NULL,
      created_at bigint NOT NULL,
      updated_at bigint NOT NULL,
      CONSTRAINT uq_obligation_plan_year_agency UNIQUE (plan_id, year, agency_code)
    )`);
    await q.query(`CREATE INDEX ix_obligations_cycle_stage ON obligations (plan_id, year, stage)`);
    await q.query(`CREATE TABLE obligation_events (
      id ${serial},
      obligation_id varchar(36) NOT NULL REFERENCES obligations(id),
      seq integer NOT NULL,
      type varchar(32) NOT NULL,
      payload ${json} NOT NULL,
      actor varchar(128) NOT NULL,
      reason text,
      effective_at bigint NOT NULL,
      recorded_at bigint NOT NULL,
      stage_after varchar(32) NOT NULL,
      machine_version varchar(64) NOT NULL,
      CONSTRAINT uq_event_obligation_seq UNIQUE (obligation_id, seq)
    )`);
    await q.query(`CREATE TABLE idempotency_keys (
      actor varchar(128) NOT NULL,
      key varchar(200) NOT NULL,
      request_hash varchar(64) NOT NULL,
      obligation_id varchar(36) NOT NULL,
      response ${json} NOT NULL,
      created_at bigint NOT NULL,
      PRIMARY KEY (actor, key)
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE idempotency_keys');
    await q.query('DROP TABLE obligation_events');
    await q.query('DROP TABLE obligations');
    await q.query('DROP TABLE cycles');
  }
}
