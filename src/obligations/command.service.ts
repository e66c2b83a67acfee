/**
 * The one command path: load, check the stage accepts the event, transition (pure), append the
 * event and compare-and-set the obligation, all in one transaction. Used by HTTP, the CLI and
 * the scheduler alike.
 */
import { createHash } from 'node:crypto';
import { Inject, Injectable, Optional } from '@nestjs/common';
import { CLOCK } from '../clock/clocks.js';
import type { Clock } from '../core/clock.js';
import { resolveExtendedDue } from '../core/deadline/due-date.js';
import { DomainError, ErrorCode, ValidationError } from '../core/errors.js';
import {
  applyEvent,
  parseEventPayload,
  type EngineState,
  type PersistedSnapshot,
} from '../core/machine/obligation-engine.js';
import { eventDenial, mayBackdate } from '../core/access/caller.js';
import { GENESIS_HASH } from '../core/audit/event-hash.js';
import type { EventType, MachineEvent } from '../core/machine/obligation-events.js';
import { Database, isUniqueViolation, type Sql } from '../database/database.js';
import { TimerService } from '../timers/timer.service.js';
import { PlanRegistry, type LoadedPlan } from '../plans/plan-registry.service.js';
import { checkTransferTarget } from '../agencies/transfer-target.js';
import {
  IdempotencyRepository,
  ObligationRepository,
  type ObligationRecord,
} from './obligation.repository.js';
import { toView, type Caller, type ObligationView } from './obligation-view.js';
import { CommittedRows, type CommandRow } from './committed-rows.js';
import { isoInstant, parseInstant } from '../core/instant.js';

export interface Command {
  obligationId: string;
  type: string;
  payload?: unknown;
  expectedVersion?: number;
  /** When it happened (ISO instant); defaults to now. */
  effectiveAt?: string;
  /** Required when `effectiveAt` is in the past. */
  reason?: string;
  idempotencyKey?: string;
  caller: Caller;
  /**
   * System callers only (the timer sweep): when the step was due. The event is effective then,
   * never after now and never before the obligation's last event; a late sweep (downtime, a
   * clock that jumped) records the catch-up time as `recordedAt` only.
   */
  scheduledAt?: number;
}

/**
 * Told of every finished `execute` (metrics). Called synchronously after the command's batch
 * committed or failed; it must be cheap and must not throw.
 */
export abstract class CommandObserver {
  /** `error` is null on success; `startedAt` is the `performance.now()` of the call. */
  abstract commandFinished(type: string, error: unknown, startedAt: number): void;
}

/** What `decide` concludes: the stored answer to replay, or the transition to write. */
type Decision =
  | { replayed: ObligationView }
  | {
      plan: LoadedPlan;
      last: CommandRow['last'];
      effectiveAt: number;
      event: MachineEvent;
      next: EngineState;
      updated: ObligationRecord;
    };

/** Thrown inside `run` when a remembered row turned out not to be current. */
const STALE = Symbol('stale remembered row');

/** How far `effectiveAt` may differ from now before it counts as backdated (clock skew). */
const SKEW_MS = 5 * 60 * 1000;

function requestHash(cmd: Command): string {
  const canonical = JSON.stringify([
    cmd.obligationId,
    cmd.type,
    cmd.payload ?? {},
    cmd.expectedVersion ?? null,
    cmd.effectiveAt ?? null,
    cmd.reason ?? null,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}

@Injectable()
export class CommandService {
  constructor(
    private readonly db: Database,
    private readonly committed: CommittedRows,
    private readonly plans: PlanRegistry,
    private readonly timers: TimerService,
    @Inject(CLOCK) private readonly clock: Clock,
    @Optional() @Inject(CommandObserver) private readonly observer?: CommandObserver,
  ) {}

  async execute(cmd: Command): Promise<ObligationView> {
    const startedAt = performance.now();
    try {
      // Rerunnable: `run` changes nothing outside the transaction but the committed-rows cache,
      // and only by forgetting an entry. A run again keeps the first run's time.
      let now: Date | undefined;
      const { view, row } = await this.db.write(
        (tx) => this.run(tx, cmd, (now ??= this.clock.now())),
        { rerunnable: true },
      );
      // Committed: the next command on this obligation need not read it again.
      if (row) this.committed.remember(row);
      this.observer?.commandFinished(cmd.type, null, startedAt);
      return view;
    } catch (error) {
      this.observer?.commandFinished(cmd.type, error, startedAt);
      // The same key used concurrently for another obligation: the key's row already exists.
      if (cmd.idempotencyKey && isUniqueViolation(error)) {
        const prior = await this.db.read((sql) =>
          IdempotencyRepository.find(sql, cmd.caller.name, cmd.idempotencyKey!),
        );
        if (prior) return this.replay(prior, requestHash(cmd));
      }
      throw error;
    }
  }

  /** The command inside a transaction the caller owns (the timer sweep adds its own rows to it). */
  async executeIn(tx: Sql, cmd: Command, now: Date = this.clock.now()): Promise<ObligationView> {
    return (await this.run(tx, cmd, now)).view;
  }

  /**
   * The command; also returns the row as it is after it (null for a replayed answer). A row this
   * service committed is used without reading it again: the compare-and-set UPDATE (the command's
   * first write) confirms it is still current. Until then nothing decided from it counts: when
   * the UPDATE finds another version, or a check fails, the command runs again from a fresh read
   * (so no answer, not even a refusal, rests on a row that another writer has since changed).
   * Idempotent commands always read, so a stored answer is replayed only for the current row.
   */
  private async run(
    tx: Sql,
    cmd: Command,
    now: Date,
  ): Promise<{ view: ObligationView; row: CommandRow | null }> {
    const parsed = parseEventPayload(cmd.type, cmd.payload);
    const known = cmd.idempotencyKey ? undefined : this.committed.get(cmd.obligationId);
    if (known) {
      try {
        return await this.transition(tx, cmd, parsed, now, known, true);
      } catch (error) {
        if (error !== STALE) throw error;
        this.committed.forget(cmd.obligationId);
      }
    }
    const found = await ObligationRepository.findForCommand(tx, cmd.obligationId);
    return this.transition(tx, cmd, parsed, now, found, false);
  }

  private async transition(
    tx: Sql,
    cmd: Command,
    { type, payload }: ReturnType<typeof parseEventPayload>,
    now: Date,
    found: CommandRow | null,
    unconfirmed: boolean,
  ): Promise<{ view: ObligationView; row: CommandRow | null }> {
    const current = found?.obligation;
    if (!current) {
      throw new DomainError(ErrorCode.NOT_FOUND, `Unknown obligation "${cmd.obligationId}"`, {
        obligationId: cmd.obligationId,
      });
    }
    let decided;
    try {
      decided = await this.decide(tx, cmd, type, payload, now, found);
    } catch (error) {
      throw unconfirmed ? STALE : error;
    }
    if ('replayed' in decided) return { view: decided.replayed, row: null };
    const { plan, last, effectiveAt, event, next, updated } = decided;
    if (!(await ObligationRepository.update(tx, updated, current.version, current))) {
      if (unconfirmed) throw STALE;
      const fresh = await ObligationRepository.find(tx, current.id);
      throw new DomainError(ErrorCode.VERSION_CONFLICT, 'Obligation changed concurrently', {
        currentVersion: fresh?.version ?? null,
      });
    }
    await this.timers.afterTransition(tx, current, updated, plan, now.getTime());
    const hash = await ObligationRepository.appendEvent(
      tx,
      {
        obligationId: current.id,
        seq: updated.version,
        type,
        // An extension also records the instant its date resolved to, and a transfer the agency
        // it leaves, so replay needs no plan.
        payload: {
          ...payload,
          ...(event.dueAt ? { dueAt: event.dueAt } : {}),
          ...(event.fromAgency ? { fromAgency: event.fromAgency } : {}),
        } as Record<string, unknown>,
        actor: cmd.caller.name,
        reason: cmd.reason ?? null,
        effectiveAt,
        recordedAt: now.getTime(),
        stageAfter: next.stage,
        machineVersion: current.machineVersion,
      },
      last?.hash ?? GENESIS_HASH,
    );
    const view = toView(updated, plan, now, cmd.caller);
    if (cmd.idempotencyKey) {
      await IdempotencyRepository.insert(
        tx,
        cmd.caller.name,
        cmd.idempotencyKey,
        { requestHash: requestHash(cmd), obligationId: current.id, response: view },
        now.getTime(),
      );
    }
    return {
      view,
      row: { obligation: updated, last: { effectiveAt, hash } },
    };
  }

  /** The checks and the transition, before anything is written. */
  private async decide(
    tx: Sql,
    cmd: Command,
    type: EventType,
    payload: MachineEvent['payload'],
    now: Date,
    found: CommandRow,
  ): Promise<Decision> {
    const current = found.obligation;
    const denial = eventDenial(cmd.caller, current.agencyCode, type);
    if (denial) throw new DomainError(ErrorCode.FORBIDDEN, `Forbidden: ${denial}`, { type });
    if (cmd.idempotencyKey) {
      const prior = await IdempotencyRepository.find(tx, cmd.caller.name, cmd.idempotencyKey);
      if (prior) return { replayed: this.replay(prior, requestHash(cmd)) };
    }
    if (cmd.expectedVersion !== undefined && cmd.expectedVersion !== current.version) {
      throw new DomainError(
        ErrorCode.VERSION_CONFLICT,
        `Obligation is at version ${current.version}, not ${cmd.expectedVersion}`,
        { currentVersion: current.version },
      );
    }
    const plan = this.plans.get(current.planId);
    const last = found.last;
    const effectiveAt = this.effectiveAt(cmd, now, last?.effectiveAt ?? null);
    const event = {
      type,
      payload,
      effectiveAt: isoInstant(effectiveAt),
      actor: cmd.caller.name,
      ...(type === 'EXTEND_DEADLINE'
        ? {
            dueAt: resolveExtendedDue(
              (payload as { newDueDate: string }).newDueDate,
              plan.definition.cycle.timeZone,
            ),
          }
        : {}),
      ...(type === 'TRANSFER' ? { fromAgency: current.agencyCode } : {}),
    } as MachineEvent;
    const next = this.apply(
      current.machineVersion,
      current.snapshot,
      event,
      cmd.caller,
      current.agencyCode,
    );
    const toAgency =
      type === 'TRANSFER'
        ? checkTransferTarget(
            plan,
            current.agencyCode,
            payload as { toAgency: string },
            effectiveAt,
          )
        : current.agencyCode;
    const updated = {
      ...current,
      agencyCode: toAgency,
      stage: next.stage,
      snapshot: next.snapshot,
      version: current.version + 1,
      dueAt: parseInstant(next.context.dueAt),
      updatedAt: now.getTime(),
    };
    return { plan, last, effectiveAt, event, next, updated };
  }

  /** Applies the event; a rejection lists only the events this caller may send. */
  private apply(
    ref: string,
    snapshot: PersistedSnapshot,
    event: MachineEvent,
    caller: Caller,
    agencyCode: string,
  ) {
    try {
      return applyEvent(ref, snapshot, event);
    } catch (error) {
      if (error instanceof DomainError && error.code === ErrorCode.EVENT_NOT_ALLOWED) {
        const allowed = (error.details.allowedEvents as EventType[]).filter(
          (e) => eventDenial(caller, agencyCode, e) === null,
        );
        throw new DomainError(error.code, error.message, {
          ...error.details,
          allowedEvents: allowed,
        });
      }
      throw error;
    }
  }

  private replay(prior: { requestHash: string; response: unknown }, hash: string): ObligationView {
    if (prior.requestHash !== hash) {
      throw new DomainError(
        ErrorCode.IDEMPOTENCY_KEY_REUSED,
        'This Idempotency-Key was already used for a different request',
      );
    }
    return prior.response as ObligationView;
  }

  /** Validates the claimed effective time: not in the future, backdated only with a reason. */
  private effectiveAt(cmd: Command, now: Date, lastEffectiveAt: number | null): number {
    if (cmd.effectiveAt === undefined) {
      const at =
        cmd.scheduledAt !== undefined && cmd.caller.system
          ? Math.min(cmd.scheduledAt, now.getTime())
          : now.getTime();
      return Math.max(at, lastEffectiveAt ?? 0);
    }
    const at = Date.parse(cmd.effectiveAt);
    if (
      !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(
        cmd.effectiveAt,
      ) ||
      Number.isNaN(at)
    ) {
      throw new ValidationError('effectiveAt must be an ISO 8601 instant with an offset', [
        {
          path: 'effectiveAt',
          message: 'expected an ISO 8601 instant with an offset, e.g. 2025-11-14T08:00:00+07:00',
        },
      ]);
    }
    if (at > now.getTime() + SKEW_MS) {
      throw new ValidationError('effectiveAt is in the future', [
        { path: 'effectiveAt', message: `must not be later than now (${now.toISOString()})` },
      ]);
    }
    if (at < now.getTime() - SKEW_MS && !mayBackdate(cmd.caller, cmd.type as EventType)) {
      throw new DomainError(
        ErrorCode.FORBIDDEN,
        'Only the aggregator may record an earlier effectiveAt (and an administrator a TRANSFER)',
      );
    }
    if (at < now.getTime() - SKEW_MS && !cmd.reason?.trim()) {
      throw new ValidationError('A backdated effectiveAt needs a reason', [
        { path: 'reason', message: 'required when effectiveAt is in the past' },
      ]);
    }
    if (lastEffectiveAt !== null && at < lastEffectiveAt) {
      throw new ValidationError("effectiveAt is earlier than the obligation's last event", [
        {
          path: 'effectiveAt',
          message: `must not be earlier than the last event's effective time (${new Date(lastEffectiveAt).toISOString()})`,
        },
      ]);
    }
    return at;
  }
}
