/**
 * Bitemporal reads: an obligation's state, or a cycle's roster, rebuilt by pure replay of the
 * events effective at or before `at` and recorded at or before `asRecordedAt` (what the system
 * knew then), each event under the machine version it was recorded with. Stored snapshots are
 * never read.
 */
import { Inject, Injectable } from '@nestjs/common';
import { CLOCK } from '../clock/clocks.js';
import type { Caller } from '../core/access/caller.js';
import { readDenial } from '../core/access/caller.js';
import { eventsAsOf, replay, type ReplayEvent } from '../core/audit/replay.js';
import type { Clock } from '../core/clock.js';
import { isDone, STATUSES, statusOf, type Status } from '../core/deadline/obligation-status.js';
import { DomainError, ErrorCode, ValidationError } from '../core/errors.js';
import { STAGES, type Stage } from '../core/machine/obligation-events.js';
import { Database, intValue, jsonValue, type Sql } from '../database/database.js';
import type { SortKey } from '../obligations/obligation-cursor.js';
import { ObligationRepository } from '../obligations/obligation.repository.js';
import { PlanRegistry } from '../plans/plan-registry.service.js';

export interface AsOf {
  /** Effective time (ISO 8601 instant with an offset); default now. */
  at?: string;
  /** Only what had been recorded by then; default everything. */
  asRecordedAt?: string;
}

export interface ReplayedState {
  stage: Stage | null;
  overdue: boolean;
  escalationLevel: number;
  status: Status | null;
  eventsApplied: number;
  machineVersion: string | null;
  dueAt: string | null;
}

export interface ObligationStateAt extends ReplayedState {
  obligationId: string;
  at: string;
  asRecordedAt: string | null;
}

export interface RosterRow {
  obligationId: string;
  agencyCode: string;
  stage: Stage | null;
  overdue: boolean;
  escalationLevel: number;
  status: Status | null;
  eventsApplied: number;
}

export interface CycleStatusAt {
  planId: string;
  year: number;
  at: string;
  asRecordedAt: string | null;
  counts: {
    byStage: Record<Stage, number>;
    byStatus: Record<Status, number>;
    /** Obligations not yet opened as of that time (no stage). */
    notOpened: number;
  };
  obligations: RosterRow[];
}

const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** Obligations per roster page. */
const ROSTER_PAGE = 500;

/** An ISO 8601 instant with an offset, in ms; else a VALIDATION_FAILED naming `field`. */
export function parseInstant(value: string, field: string): number {
  const ms = Date.parse(value);
  if (!INSTANT.test(value) || Number.isNaN(ms)) {
    throw new ValidationError(`${field} must be an ISO 8601 instant with an offset`, [
      {
        path: field,
        message: 'expected an ISO 8601 instant with an offset, e.g. 2025-11-14T08:00:00+07:00',
      },
    ]);
  }
  return ms;
}

/** The state the events give as of `atMs`. Pure. */
export function stateOf(events: ReplayEvent[], atMs: number): ReplayedState {
  const { state, machineVersion, eventsApplied } = replay(events);
  if (!state) {
    return {
      stage: null,
      overdue: false,
      escalationLevel: 0,
      status: null,
      eventsApplied,
      machineVersion,
      dueAt: null,
    };
  }
  const dueMs = Date.parse(state.context.dueAt);
  return {
    stage: state.stage,
    overdue: state.stage !== 'withdrawn' && !isDone(state.stage) && atMs >= dueMs,
    escalationLevel: state.context.escalationLevel,
    status: statusOf(state.stage, state.context, dueMs, atMs),
    eventsApplied,
    machineVersion,
    dueAt: state.context.dueAt,
  };
}

function toReplayEvent(r: Record<string, unknown>): ReplayEvent {
  return {
    seq: intValue(r.seq),
    type: String(r.type),
    payload: jsonValue<Record<string, unknown>>(r.payload),
    actor: String(r.actor),
    effectiveAt: new Date(intValue(r.effective_at)).toISOString(),
    recordedAt: new Date(intValue(r.recorded_at)).toISOString(),
    machineVersion: String(r.machine_version),
  };
}

/** The events of several obligations that count as of the time, grouped by obligation. */
export async function eventsOf(
  sql: Sql,
  ids: string[],
  atMs: number,
  knownMs: number | null,
): Promise<Map<string, ReplayEvent[]>> {
  const byId = new Map<string, ReplayEvent[]>(ids.map((id) => [id, []]));
  if (!ids.length) return byId;
  const known = knownMs === null ? '' : 'AND recorded_at <= ?';
  const rows = await sql.query(
    `SELECT obligation_id, seq, type, payload, actor, effective_at, recorded_at, machine_version
     FROM obligation_events
     WHERE obligation_id IN (${ids.map(() => '?').join(', ')}) AND effective_at <= ? ${known}
     ORDER BY obligation_id, seq`,
    [...ids, atMs, ...(knownMs === null ? [] : [knownMs])],
  );
  for (const r of rows) byId.get(String(r.obligation_id))?.push(toReplayEvent(r));
  return byId;
}

@Injectable()
export class ReplayQueryService {
  constructor(
    private readonly db: Database,
    private readonly plans: PlanRegistry,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  private times(asOf: AsOf): { atMs: number; knownMs: number | null } {
    return {
      atMs: asOf.at === undefined ? this.clock.now().getTime() : parseInstant(asOf.at, 'at'),
      knownMs:
        asOf.asRecordedAt === undefined ? null : parseInstant(asOf.asRecordedAt, 'asRecordedAt'),
    };
  }

  /** One obligation's state as of the time; stage null (eventsApplied 0) before it was opened. */
  async stateAt(id: string, asOf: AsOf, caller: Caller): Promise<ObligationStateAt> {
    const { atMs, knownMs } = this.times(asOf);
    const history = await this.db.read(async (sql) => {
      const o = await ObligationRepository.find(sql, id);
      if (!o) {
        throw new DomainError(ErrorCode.NOT_FOUND, `Unknown obligation "${id}"`, {
          obligationId: id,
        });
      }
      const denial = readDenial(caller, o.agencyCode);
      if (denial) throw new DomainError(ErrorCode.FORBIDDEN, `Forbidden: ${denial}`);
      return ObligationRepository.history(sql, id);
    });
    const at = new Date(atMs).toISOString();
    const asRecordedAt = knownMs === null ? null : new Date(knownMs).toISOString();
    const events = eventsAsOf(
      history.map((e) => ({
        ...e,
        effectiveAt: new Date(e.effectiveAt).toISOString(),
        recordedAt: new Date(e.recordedAt).toISOString(),
      })),
      at,
      asRecordedAt ?? undefined,
    );
    return { obligationId: id, ...stateOf(events, atMs), at, asRecordedAt };
  }

  /** The whole roster of a cycle as of the time; an officer sees only their agency's row. */
  async cycleStatusAt(
    planId: string,
    year: number,
    asOf: AsOf,
    caller: Caller,
  ): Promise<CycleStatusAt> {
    const { atMs, knownMs } = this.times(asOf);
    this.plans.get(planId);
    const agencyCode = caller.role === 'officer' ? (caller.agencyCode ?? '') : undefined;
    const byStage = Object.fromEntries(STAGES.map((s) => [s, 0])) as Record<Stage, number>;
    const byStatus = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<Status, number>;
    let notOpened = 0;
    const obligations: RosterRow[] = [];
    const open = await this.db.read((sql) =>
      sql.query(`SELECT 1 AS found FROM cycles WHERE plan_id = ? AND year = ?`, [planId, year]),
    );
    if (!open.length) {
      throw new DomainError(ErrorCode.NOT_FOUND, `Cycle ${year} of plan "${planId}" is not open`, {
        planId,
        year,
      });
    }
    for (let after: SortKey | undefined, more = true; more;) {
      const { items, events, next } = await this.db.read(async (sql) => {
        const page = await ObligationRepository.list(
          sql,
          { planId, year, agencyCode, now: atMs },
          { after, limit: ROSTER_PAGE, count: false },
        );
        const ids = page.items.map((o) => o.id);
        return {
          items: page.items,
          next: page.next,
          events: await eventsOf(sql, ids, atMs, knownMs),
        };
      });
      for (const o of items) {
        const s = stateOf(events.get(o.id) ?? [], atMs);
        if (s.stage === null) notOpened += 1;
        else byStage[s.stage] += 1;
        if (s.status) byStatus[s.status] += 1;
        obligations.push({
          obligationId: o.id,
          agencyCode: o.agencyCode,
          stage: s.stage,
          overdue: s.overdue,
          escalationLevel: s.escalationLevel,
          status: s.status,
          eventsApplied: s.eventsApplied,
        });
      }
      after = next ?? undefined;
      more = next !== null;
    }
    return {
      planId,
      year,
      at: new Date(atMs).toISOString(),
      asRecordedAt: knownMs === null ? null : new Date(knownMs).toISOString(),
      counts: { byStage, byStatus, notOpened },
      obligations,
    };
  }
}
