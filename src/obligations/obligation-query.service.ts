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
import { encodeCursor, type SortKey } from './obligation-cursor.js';
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

/** GET /api/obligations (CONTRACT.md fields, then `nextCursor`). */
export interface ObligationPage {
  items: ObligationView[];
  /** Rows of the filter; null on a page asked for by cursor. */
  total: number | null;
  /** The page number; null on a page asked for by cursor. */
  page: number | null;
  pageSize: number;
  /** `after` for the next page; null on the last page. */
  nextCursor: string | null;
}

/** A page asked for by number: counted. */
export type NumberedPage = ObligationPage & { total: number; page: number };

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

  /**
   * A page of the obligations the caller may read, by page number (`page`, with `total`) or
   * after a cursor (`after`: the `nextCursor` of the previous page; `page` and `total` are null,
   * since counting every row of the filter would cost as much as reading them).
   */
  async list(
    filter: Omit<ObligationFilter, 'now'>,
    page: number,
    pageSize: number,
    caller: Caller,
  ): Promise<NumberedPage>;
  async list(
    filter: Omit<ObligationFilter, 'now'>,
    position: number | { after: SortKey },
    pageSize: number,
    caller: Caller,
  ): Promise<ObligationPage>;
  async list(
    filter: Omit<ObligationFilter, 'now'>,
    position: number | { after: SortKey },
    pageSize: number,
    caller: Caller,
  ): Promise<ObligationPage> {
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
        typeof position === 'number'
          ? { offset: (position - 1) * pageSize, limit: pageSize }
          : { after: position.after, limit: pageSize },
      ),
    );
    return {
      items: result.items.map((o) => toView(o, this.plans.get(o.planId), now, caller)),
      total: result.total,
      page: typeof position === 'number' ? position : null,
      pageSize,
      nextCursor: result.next ? encodeCursor(result.next) : null,
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
