/**
 * Keeps an obligation's timers in step with it, inside the same transaction as the change:
 * planned when its cycle opens, moved when its deadline changes, cancelled when its report is
 * in, and reactivated when the report is returned.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { WorkingCalendar } from '../core/calendar/working-calendar.js';
import { planTimers } from '../core/deadline/timer-plan.js';
import type { Stage } from '../core/machine/obligation-events.js';
import type { Sql } from '../database/database.js';
import type { ObligationRecord } from '../obligations/obligation.repository.js';
import type { LoadedPlan } from '../plans/plan-registry.service.js';
import { CALENDAR } from './calendar.provider.js';
import { TimerRepository } from './timer.repository.js';

/** Stages in which the agency still owes its report, so reminders and escalations apply. */
const CHASED: readonly Stage[] = ['plan_drafted', 'implementing'];

@Injectable()
export class TimerService {
  constructor(@Inject(CALENDAR) private readonly calendar: WorkingCalendar) {}

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
