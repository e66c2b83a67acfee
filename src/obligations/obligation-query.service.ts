/** Reads of obligations and their history. */
import { hash, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { CLOCK } from '../clock/clocks.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
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
  type ObligationStamp,
  type PageRequest,
} from './obligation.repository.js';
import { ObligationViewCache } from './obligation-view-cache.js';
import { encodeCursor, type SortKey } from './obligation-cursor.js';
import { isOverdue, toView, type Caller, type ObligationView } from './obligation-view.js';

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

/** Below this recent share of misses a list reads the rows' stamps first (see listJson). */
const STAMPS_FIRST_BELOW = 0.2;

/** A row listed a moment ago and gone now: obligations are never deleted, so this is a bug. */
function lost(id: string): never {
  throw new Error(`obligation ${id} vanished while listing`);
}

/** The rows of a page asked for by number or after a cursor. */
function pageRequest(position: number | { after: SortKey }, pageSize: number): PageRequest {
  return typeof position === 'number'
    ? { offset: (position - 1) * pageSize, limit: pageSize }
    : { after: position.after, limit: pageSize };
}

@Injectable()
export class ObligationQueryService {
  /** Remembered view texts of list pages (per process). */
  private readonly views: ObligationViewCache;
  /** Part of every list ETag: a restart (perhaps with other plan files) never reuses one. */
  private readonly bootId = randomUUID();
  /** Recent share of list rows whose view was not remembered (a moving average). */
  private missShare = 1;

  constructor(
    private readonly db: Database,
    private readonly plans: PlanRegistry,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.views = new ObligationViewCache(config.viewCacheObligations);
  }

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
    const scoped = this.listScope(filter, caller);
    const now = this.clock.now();
    const result = await this.db.read((sql) =>
      ObligationRepository.list(
        sql,
        { ...scoped, now: now.getTime() },
        pageRequest(position, pageSize),
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

  /**
   * `list` as the JSON text of the page (byte for byte `JSON.stringify` of what `list` returns),
   * joined from the views' remembered texts (ObligationViewCache): the page's rows are read as
   * arrays, and only the rows whose view is not remembered are decoded in full (their snapshots
   * parsed), built and serialised. With it a weak ETag of the page, from the rows' identities.
   */
  async listJson(
    filter: Omit<ObligationFilter, 'now'>,
    position: number | { after: SortKey },
    pageSize: number,
    caller: Caller,
  ): Promise<{ json: string; etag: string }> {
    const scoped = this.listScope(filter, caller);
    const now = this.clock.now();
    const at = now.getTime();
    // Two ways to read the page, the same answer: while most views are remembered, the rows'
    // stamps only (no snapshots) and then the few missing rows in full; otherwise every row in
    // full, decoding only those whose view is missing. Chosen by the recent share of misses.
    const stampsFirst = this.missShare < STAMPS_FIRST_BELOW;
    const remembered = (o: ObligationStamp) =>
      this.views.get(o, this.plans.get(o.planId), at, caller);
    const read = await this.db.read(async (sql) => {
      const request = pageRequest(position, pageSize);
      const filterNow = { ...scoped, now: at };
      if (!stampsFirst) {
        const rows = await ObligationRepository.listRows(sql, filterNow, request);
        return { page: rows, texts: rows.items.map(remembered) };
      }
      const stamps = await ObligationRepository.listStamps(sql, filterNow, request);
      const texts = stamps.items.map(remembered);
      const missing = stamps.items.filter((_, i) => texts[i] === undefined).map((o) => o.id);
      const full = new Map(
        (await ObligationRepository.findMany(sql, missing)).map((o) => [o.id, o]),
      );
      const items = stamps.items.map((o) => {
        const found = full.get(o.id);
        // On PostgreSQL a row may have moved on between the two reads: its newer view is built
        // and keyed by its own version.
        return found ? { ...found, record: () => found } : { ...o, record: () => lost(o.id) };
      });
      return { page: { ...stamps, items }, texts };
    });
    const { page, texts } = read;
    let misses = 0;
    const items = page.items.map((row, i) => {
      const text = texts[i];
      if (text !== undefined) return text;
      misses += 1;
      const plan = this.plans.get(row.planId);
      const fresh = JSON.stringify(toView(row.record(), plan, now, caller));
      this.views.set(row, plan, at, caller, fresh);
      return fresh;
    });
    if (page.items.length > 0)
      this.missShare = 0.9 * this.missShare + (0.1 * misses) / page.items.length;
    // What the ETag covers, besides the caller, the loaded plans and the page's tail: each row's
    // identity and whether it is overdue now (all that a view depends on).
    const marks = page.items.map(
      (o) => `${o.id}|${o.version}|${o.machineVersion}|${isOverdue(o, at) ? 1 : 0}`,
    );
    const tail =
      `"total":${JSON.stringify(page.total)},` +
      `"page":${typeof position === 'number' ? position : null},"pageSize":${pageSize},` +
      `"nextCursor":${JSON.stringify(page.next ? encodeCursor(page.next) : null)}}`;
    return {
      json: `{"items":[${items.join(',')}],${tail}`,
      etag: `W/"${hash(
        'sha1',
        `${this.bootId}|${this.plans.generation}|${caller.role}|${caller.agencyCode ?? ''}\n${marks.join('\n')}\n${tail}`,
        'base64url',
      )}"`,
    };
  }

  /** The filter a caller's list runs with: the plan must exist; an officer sees their agency only. */
  private listScope(
    filter: Omit<ObligationFilter, 'now'>,
    caller: Caller,
  ): Omit<ObligationFilter, 'now'> {
    if (filter.planId !== undefined) this.plans.get(filter.planId);
    if (caller.role !== 'officer') return filter;
    const denial = filter.agencyCode !== undefined ? readDenial(caller, filter.agencyCode) : null;
    if (denial) throw new DomainError(ErrorCode.FORBIDDEN, `Forbidden: ${denial}`);
    return { ...filter, agencyCode: caller.agencyCode ?? '' };
  }

  async history(id: string, caller: Caller): Promise<HistoryEntry[]> {
    const events = await this.db.read(async (sql) => {
      await this.readable(sql, id, caller);
      return ObligationRepository.history(sql, id);
    });
    return events.map(toHistoryEntry);
  }
}
