/**
 * What a soak must leave behind: every step of the escalation ladder that came due while an
 * obligation was still owed fired exactly once, within a day of its due time; no step fired for an
 * obligation whose report was already in; and the timers table agrees with the events.
 * The expected steps come from the pure `planTimers` over each obligation's due instant, not from
 * the timers table, so a timer row that was never written, lost or moved is caught too.
 */
import type { INestApplicationContext } from '@nestjs/common';
import { CALENDAR } from '../../src/calendar/calendar.provider.js';
import type { WorkingCalendar } from '../../src/core/calendar/working-calendar.js';
import { planTimers } from '../../src/core/deadline/timer-plan.js';
import type { ObligationKind } from '../../src/core/plan/plan.types.js';
import { Database, intValue, jsonValue } from '../../src/database/database.js';
import { PlanRegistry } from '../../src/plans/plan-registry.service.js';

const DAY_MS = 86_400_000;

export interface LadderCheck {
  /** Steps that had to fire (came due while the report was owed). */
  expected: number;
  /** Ladder events recorded (REMIND, DEADLINE_PASSED, ESCALATE). */
  fired: number;
  /** `obligation kind level` of expected steps that never fired. */
  missing: string[];
  /** Steps recorded more than once. */
  duplicated: string[];
  /** Steps recorded although the report was in before they came due. */
  unexpected: string[];
  /**
   * Timers fired more than a day after they became due: their due time, or the return of the
   * report that reactivated them (a step that came due while the report was in fires then).
   */
  late: string[];
  /** Fired timer rows, to compare with `fired`. */
  firedTimerRows: number;
}

export async function checkLadder(
  app: INestApplicationContext,
  run: {
    endedAt: number;
    reportedAt: ReadonlyMap<string, number>;
    returnedAt: ReadonlyMap<string, readonly number[]>;
  },
): Promise<LadderCheck> {
  const db = app.get(Database);
  const plans = app.get(PlanRegistry);
  const calendar = app.get<WorkingCalendar>(CALENDAR);
  const { obligations, events, timers } = await db.read(async (sql) => ({
    obligations: await sql.query<{ id: string; plan_id: string; kind: string; due_at: unknown }>(
      'SELECT id, plan_id, kind, due_at FROM obligations ORDER BY id',
    ),
    events: await sql.query<{ obligation_id: string; type: string; payload: unknown }>(
      `SELECT obligation_id, type, payload FROM obligation_events
       WHERE type IN ('REMIND', 'DEADLINE_PASSED', 'ESCALATE')`,
    ),
    timers: await sql.query<{
      obligation_id: string;
      kind: string;
      level: unknown;
      due_at: unknown;
      fired_at: unknown;
    }>(
      'SELECT obligation_id, kind, level, due_at, fired_at FROM timers WHERE fired_at IS NOT NULL',
    ),
  }));
  const recorded = new Map<string, number>();
  for (const e of events) {
    const key = `${e.obligation_id} ${e.type} ${jsonValue<{ level: number }>(e.payload).level}`;
    recorded.set(key, (recorded.get(key) ?? 0) + 1);
  }
  const check: LadderCheck = {
    expected: 0,
    fired: events.length,
    missing: [],
    duplicated: [],
    unexpected: [],
    late: [],
    firedTimerRows: timers.length,
  };
  for (const o of obligations) {
    const owedUntil = run.reportedAt.get(o.id) ?? run.endedAt;
    const steps = planTimers({
      ladder: plans.get(o.plan_id).definition.escalation,
      dueAt: intValue(o.due_at),
      kind: o.kind as ObligationKind,
      calendar,
    });
    for (const step of steps) {
      const key = `${o.id} ${step.kind} ${step.level}`;
      const times = recorded.get(key) ?? 0;
      recorded.delete(key);
      if (step.dueAt <= owedUntil) {
        check.expected += 1;
        if (times === 0) check.missing.push(key);
      } else if (times > 0) check.unexpected.push(key);
      if (times > 1) check.duplicated.push(key);
    }
  }
  // Anything left is a step no ladder plans.
  check.unexpected.push(...recorded.keys());
  for (const t of timers) {
    const firedAt = intValue(t.fired_at);
    const returns = (run.returnedAt.get(t.obligation_id) ?? []).filter((r) => r <= firedAt);
    const dueSince = Math.max(intValue(t.due_at), ...returns);
    if (firedAt - dueSince > DAY_MS) {
      check.late.push(`${t.obligation_id} ${t.kind} ${intValue(t.level)}`);
    }
  }
  return check;
}
