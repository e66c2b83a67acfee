/** SQL for timers. Every value is a bound parameter. */
import type { PlannedTimer, TimerKind } from '../core/deadline/timer-plan.js';
import { intValue, jsonValue, type Sql } from '../database/database.js';

export interface TimerRow {
  id: number;
  obligationId: string;
  kind: TimerKind;
  level: number;
  dueAt: number;
  claimedBy: string | null;
  claimedUntil: number | null;
  firedAt: number | null;
  cancelledAt: number | null;
  recipients: string[] | null;
}

function toRow(r: Record<string, unknown>): TimerRow {
  return {
    id: intValue(r.id),
    obligationId: String(r.obligation_id),
    kind: r.kind as TimerKind,
    level: intValue(r.level),
    dueAt: intValue(r.due_at),
    claimedBy: r.claimed_by == null ? null : String(r.claimed_by),
    claimedUntil: r.claimed_until == null ? null : intValue(r.claimed_until),
    firedAt: r.fired_at == null ? null : intValue(r.fired_at),
    cancelledAt: r.cancelled_at == null ? null : intValue(r.cancelled_at),
    recipients: r.recipients == null ? null : jsonValue<string[]>(r.recipients),
  };
}

export const TimerRepository = {
  /** The obligation's planned timers, in one statement (a cycle opening writes thousands). */
  async insertPlanned(sql: Sql, obligationId: string, timers: PlannedTimer[]): Promise<void> {
    if (timers.length === 0) return;
    await sql.execute(
      `INSERT INTO timers (obligation_id, kind, level, due_at) VALUES ${timers.map(() => '(?, ?, ?, ?)').join(', ')}
       ON CONFLICT (obligation_id, kind, level) DO NOTHING`,
      timers.flatMap((t) => [obligationId, t.kind, t.level, t.dueAt]),
    );
  },

  async forObligation(sql: Sql, obligationId: string): Promise<TimerRow[]> {
    const rows = await sql.query(
      'SELECT * FROM timers WHERE obligation_id = ? ORDER BY due_at, id',
      [obligationId],
    );
    return rows.map(toRow);
  },

  /** Moves the not-yet-fired timers to newly planned instants (a deadline or calendar change). */
  async reschedule(sql: Sql, obligationId: string, timers: PlannedTimer[]): Promise<void> {
    for (const t of timers) {
      await sql.execute(
        `UPDATE timers SET due_at = ?, claimed_by = NULL, claimed_until = NULL
         WHERE obligation_id = ? AND kind = ? AND level = ? AND fired_at IS NULL`,
        [t.dueAt, obligationId, t.kind, t.level],
      );
    }
    await TimerRepository.insertPlanned(sql, obligationId, timers);
  },

  async cancelPending(sql: Sql, obligationId: string, now: number): Promise<number> {
    return sql.execute(
      `UPDATE timers SET cancelled_at = ? WHERE obligation_id = ? AND fired_at IS NULL AND cancelled_at IS NULL`,
      [now, obligationId],
    );
  },

  async reactivate(sql: Sql, obligationId: string): Promise<number> {
    return sql.execute(
      `UPDATE timers SET cancelled_at = NULL, claimed_by = NULL, claimed_until = NULL
       WHERE obligation_id = ? AND fired_at IS NULL AND cancelled_at IS NOT NULL`,
      [obligationId],
    );
  },

  /**
   * Ids of due, pending timers that are unclaimed (or whose claim lapsed: ended before now, or
   * ends after `aheadLimit`, set by a clock that ran ahead), oldest first. Reads only the index
   * ix_timers_pending_due (due_at, id, claimed_until).
   */
  async findDue(
    sql: Sql,
    now: number,
    limit: number,
    aheadLimit: number = Number.MAX_SAFE_INTEGER,
  ): Promise<Array<{ id: number }>> {
    const rows = await sql.query<{ id: unknown }>(
      `SELECT id FROM timers
       WHERE fired_at IS NULL AND cancelled_at IS NULL AND due_at <= ?
         AND (claimed_until IS NULL OR claimed_until < ? OR claimed_until > ?)
       ORDER BY due_at, id LIMIT ?`,
      [now, now, aheadLimit, limit],
    );
    return rows.map((r) => ({ id: intValue(r.id) }));
  },

  /**
   * Claims a timer for `sweeper` until `until`, unless someone else holds a live claim (one that
   * ends from `now` to `aheadLimit`).
   */
  async claim(
    sql: Sql,
    id: number,
    sweeper: string,
    now: number,
    until: number,
    aheadLimit: number = Number.MAX_SAFE_INTEGER,
  ): Promise<TimerRow | null> {
    const rows = await sql.query(
      `UPDATE timers SET claimed_by = ?, claimed_until = ?
       WHERE id = ? AND fired_at IS NULL AND cancelled_at IS NULL
         AND (claimed_until IS NULL OR claimed_until < ? OR claimed_until > ?)
       RETURNING *`,
      [sweeper, until, id, now, aheadLimit],
    );
    return rows[0] ? toRow(rows[0]) : null;
  },

  /**
   * Marks a timer fired if it is still pending and due at `now` (a deadline change may have moved
   * it after it was claimed); returns its due instant, or null when nothing may happen.
   */
  async markFired(sql: Sql, id: number, now: number, recipients: string[]): Promise<number | null> {
    const rows = await sql.query<{ due_at: unknown }>(
      `UPDATE timers SET fired_at = ?, recipients = ?
       WHERE id = ? AND fired_at IS NULL AND cancelled_at IS NULL AND due_at <= ?
       RETURNING due_at`,
      [now, JSON.stringify(recipients), id, now],
    );
    return rows[0] ? intValue(rows[0].due_at) : null;
  },

  async markCancelled(sql: Sql, id: number, now: number): Promise<void> {
    await sql.execute(`UPDATE timers SET cancelled_at = ? WHERE id = ? AND fired_at IS NULL`, [
      now,
      id,
    ]);
  },

  async find(sql: Sql, id: number): Promise<TimerRow | null> {
    const rows = await sql.query('SELECT * FROM timers WHERE id = ?', [id]);
    return rows[0] ? toRow(rows[0]) : null;
  },
};
