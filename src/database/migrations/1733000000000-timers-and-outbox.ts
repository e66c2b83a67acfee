import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Durable deadlines and notifications:
 * - `timers`: one row per (obligation, kind, level), due at an instant; a sweeper claims due rows
 *   with a lease and fires each at most once (`fired_at`), or cancels it when the stage has passed.
 * - `notification_outbox`: written in the same transaction as the escalation event; a dispatcher
 *   delivers each row (in-app inbox, e-mail, webhook) with retries.
 * - `settings`: small key/value facts, e.g. the fingerprint of the calendar the timers were
 *   computed with.
 * - `users.email`: where e-mail notifications go.
 */
export class TimersAndOutbox1733000000000 implements MigrationInterface {
  name = 'TimersAndOutbox1733000000000';

  async up(q: QueryRunner): Promise<void> {
    const pg = q.connection.driver.options.type === 'postgres';
    const serial = pg ? 'bigserial PRIMARY KEY' : 'integer PRIMARY KEY AUTOINCREMENT';
    const json = pg ? 'jsonb' : 'text';
    await q.query(`CREATE TABLE timers (
      id ${serial},
      obligation_id varchar(36) NOT NULL REFERENCES obligations(id),
      kind varchar(32) NOT NULL,
      level integer NOT NULL,
      due_at bigint NOT NULL,
      claimed_by varchar(100),
      claimed_until bigint,
      fired_at bigint,
      cancelled_at bigint,
      recipients ${json},
      CONSTRAINT uq_timer_obligation_kind_level UNIQUE (obligation_id, kind, level)
    )`);
    await q.query(
      `CREATE INDEX ix_timers_pending_due ON timers (due_at) WHERE fired_at IS NULL AND cancelled_at IS NULL`,
    );
    await q.query(`CREATE INDEX ix_timers_fired ON timers (fired_at) WHERE fired_at IS NOT NULL`);
    await q.query(`CREATE TABLE notification_outbox (
      id ${serial},
      obligation_id varchar(36) NOT NULL REFERENCES obligations(id),
      timer_id bigint,
      channel varchar(16) NOT NULL,
      recipient varchar(500) NOT NULL,
      message ${json} NOT NULL,
      status varchar(16) NOT NULL,
      attempts integer NOT NULL DEFAULT 0,
      next_attempt_at bigint NOT NULL,
      last_error text,
      created_at bigint NOT NULL,
      delivered_at bigint
    )`);
    await q.query(
      `CREATE INDEX ix_outbox_pending ON notification_outbox (next_attempt_at) WHERE status = 'pending'`,
    );
    await q.query(
      `CREATE INDEX ix_outbox_inbox ON notification_outbox (channel, recipient, created_at)`,
    );
    await q.query(`CREATE TABLE settings (
      key varchar(100) PRIMARY KEY,
      value text NOT NULL,
      updated_at bigint NOT NULL
    )`);
    await q.query(`ALTER TABLE users ADD COLUMN email varchar(254)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE users DROP COLUMN email');
    await q.query('DROP TABLE settings');
    await q.query('DROP TABLE notification_outbox');
    await q.query('DROP TABLE timers');
  }
}
