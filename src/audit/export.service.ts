/**
 * The audit export of one cycle: every event with its chain fields and its ledger link, ordered
 * by obligation and seq, as JSON lines or CSV. Produced page by page from keyset queries into a
 * lazily pulled stream, so memory does not grow with the export. The export is a consistent cut:
 * only events at or before the ledger head read when it starts.
 */
import { Readable } from 'node:stream';
import { Injectable } from '@nestjs/common';
import { DomainError, ErrorCode } from '../core/errors.js';
import { Database, intValue, type Sql } from '../database/database.js';
import { toEvent } from '../obligations/obligation.repository.js';
import { toHistoryEntry } from '../obligations/obligation-query.service.js';
import { LedgerRepository } from './ledger.repository.js';
import { PlanRegistry } from '../plans/plan-registry.service.js';
import { EXPORT_FIELDS, type ExportRow } from './offline-replay.js';

export const EXPORT_FORMATS = ['jsonl', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Events per query. */
const PAGE_SIZE = 1000;

export interface ExportStream {
  filename: string;
  contentType: string;
  /** The last ledger position the export may contain. */
  ledgerHead: number;
  body: Readable;
}

/** An event row joined with its obligation and ledger link, as exported. */
function toRow(r: Record<string, unknown>): ExportRow {
  const e = toHistoryEntry(toEvent(r));
  return {
    obligationId: String(r.obligation_id),
    planId: String(r.plan_id),
    year: intValue(r.year),
    agencyCode: String(r.agency_code),
    seq: e.seq,
    type: e.type,
    payload: e.payload,
    actor: e.actor,
    reason: e.reason,
    effectiveAt: e.effectiveAt,
    recordedAt: e.recordedAt,
    stageAfter: e.stageAfter,
    machineVersion: e.machineVersion,
    prevHash: e.prevHash,
    hash: e.hash,
    ledgerPosition: r.ledger_position == null ? null : intValue(r.ledger_position),
    ledgerPrevHash: r.ledger_prev_hash == null ? null : String(r.ledger_prev_hash),
    ledgerHash: r.ledger_hash == null ? null : String(r.ledger_hash),
  };
}

/** One CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break. Pure. */
export function csvField(value: unknown): string {
  const text =
    value === null || value === undefined
      ? ''
      : typeof value === 'object'
        ? JSON.stringify(value)
        : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(values: unknown[]): string {
  return values.map(csvField).join(',') + '\r\n';
}

/** Events of a cycle after the keyset position, at most `limit`, in (obligation, seq) order. */
async function eventPage(
  sql: Sql,
  q: { planId: string; year: number; head: number; after: [string, number] | null; limit: number },
): Promise<ExportRow[]> {
  const params: unknown[] = [q.planId, q.year, q.head];
  let keyset = '';
  if (q.after) {
    keyset = 'AND (e.obligation_id > ? OR (e.obligation_id = ? AND e.seq > ?))';
    params.push(q.after[0], q.after[0], q.after[1]);
  }
  const rows = await sql.query(
    `SELECT e.obligation_id, o.plan_id, o.year, o.agency_code, e.seq, e.type, e.payload, e.actor,
            e.reason, e.effective_at, e.recorded_at, e.stage_after, e.machine_version,
            e.prev_hash, e.hash,
            l.position AS ledger_position, l.prev_hash AS ledger_prev_hash, l.hash AS ledger_hash
     FROM obligation_events e
     JOIN obligations o ON o.id = e.obligation_id
     LEFT JOIN ledger l ON l.event_id = e.id
     WHERE o.plan_id = ? AND o.year = ? AND (l.position IS NULL OR l.position <= ?) ${keyset}
     ORDER BY e.obligation_id, e.seq
     LIMIT ?`,
    [...params, q.limit],
  );
  return rows.map(toRow);
}

@Injectable()
export class ExportService {
  constructor(
    private readonly db: Database,
    private readonly plans: PlanRegistry,
  ) {}

  /** Every event of the cycle, page by page (a lazy async sequence of pages). */
  async *pages(
    planId: string,
    year: number,
    head: number,
    pageSize = PAGE_SIZE,
  ): AsyncGenerator<ExportRow[]> {
    let after: [string, number] | null = null;
    for (;;) {
      const page = await this.db.read((sql) =>
        eventPage(sql, { planId, year, head, after, limit: pageSize }),
      );
      if (page.length) yield page;
      if (page.length < pageSize) return;
      const last = page[page.length - 1]!;
      after = [last.obligationId, last.seq];
    }
  }

  /**
   * Checks the plan and the cycle (NOT_FOUND) before anything is sent, then returns the body as
   * a stream that queries the next page only when the client has taken the previous one.
   */
  async open(planId: string, year: number, format: ExportFormat): Promise<ExportStream> {
    this.plans.get(planId);
    const head = await this.db.read(async (sql) => {
      const cycles = await sql.query(
        `SELECT 1 AS found FROM cycles WHERE plan_id = ? AND year = ?`,
        [planId, year],
      );
      if (!cycles.length) {
        throw new DomainError(
          ErrorCode.NOT_FOUND,
          `Cycle ${year} of plan "${planId}" is not open`,
          { planId, year },
        );
      }
      return (await LedgerRepository.head(sql)).position;
    });
    const pages = this.pages(planId, year, head);
    const encode =
      format === 'csv'
        ? (rows: ExportRow[]) => rows.map((r) => csvLine(EXPORT_FIELDS.map((f) => r[f]))).join('')
        : (rows: ExportRow[]) => rows.map((r) => JSON.stringify(r) + '\n').join('');
    async function* chunks(): AsyncGenerator<string> {
      // The BOM lets Excel read the CSV as UTF-8 (Vietnamese diacritics).
      if (format === 'csv') yield '\uFEFF' + csvLine([...EXPORT_FIELDS]);
      for await (const page of pages) yield encode(page);
    }
    const safePlan = planId.replace(/[^A-Za-z0-9._-]/g, '_');
    return {
      filename: `dondoc-${safePlan}-${year}.${format}`,
      contentType:
        format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
      ledgerHead: head,
      body: Readable.from(chunks(), { objectMode: false }),
    };
  }
}
