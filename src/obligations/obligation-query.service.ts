/** Reads of obligations and their history. */
import { Inject, Injectable } from '@nestjs/common';
import { CLOCK } from '../clock/clocks.js';
import type { Clock } from '../core/clock.js';
import { DomainError, ErrorCode } from '../core/errors.js';
import { Database } from '../database/database.js';
import { PlanRegistry } from '../plans/plan-registry.service.js';
import {
  ObligationRepository,
  type EventRecord,
  type ObligationFilter,
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
  };
}

@Injectable()
export class ObligationQueryService {
  constructor(
    private readonly db: Database,
    private readonly plans: PlanRegistry,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async get(id: string, caller: Caller): Promise<ObligationView> {
    const o = await this.db.read((sql) => ObligationRepository.find(sql, id));
    if (!o)
      throw new DomainError(ErrorCode.NOT_FOUND, `Unknown obligation "${id}"`, {
        obligationId: id,
      });
    return toView(o, this.plans.get(o.planId), this.clock.now(), caller);
  }

  async list(
    filter: Omit<ObligationFilter, 'now'>,
    page: number,
    pageSize: number,
    caller: Caller,
  ): Promise<{ items: ObligationView[]; total: number; page: number; pageSize: number }> {
    if (filter.planId !== undefined) this.plans.get(filter.planId);
    const now = this.clock.now();
    const result = await this.db.read((sql) =>
      ObligationRepository.list(
        sql,
        { ...filter, now: now.getTime() },
        {
          offset: (page - 1) * pageSize,
          limit: pageSize,
        },
      ),
    );
    return {
      items: result.items.map((o) => toView(o, this.plans.get(o.planId), now, caller)),
      total: result.total,
      page,
      pageSize,
    };
  }

  async history(id: string): Promise<HistoryEntry[]> {
    const events = await this.db.read(async (sql) => {
      const o = await ObligationRepository.find(sql, id);
      if (!o)
        throw new DomainError(ErrorCode.NOT_FOUND, `Unknown obligation "${id}"`, {
          obligationId: id,
        });
      return ObligationRepository.history(sql, id);
    });
    return events.map(toHistoryEntry);
  }
}
