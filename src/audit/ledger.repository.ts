/**
 * The global ledger: every event, in commit order, each link hashing the one before. Appends are
 * serialised: on SQLite by the single writer, on PostgreSQL by a transaction-scoped advisory
 * lock held until commit, so positions follow commit order even with several replicas.
 */
import { GENESIS_HASH, ledgerHash } from '../core/audit/event-hash.js';
import { intValue, type Sql } from '../database/database.js';

/** The advisory lock key of ledger appends (any constant; "dondoc" in ASCII, truncated). */
const LEDGER_LOCK = 0x646f6e64;

/** The memo key of the ledger's head within a write transaction (see Sql.memo). */
const HEAD = 'ledger.head';

export interface LedgerEntry {
  position: number;
  eventId: number;
  obligationId: string;
  seq: number;
  eventHash: string;
  prevHash: string;
  hash: string;
  recordedAt: number;
}

export function toLedgerEntry(r: Record<string, unknown>): LedgerEntry {
  return {
    position: intValue(r.position),
    eventId: intValue(r.event_id),
    obligationId: String(r.obligation_id),
    seq: intValue(r.seq),
    eventHash: String(r.event_hash),
    prevHash: String(r.prev_hash),
    hash: String(r.hash),
    recordedAt: intValue(r.recorded_at),
  };
}

export const LedgerRepository = {
  async append(
    sql: Sql,
    e: {
      eventId: number;
      obligationId: string;
      seq: number;
      eventHash: string;
      recordedAt: number;
    },
  ): Promise<LedgerEntry> {
    if (sql.dialect === 'postgres')
      await sql.query('SELECT pg_advisory_xact_lock(?)', [LEDGER_LOCK]);
    const head =
      (sql.memo?.get(HEAD) as { position: number; hash: string } | undefined) ??
      (await LedgerRepository.head(sql));
    const position = head.position + 1;
    const prevHash = head.hash;
    const hash = ledgerHash(position, e.eventHash, prevHash);
    await sql.execute(
      `INSERT INTO ledger (position, event_id, obligation_id, seq, event_hash, prev_hash, hash, recorded_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      [position, e.eventId, e.obligationId, e.seq, e.eventHash, prevHash, hash, e.recordedAt],
    );
    sql.memo?.set(HEAD, { position, hash });
    return { position, ...e, prevHash, hash };
  },

  async head(sql: Sql): Promise<{ position: number; hash: string }> {
    const [head] = await sql.query<{ position: unknown; hash: string }>(
      'SELECT position, hash FROM ledger ORDER BY position DESC LIMIT 1',
    );
    return head
      ? { position: intValue(head.position), hash: String(head.hash) }
      : { position: 0, hash: GENESIS_HASH };
  },
};
