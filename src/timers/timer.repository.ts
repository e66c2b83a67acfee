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
  async insertPlanned(sql: Sql, obligationId: string, timers: PlannedTimer[]): Promise<void> {
    for (const t of timers) {
      await sql.execute(
        `INSERT INTO timers (obligation_id, kind, level, due_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (obligation_id, kind, level) DO NOTHING`,
        [obligationId, t.kind, t.level, t.dueAt],
      );
    }
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
   * Ids of due, pending timers that are unclaimed (or whose claim lapsed), oldest first. Reads
   * only the index ix_timers_pending_due (due_at, id, claimed_until).
   */
  async findDue(sql: Sql, now: number, limit: number): Promise<Array<{ id: number }>> {
    const rows = await sql.query<{ id: unknown }>(
      `SELECT id FROM timers
       WHERE fired_at IS NULL AND cancelled_at IS NULL AND due_at <= ?
         AND (claimed_until IS NULL OR claimed_until < ?)
       ORDER BY due_at, id LIMIT ?`,
      [now, now, limit],
    );
    return rows.map((r) => ({ id: intValue(r.id) }));
  },

  /** Claims a timer for `sweeper` until `until`, unless someone else holds a live claim. */
  async claim(
    sql: Sql,
    id: number,
    sweeper: string,
    now: number,
    until: number,
  ): Promise<TimerRow | null> {
    const rows = await sql.query(
      `UPDATE timers SET claimed_by = ?, claimed_until = ?
       WHERE id = ? AND fired_at IS NULL AND cancelled_at IS NULL AND (claimed_until IS NULL OR claimed_until < ?)
       RETURNING *`,
      [sweeper, until, id, now],
    );
    return rows[0] ? toRow(rows[0]) : null;
  },

  /**
   * Marks a timer fired; false when it already was, was cancelled, or is no longer due (its
   * deadline moved after the sweep claimed it): then nothing may happen.
   */
  async markFired(sql: Sql, id: number, now: number, recipients: string[]): Promise<boolean> {
    const changed = await sql.execute(
      `UPDATE timers SET fired_at = ?, recipients = ?
       WHERE id = ? AND fired_at IS NULL AND cancelled_at IS NULL AND due_at <= ?`,
      [now, JSON.stringify(recipients), id, now],
    );
    return changed === 1;
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
