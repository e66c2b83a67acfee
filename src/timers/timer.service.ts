/**
 * Keeps an obligation's timers in step with it, inside the same transaction as the change:
 * planned when its cycle opens, moved when its deadline changes, cancelled when its report is
 * in, and reactivated when the report is returned.
 */
import { Inject, Injectable, Logger } from '@nestjs/common';
import { CLOCK } from '../clock/clocks.js';
import type { Clock } from '../core/clock.js';
import type { WorkingCalendar } from '../core/calendar/working-calendar.js';
import { planTimers } from '../core/deadline/timer-plan.js';
import type { Stage } from '../core/machine/obligation-events.js';
import { Database, intValue, type Sql } from '../database/database.js';
import type { ObligationRecord } from '../obligations/obligation.repository.js';
import { PlanRegistry, type LoadedPlan } from '../plans/plan-registry.service.js';
import { CALENDAR } from '../calendar/calendar.provider.js';
import { TimerRepository } from './timer.repository.js';

/** Stages in which the agency still owes its report, so reminders and escalations apply. */
const CHASED: readonly Stage[] = ['plan_drafted', 'implementing'];

const FINGERPRINT_KEY = 'calendar.fingerprint';
const RECOMPUTE_BATCH = 500;

@Injectable()
export class TimerService {
  private readonly logger = new Logger(TimerService.name);

  constructor(
    @Inject(CALENDAR) private readonly calendar: WorkingCalendar,
    private readonly db: Database,
    private readonly plans: PlanRegistry,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /**
   * After an administrator edits the calendar files: moves every pending timer of the obligations
   * still being chased to the instants the new calendar gives. Runs at start; does nothing when
   * the calendar is the one the timers were computed with. Returns how many obligations it moved.
   * Due dates themselves are fixed when a cycle opens (an extension changes them, as an event).
   */
  async recomputeIfCalendarChanged(): Promise<number> {
    const stored = await this.db.read((sql) =>
      sql.query<{ value: string }>('SELECT value FROM settings WHERE key = ?', [FINGERPRINT_KEY]),
    );
    const fingerprint = this.calendar.fingerprint;
    let moved = 0;
    if (stored[0] && stored[0].value !== fingerprint) {
      for (let after = ''; ;) {
        const batch = await this.db.read((sql) =>
          sql.query<{ id: string; plan_id: string; kind: string; due_at: unknown }>(
            `SELECT id, plan_id, kind, due_at FROM obligations
             WHERE stage IN ('plan_drafted', 'implementing') AND id > ? ORDER BY id LIMIT ?`,
            [after, RECOMPUTE_BATCH],
          ),
        );
        if (batch.length === 0) break;
        await this.db.write(async (tx) => {
          for (const o of batch) {
            const plan = this.plans.find(o.plan_id);
            if (!plan) continue;
            const timers = this.plan(
              { dueAt: intValue(o.due_at), kind: o.kind as ObligationRecord['kind'] },
              plan,
            );
            await TimerRepository.reschedule(tx, o.id, timers);
          }
        });
        moved += batch.length;
        after = batch[batch.length - 1]!.id;
      }
      this.logger.log(`Calendar changed: recomputed the pending timers of ${moved} obligation(s)`);
    }
    // Written only when it changed: a start writes nothing (it may be on a read-only database).
    if (stored[0]?.value === fingerprint) return moved;
    await this.db.write((tx) =>
      tx.execute(
        `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
        [FINGERPRINT_KEY, fingerprint, this.clock.now().getTime()],
      ),
    );
    return moved;
  }

  plan(o: Pick<ObligationRecord, 'dueAt' | 'kind'>, plan: LoadedPlan) {
    return planTimers({
      ladder: plan.definition.escalation,
      dueAt: o.dueAt,
      kind: o.kind,
      calendar: this.calendar,
    });
  }

  async create(tx: Sql, o: ObligationRecord, plan: LoadedPlan): Promise<void> {
    await TimerRepository.insertPlanned(tx, o.id, this.plan(o, plan));
  }

  /** Called by the command path after every transition, in its transaction. */
  async afterTransition(
    tx: Sql,
    before: ObligationRecord,
    after: ObligationRecord,
    plan: LoadedPlan,
    now: number,
  ): Promise<void> {
    const wasChased = CHASED.includes(before.stage);
    const isChased = CHASED.includes(after.stage);
    if (wasChased && !isChased) await TimerRepository.cancelPending(tx, after.id, now);
    if (!wasChased && isChased) await TimerRepository.reactivate(tx, after.id);
    if (after.dueAt !== before.dueAt)
      await TimerRepository.reschedule(tx, after.id, this.plan(after, plan));
  }
}
