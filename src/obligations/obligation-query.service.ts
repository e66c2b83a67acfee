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
  type RowPage,
} from './obligation.repository.js';
import { ListPageCache } from './list-page-cache.js';
import { ObligationViewCache } from './obligation-view-cache.js';
import { encodeCursor, type SortKey } from './obligation-cursor.js';
import {
  isOverdue,
  overdueSteady,
  toView,
  type Caller,
  type ObligationView,
} from './obligation-view.js';

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

/** The page cache's bytes per obligation of DONDOC_VIEW_CACHE (a view is about 800 bytes). */
const PAGE_BYTES_PER_OBLIGATION = 800;

/** What a list request was answered with, and while it holds (see unchangedAnswer). */
interface ListAnswer {
  /** The connection's change marker (Sql.changeMarker) taken before the rows were read. */
  marker: string;
  etag: string;
  /** The span of time in which none of the page's rows changes its overdue flag. */
  from: number;
  until: number;
}

/** List requests whose answer is remembered (their keys are about 150 bytes). */
const ANSWERS_LIMIT = 2_000;

/** Below this recent share of misses a list reads the rows' stamps first (see listJson). */
const STAMPS_FIRST_BELOW = 0.2;

/** A row listed a moment ago and gone now: obligations are never deleted, so this is a bug. */
function lost(id: string): never {
  throw new Error(`obligation ${id} vanished while listing`);
}

/** The end of a list page's JSON text, after its items. */
function pageTail(
  page: RowPage<ObligationStamp>,
  pageNumber: number | null,
  pageSize: number,
): string {
  return (
    `"total":${JSON.stringify(page.total)},"page":${pageNumber},"pageSize":${pageSize},` +
    `"nextCursor":${JSON.stringify(page.next ? encodeCursor(page.next) : null)}}`
  );
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
  /** Remembered list pages, by ETag (per process). */
  private readonly pages: ListPageCache;
  /** The last answer to each recent list request, on SQLite (see unchangedAnswer). */
  private readonly answers = new Map<string, ListAnswer>();
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
    this.pages = new ListPageCache(config.viewCacheObligations * PAGE_BYTES_PER_OBLIGATION);
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
   * `list` as the bytes of its JSON text (byte for byte `JSON.stringify` of what `list` returns),
   * with a weak ETag of the page computed from the rows' identities. The page is a remembered one
   * when its ETag was seen before (ListPageCache); otherwise it is joined from the views'
   * remembered texts (ObligationViewCache), and only the rows whose view is not remembered are
   * decoded in full (their snapshots parsed), built and serialised.
   */
  async listJson(
    filter: Omit<ObligationFilter, 'now'>,
    position: number | { after: SortKey },
    pageSize: number,
    caller: Caller,
  ): Promise<{ body: Buffer; etag: string }> {
    const scoped = this.listScope(filter, caller);
    const now = this.clock.now();
    const at = now.getTime();
    const pageNumber = typeof position === 'number' ? position : null;
    const tailOf = (page: RowPage<ObligationStamp>) => pageTail(page, pageNumber, pageSize);
    const etagOf = (page: RowPage<ObligationStamp>) =>
      this.pageEtag(page, tailOf(page), at, caller);
    // Two ways to read the page, the same answer: while most views are remembered, the rows'
    // stamps only (no snapshots), then the page if it is remembered, else the few missing rows in
    // full; otherwise every row in full, decoding only those whose view is missing. Chosen by the
    // recent share of misses.
    const stampsFirst = this.missShare < STAMPS_FIRST_BELOW;
    const remembered = (o: ObligationStamp) =>
      this.views.get(o, this.plans.get(o.planId), at, caller);
    const read = await this.db.read(async (sql) => {
      // On SQLite, a page answered before is answered again without reading its rows while
      // nothing was written to the database since and no row's overdue flag has flipped. Not with
      // the overdue filter: which rows match it changes with time alone. The marker is taken
      // before the rows are read: a write after it only makes the next request read again.
      const marker = scoped.overdue === undefined ? sql.changeMarker?.() : undefined;
      const asked =
        marker === undefined
          ? null
          : {
              marker,
              key: JSON.stringify([
                this.plans.generation,
                caller.role,
                caller.agencyCode ?? null,
                scoped.planId ?? null,
                scoped.year ?? null,
                scoped.agencyCode ?? null,
                scoped.stage ?? null,
                position,
                pageSize,
              ]),
            };
      const unchanged = asked && this.unchangedAnswer(asked, at);
      if (unchanged) return unchanged;
      const answered = (rows: RowPage<ObligationStamp>, etag: string) => {
        if (asked)
          this.rememberAnswer(asked.key, {
            marker: asked.marker,
            etag,
            ...overdueSteady(rows.items, at),
          });
      };
      const request = pageRequest(position, pageSize);
      const filterNow = { ...scoped, now: at };
      if (!stampsFirst) {
        const rows = await ObligationRepository.listRows(sql, filterNow, request);
        const etag = etagOf(rows);
        answered(rows, etag);
        const body = this.pages.get(etag);
        if (body) return { body, etag };
        return { page: rows, etag, texts: rows.items.map(remembered) };
      }
      const stamps = await ObligationRepository.listStamps(sql, filterNow, request);
      const stampsEtag = etagOf(stamps);
      const body = this.pages.get(stampsEtag);
      if (body) {
        answered(stamps, stampsEtag);
        return { body, etag: stampsEtag };
      }
      const texts = stamps.items.map(remembered);
      const missing = stamps.items.filter((_, i) => texts[i] === undefined).map((o) => o.id);
      const full = new Map(
        (await ObligationRepository.findMany(sql, missing)).map((o) => [o.id, o]),
      );
      const items = stamps.items.map((o) => {
        const found = full.get(o.id);
        // On PostgreSQL a row may have moved on between the two reads: its newer view is built
        // and keyed by its own version, and so is the page's ETag.
        return found ? { ...found, record: () => found } : { ...o, record: () => lost(o.id) };
      });
      const page = { ...stamps, items };
      const etag = full.size > 0 ? etagOf(page) : stampsEtag;
      answered(page, etag);
      return { page, etag, texts };
    });
    if ('body' in read) {
      // Nothing to build: as a page of remembered views, it counts no misses.
      this.missShare *= 0.9;
      return read;
    }
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
    const json = `{"items":[${items.join(',')}],${tailOf(page)}`;
    return { body: this.pages.encode(read.etag, json), etag: read.etag };
  }

  /**
   * The remembered page answered last to this request, if nothing was written since (the same
   * change marker) and `at` is in the span where none of its rows changes its overdue flag.
   */
  private unchangedAnswer(
    asked: { marker: string; key: string },
    at: number,
  ): { body: Buffer; etag: string } | undefined {
    const known = this.answers.get(asked.key);
    if (!known || known.marker !== asked.marker || at < known.from || at >= known.until)
      return undefined;
    const body = this.pages.get(known.etag);
    return body && { body, etag: known.etag };
  }

  private rememberAnswer(requestKey: string, answer: ListAnswer): void {
    if (this.answers.size >= ANSWERS_LIMIT && !this.answers.has(requestKey)) this.answers.clear();
    this.answers.set(requestKey, answer);
  }

  /**
   * The weak ETag of a list page. It covers all a page's text depends on: each row's identity
   * (id, version, machine version) and whether it is overdue now, the page's tail, the caller
   * (role and agency), the loaded plans and this process. So equal ETags mean equal bytes.
   */
  private pageEtag(
    page: RowPage<ObligationStamp>,
    tail: string,
    at: number,
    caller: Caller,
  ): string {
    let marks = '';
    for (const o of page.items) {
      marks += `${o.id}|${o.version}|${o.machineVersion}|${isOverdue(o, at) ? 1 : 0}\n`;
    }
    const key = `${this.bootId}|${this.plans.generation}|${caller.role}|${caller.agencyCode ?? ''}\n${marks}${tail}`;
    return `W/"${hash('sha1', key, 'base64url')}"`;
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
