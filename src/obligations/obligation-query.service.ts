/** Reads of obligations and their history. */
import { Inject, Injectable } from '@nestjs/common';
import { CLOCK } from '../clock/clocks.js';
import type { Clock } from '../core/clock.js';
import { readDenial } from '../core/access/caller.js';
import { DomainError, ErrorCode } from '../core/errors.js';
import { Database, type Sql } from '../database/database.js';
import { PlanRegistry } from '../plans/plan-registry.service.js';
import {
  ObligationRepository,
  type EventRecord,
  type ObligationFilter,
  type ObligationRecord,
} from './obligation.repository.js';
import { toView, type Caller, type ObligationView } from './obligation-view.js';

export interface HistoryEntry {
  seq: number;
  type: string;
  payload: Record<string, unknown>;
  actor: string;
  reason: string | null;
  effectiveAt: string;
  recordedAt: string;
  stageAfter: string;
  machineVersion: string;
  prevHash: string;
  hash: string;
}

export function toHistoryEntry(e: EventRecord): HistoryEntry {
  return {
    seq: e.seq,
    type: e.type,
    payload: e.payload,
    actor: e.actor,
    reason: e.reason,
    effectiveAt: new Date(e.effectiveAt).toISOString(),
    recordedAt: new Date(e.recordedAt).toISOString(),
    stageAfter: e.stageAfter,
    machineVersion: e.machineVersion,
    prevHash: e.prevHash,
    hash: e.hash,
  };
}

@Injectable()
export class ObligationQueryService {
  constructor(
    private readonly db: Database,
    private readonly plans: PlanRegistry,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Loads an obligation the caller may read: NOT_FOUND, or FORBIDDEN for another agency's. */
  private async readable(sql: Sql, id: string, caller: Caller): Promise<ObligationRecord> {
    const o = await ObligationRepository.find(sql, id);
    if (!o)
      throw new DomainError(ErrorCode.NOT_FOUND, `Unknown obligation "${id}"`, {
        obligationId: id,
      });
    const denial = readDenial(caller, o.agencyCode);
    if (denial) throw new DomainError(ErrorCode.FORBIDDEN, `Forbidden: ${denial}`);
    return o;
  }

  async get(id: string, caller: Caller): Promise<ObligationView> {
    const o = await this.db.read((sql) => this.readable(sql, id, caller));
    return toView(o, this.plans.get(o.planId), this.clock.now(), caller);
  }

  async list(
    filter: Omit<ObligationFilter, 'now'>,
    page: number,
    pageSize: number,
    caller: Caller,
  ): Promise<{ items: ObligationView[]; total: number; page: number; pageSize: number }> {
    if (filter.planId !== undefined) this.plans.get(filter.planId);
    if (caller.role === 'officer') {
      // An officer sees only their own agency's obligations.
      const denial = filter.agencyCode !== undefined ? readDenial(caller, filter.agencyCode) : null;
      if (denial) throw new DomainError(ErrorCode.FORBIDDEN, `Forbidden: ${denial}`);
      filter = { ...filter, agencyCode: caller.agencyCode ?? '' };
    }
    const now = this.clock.now();
    const result = await this.db.read((sql) =>
      ObligationRepository.list(
        sql,
        { ...filter, now: now.getTime() },
        { offset: (page - 1) * pageSize, limit: pageSize },
      ),
    );
    return {
      items: result.items.map((o) => toView(o, this.plans.get(o.planId), now, caller)),
      total: result.total,
      page,
      pageSize,
    };
  }

  async history(id: string, caller: Caller): Promise<HistoryEntry[]> {
    const events = await this.db.read(async (sql) => {
      await this.readable(sql, id, caller);
      return ObligationRepository.history(sql, id);
    });
    return events.map(toHistoryEntry);
  }
}
