/**
 * The timer sweep: finds due timers, claims them with a lease, and fires each one in its own
 * transaction through the command path (actor `system:scheduler`), together with its outbox
 * rows. Each (obligation, kind, level) fires at most once: the fire transaction re-checks
 * `fired_at IS NULL` under the row's lock, so two sweepers (two processes on one database) or a
 * retry after a crash between claim and fire can never fire it twice, and re-checks
 * `due_at <= now`, so a timer moved later after its claim does not fire early. A claim whose
 * sweeper died lapses after the lease (or at once when its end is further ahead than a clock can
 * be trusted: CLAIM_MAX_AHEAD_MS), and the timer is then fired by the next sweep.
 *
 * Clock jumps: a timer fires on the first sweep whose `now` reaches its due instant, whatever the
 * clock did before; going back never un-fires or re-fires it. A late fire (downtime, a jump) is
 * effective at the due instant (never before the obligation's last event) and recorded at the
 * catch-up time; the outbox rows and `firedAt` carry the catch-up time, when they were sent.
 */
import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { CLOCK } from '../clock/clocks.js';
import { SCHEDULER } from '../core/access/caller.js';
import type { Clock } from '../core/clock.js';
import { recipientsOf, type TimerKind } from '../core/deadline/timer-plan.js';
import { acceptedEvents } from '../core/machine/obligation-engine.js';
import { Database, type Sql } from '../database/database.js';
import { enqueueNotifications, recipientsFor } from '../notifications/outbox.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { CommandService } from '../obligations/command.service.js';
import { ObligationRepository } from '../obligations/obligation.repository.js';
import { PlanRegistry } from '../plans/plan-registry.service.js';
import { TimerRepository, type TimerRow } from './timer.repository.js';

export interface FiredTimer {
  obligationId: string;
  type: TimerKind;
  level: number;
}

/** Told of every timer fired, after its transaction committed (metrics); must not throw. */
export abstract class SweepObserver {
  /** `startedAt` is the `performance.now()` when its transaction was queued. */
  abstract timerFired(kind: TimerKind, startedAt: number): void;
}

/** How long a claim holds before another sweeper may take the timer over. */
export const CLAIM_LEASE_MS = 2 * 60 * 1000;
/**
 * A claim that ends further than this after now was taken by a clock that ran ahead (or has since
 * jumped back): it counts as lapsed, so a timer claimed by a sweeper that died is not held for as
 * long as the jump. Taking over a live claim is safe: firing re-checks `fired_at` under the lock.
 */
export const CLAIM_MAX_AHEAD_MS = 2 * CLAIM_LEASE_MS;
/** Timers looked up and claimed per round (the lookup reads only its index). */
export const SWEEP_BATCH = 2000;

@Injectable()
export class SweepService {
  private readonly logger = new Logger(SweepService.name);
  /** This process's sweeper id (claims name it). */
  readonly sweeperId = `sweeper:${randomUUID()}`;

  constructor(
    private readonly db: Database,
    private readonly commands: CommandService,
    private readonly plans: PlanRegistry,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Optional() @Inject(SweepObserver) private readonly observer?: SweepObserver,
  ) {}

  /**
   * Fires every timer due at `now` (default: the clock); returns what fired. Each obligation's
   * timers fire one after another, oldest first; different obligations fire concurrently, so
   * SQLite's queue commits them together.
   */
  async sweep(now: number = this.clock.now().getTime()): Promise<FiredTimer[]> {
    const fired: FiredTimer[] = [];
    for (;;) {
      const due = await this.db.read((sql) =>
        TimerRepository.findDue(sql, now, SWEEP_BATCH, now + CLAIM_MAX_AHEAD_MS),
      );
      if (due.length === 0) break;
      fired.push(...(await this.fireClaimed(await this.claim(due, now), now)));
      if (due.length < SWEEP_BATCH) break;
    }
    if (fired.length) this.logger.log(`Sweep fired ${fired.length} timer(s)`);
    return fired;
  }

  /**
   * Fires timers this sweeper claimed, each in its own transaction: one obligation's in the given
   * order, different obligations concurrently. A timer fired meanwhile by another sweeper (one
   * that took the claim over) is skipped; returns what this call fired.
   */
  async fireClaimed(claimed: TimerRow[], now: number): Promise<FiredTimer[]> {
    const byObligation = new Map<string, TimerRow[]>();
    for (const t of claimed)
      byObligation.set(t.obligationId, [...(byObligation.get(t.obligationId) ?? []), t]);
    const results = await Promise.all(
      [...byObligation.values()].map(async (timers) => {
        const out: FiredTimer[] = [];
        for (const timer of timers) {
          const startedAt = performance.now();
          const result = await this.db.write((tx) => this.fire(tx, timer, now));
          if (result) {
            out.push(result);
            this.observer?.timerFired(result.type, startedAt);
          }
        }
        return out;
      }),
    );
    return results.flat();
  }

  /** Claims the timers this sweeper will fire (in the order given); those claimed by a live sweeper are skipped. */
  async claim(timers: Array<{ id: number }>, now: number): Promise<TimerRow[]> {
    return this.db.write(async (tx) => {
      const mine: TimerRow[] = [];
      for (const t of timers) {
        const row = await TimerRepository.claim(
          tx,
          t.id,
          this.sweeperId,
          now,
          now + CLAIM_LEASE_MS,
          now + CLAIM_MAX_AHEAD_MS,
        );
        if (row) mine.push(row);
      }
      return mine;
    });
  }

  /**
   * Fires one claimed timer; null when it no longer applies (already fired, cancelled, or moved
   * past `now` by a deadline change committed after the claim).
   */
  private async fire(tx: Sql, timer: TimerRow, now: number): Promise<FiredTimer | null> {
    const o = await ObligationRepository.find(tx, timer.obligationId, true);
    if (!o) return null;
    const plan = this.plans.get(o.planId);
    if (!acceptedEvents(o.machineVersion, o.snapshot).includes(timer.kind)) {
      // The stage has moved on (report in, or withdrawn): this step never fires.
      await TimerRepository.markCancelled(tx, timer.id, now);
      return null;
    }
    const roles = recipientsOf(plan.definition.escalation, timer.kind, timer.level);
    const recipients = await recipientsFor(tx, roles, o.agencyCode);
    const dueAt = await TimerRepository.markFired(
      tx,
      timer.id,
      now,
      recipients.map((r) => r.username),
    );
    if (dueAt === null) return null;
    const view = await this.commands.executeIn(
      tx,
      {
        obligationId: o.id,
        type: timer.kind,
        payload: { level: timer.level },
        caller: SCHEDULER,
        scheduledAt: dueAt,
      },
      new Date(now),
    );
    await enqueueNotifications(tx, {
      message: {
        kind: timer.kind,
        level: timer.level,
        planId: plan.definition.id,
        planTitle: plan.definition.title,
        year: o.year,
        obligationId: o.id,
        agencyCode: o.agencyCode,
        agencyName: view.agencyName,
        dueAt: view.dueAt,
        firedAt: new Date(now).toISOString(),
        recipientRoles: roles,
      },
      timerId: timer.id,
      recipients,
      webhookUrls: this.config.webhookUrls,
      now,
    });
    return { obligationId: o.id, type: timer.kind, level: timer.level };
  }
}
