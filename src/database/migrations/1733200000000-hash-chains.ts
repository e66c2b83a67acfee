import type { MigrationInterface, QueryRunner } from 'typeorm';
import { eventHash, GENESIS_HASH, ledgerHash } from '../../core/audit/event-hash.js';

/**
 * Hash chains: every event carries `prev_hash` and `hash` (per obligation), and the `ledger`
 * chains every event in commit order. Existing events are hashed here, in id order.
 */
export class HashChains1733200000000 implements MigrationInterface {
  name = 'HashChains1733200000000';

  async up(q: QueryRunner): Promise<void> {
    const pg = q.connection.driver.options.type === 'postgres';
    await q.query(
      `ALTER TABLE obligation_events ADD COLUMN prev_hash varchar(64) NOT NULL DEFAULT ''`,
    );
    await q.query(`ALTER TABLE obligation_events ADD COLUMN hash varchar(64) NOT NULL DEFAULT ''`);
    await q.query(`CREATE TABLE ledger (
      position bigint PRIMARY KEY,
      event_id bigint NOT NULL,
      obligation_id varchar(36) NOT NULL,
      seq integer NOT NULL,
      event_hash varchar(64) NOT NULL,
      prev_hash varchar(64) NOT NULL,
      hash varchar(64) NOT NULL,
      recorded_at bigint NOT NULL,
      CONSTRAINT uq_ledger_event UNIQUE (event_id)
    )`);
    const rows = (await q.query(
      `SELECT id, obligation_id, seq, type, payload, actor, reason, effective_at, recorded_at, machine_version
       FROM obligation_events ORDER BY id`,
    )) as Array<Record<string, unknown>>;
    const lastHash = new Map<string, string>();
    let prevLedger = GENESIS_HASH;
    let position = 0;
    for (const r of rows) {
      const obligationId = String(r.obligation_id);
      const prevHash = lastHash.get(obligationId) ?? GENESIS_HASH;
      const hash = eventHash({
        obligationId,
        seq: Number(r.seq),
        type: String(r.type),
        payload: typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload,
        actor: String(r.actor),
        reason: r.reason == null ? null : String(r.reason),
        effectiveAt: new Date(Number(r.effective_at)).toISOString(),
        recordedAt: new Date(Number(r.recorded_at)).toISOString(),
        machineVersion: String(r.machine_version),
        prevHash,
      });
      lastHash.set(obligationId, hash);
      const p = (n: number) => (pg ? `$${n}` : '?');
      await q.query(
        `UPDATE obligation_events SET prev_hash = ${p(1)}, hash = ${p(2)} WHERE id = ${p(3)}`,
        [prevHash, hash, r.id],
      );
      position += 1;
      const link = ledgerHash(position, hash, prevLedger);
      await q.query(
        `INSERT INTO ledger (position, event_id, obligation_id, seq, event_hash, prev_hash, hash, recorded_at)
         VALUES (${[1, 2, 3, 4, 5, 6, 7, 8].map(p).join(', ')})`,
        [position, r.id, obligationId, r.seq, hash, prevLedger, link, r.recorded_at],
      );
      prevLedger = link;
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE ledger');
    await q.query('ALTER TABLE obligation_events DROP COLUMN hash');
    await q.query('ALTER TABLE obligation_events DROP COLUMN prev_hash');
  }
}
