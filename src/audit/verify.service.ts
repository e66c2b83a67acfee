/**
 * Verifies the audit trail in the database: every obligation's hash chain, sequence and replay
 * against its stored snapshot, the whole ledger, and optionally signed checkpoints. Reads in
 * pages (obligations by id, 1,000 at a time with their events; the ledger by position, 5,000
 * at a time), each page in one read-only transaction, so memory stays flat in the number of
 * events and writers are never blocked for longer than one page.
 */
import { Injectable } from '@nestjs/common';
import {
  LedgerChainCheck,
  verifyObligation,
  type AuditProblem,
  type LedgerAnchor,
  type StoredEvent,
  type StoredObligation,
} from '../core/audit/verify-chain.js';
import { Database, intValue, jsonValue, type Sql } from '../database/database.js';
import { toEvent } from '../obligations/obligation.repository.js';
import { toHistoryEntry } from '../obligations/obligation-query.service.js';
import { CheckpointService, type CheckpointDocument } from './checkpoint.service.js';

export interface VerifyFilter {
  planId?: string;
  year?: number;
}

export interface VerifyOptions {
  /** Checkpoints (exported documents or stored ones) the ledger must still match. */
  checkpoint?: CheckpointDocument | readonly CheckpointDocument[];
  /** At most this many problems are listed (all are counted). Default 1,000. */
  maxProblems?: number;
  /** Obligations per page (default 1,000) and ledger entries per page (default 5,000). */
  obligationPage?: number;
  ledgerPage?: number;
}

export interface VerifyReport {
  ok: boolean;
  /** Obligations and events verified (those of the filter, if any). */
  obligations: number;
  events: number;
  /** Ledger entries verified: always the whole ledger. */
  ledgerEntries: number;
  checkpoints: number;
  problems: AuditProblem[];
  /** Every problem found; more than `problems.length` when the list was cut. */
  problemCount: number;
  truncated: boolean;
}

/** Collects problems up to a limit and counts the rest. */
class ProblemList {
  readonly items: AuditProblem[] = [];
  count = 0;

  constructor(private readonly max: number) {}

  add(problems: readonly AuditProblem[]): void {
    for (const p of problems) {
      this.count += 1;
      if (this.items.length < this.max) this.items.push(p);
    }
  }
}

const EVENT_COLUMNS = `e.obligation_id, e.seq, e.type, e.payload, e.actor, e.reason, e.effective_at,
  e.recorded_at, e.stage_after, e.machine_version, e.prev_hash, e.hash, l.position AS ledger_position`;

type Row = Record<string, unknown>;

/** One page of obligations and their events, read in one snapshot. */
interface Page {
  rows: Row[];
  eventRows: Row[];
}

function toStoredEvent(r: Record<string, unknown>): StoredEvent {
  return {
    obligationId: String(r.obligation_id),
    ...toHistoryEntry(toEvent(r)),
    ledgerPosition: r.ledger_position == null ? null : intValue(r.ledger_position),
  };
}

function toStoredObligation(r: Record<string, unknown>): StoredObligation {
  return {
    id: String(r.id),
    stage: String(r.stage),
    snapshot: jsonValue<StoredObligation['snapshot']>(r.snapshot),
    version: intValue(r.version),
    machineVersion: String(r.machine_version),
    agencyCode: String(r.agency_code),
  };
}

/** Runs `work` in one read-only transaction: a consistent view even while others write. */
async function inSnapshot<T>(sql: Sql, work: () => Promise<T>): Promise<T> {
  await sql.execute(
    sql.dialect === 'postgres' ? 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY' : 'BEGIN',
  );
  try {
    const value = await work();
    await sql.execute('COMMIT');
    return value;
  } catch (error) {
    await sql.execute('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

@Injectable()
export class VerifyService {
  constructor(
    private readonly db: Database,
    private readonly checkpoints: CheckpointService,
  ) {}

  async verify(filter: VerifyFilter = {}, options: VerifyOptions = {}): Promise<VerifyReport> {
    const problems = new ProblemList(options.maxProblems ?? 1000);
    const documents = options.checkpoint
      ? Array.isArray(options.checkpoint)
        ? (options.checkpoint as readonly CheckpointDocument[])
        : [options.checkpoint as CheckpointDocument]
      : [];
    const anchors: LedgerAnchor[] = [];
    for (const doc of documents) {
      const label = `the checkpoint of ${doc.createdAt} (position ${doc.position})`;
      if (this.checkpoints.verifyCheckpointDocument(doc)) {
        anchors.push({ position: doc.position, hash: doc.hash, label });
      } else {
        problems.add([
          {
            obligationId: null,
            seq: null,
            kind: 'LEDGER_MISMATCH',
            detail: `${label}: its signature does not verify with this installation's audit key`,
          },
        ]);
      }
    }
    const head = await this.db.read(async (sql) => {
      const [row] = await sql.query<{ position: unknown }>(
        'SELECT MAX(position) AS position FROM ledger',
      );
      return row?.position == null ? 0 : intValue(row.position);
    });
    const { obligations, events } = await this.verifyObligations(
      filter,
      options.obligationPage ?? 1000,
      problems,
    );
    if (filter.planId === undefined && filter.year === undefined) {
      await this.findOrphanEvents(events, problems);
    }
    const ledgerEntries = await this.verifyLedger(
      head,
      anchors,
      options.ledgerPage ?? 5000,
      problems,
    );
    return {
      ok: problems.count === 0,
      obligations,
      events,
      ledgerEntries,
      checkpoints: documents.length,
      problems: problems.items,
      problemCount: problems.count,
      truncated: problems.count > problems.items.length,
    };
  }

  /**
   * Obligations a page at a time, each page with its events in one snapshot. Pages follow an
   * index, so each is one range read: the primary key without a filter, else the unique
   * (plan_id, year, origin_agency_code) index after the filter's fixed columns.
   */
  private async verifyObligations(
    filter: VerifyFilter,
    pageSize: number,
    problems: ProblemList,
  ): Promise<{ obligations: number; events: number }> {
    const fixed: string[] = [];
    const params: unknown[] = [];
    if (filter.planId !== undefined) {
      fixed.push('plan_id = ?');
      params.push(filter.planId);
    }
    if (filter.year !== undefined) {
      fixed.push('year = ?');
      params.push(filter.year);
    }
    const filtered = fixed.length > 0;
    const free = [filter.planId === undefined && 'plan_id', filter.year === undefined && 'year'];
    const keys = filtered
      ? [...free.filter((k): k is string => k !== false), 'origin_agency_code']
      : ['id'];
    const keyset =
      keys.length === 1
        ? `${keys[0]} > ?`
        : `(${keys.join(', ')}) > (${keys.map(() => '?').join(', ')})`;
    let after: unknown[] | null = null;
    let obligations = 0;
    let events = 0;
    for (;;) {
      const conditions: string[] = after ? [...fixed, keyset] : fixed;
      const page: Page | null = await this.db.read((sql) =>
        inSnapshot(sql, async () => {
          const rows = await sql.query(
            `SELECT id, plan_id, year, agency_code, origin_agency_code, stage, snapshot, version, machine_version
             FROM obligations ${conditions.length ? `WHERE ${conditions.join(' AND ')}` : ''}
             ORDER BY ${keys.join(', ')} LIMIT ?`,
            [...params, ...(after ?? []), pageSize],
          );
          if (!rows.length) return null;
          const ids = rows.map((r) => String(r.id));
          // Unfiltered, a page is every obligation of its id range: one range scan reads their
          // events. Filtered, other obligations lie in between: look the page's ids up.
          const eventRows = await sql.query(
            `SELECT ${EVENT_COLUMNS} FROM obligation_events e
             LEFT JOIN ledger l ON l.event_id = e.id
             WHERE ${filtered ? `e.obligation_id IN (${ids.map(() => '?').join(', ')})` : 'e.obligation_id >= ? AND e.obligation_id <= ?'}
             ORDER BY e.obligation_id, e.seq`,
            filtered ? ids : [ids[0], ids[ids.length - 1]],
          );
          return { rows, eventRows };
        }),
      );
      if (!page) break;
      const byObligation = new Map<string, StoredEvent[]>();
      for (const r of page.eventRows) {
        const e = toStoredEvent(r);
        let list = byObligation.get(e.obligationId);
        if (!list) byObligation.set(e.obligationId, (list = []));
        list.push(e);
      }
      for (const r of page.rows) {
        const o = toStoredObligation(r);
        const list = byObligation.get(o.id) ?? []; // in seq order (the query sorts them)
        problems.add(verifyObligation(o, list));
        obligations += 1;
        events += list.length;
      }
      const last = page.rows[page.rows.length - 1]!;
      after = keys.map((k) => last[k]);
      if (page.rows.length < pageSize) break;
    }
    return { obligations, events };
  }

  /** Events whose obligation row is gone (only possible with foreign keys switched off). */
  private async findOrphanEvents(seen: number, problems: ProblemList): Promise<void> {
    const orphans = await this.db.read(async (sql) => {
      const [row] = await sql.query<{ n: unknown }>('SELECT COUNT(*) AS n FROM obligation_events');
      if (intValue(row?.n ?? 0) <= seen) return [];
      return sql.query<{ obligation_id: unknown; seq: unknown }>(
        `SELECT e.obligation_id, e.seq FROM obligation_events e
         WHERE NOT EXISTS (SELECT 1 FROM obligations o WHERE o.id = e.obligation_id)
         ORDER BY e.obligation_id, e.seq LIMIT 1000`,
      );
    });
    problems.add(
      orphans.map((r) => ({
        obligationId: String(r.obligation_id),
        seq: intValue(r.seq),
        kind: 'LEDGER_MISMATCH' as const,
        detail: 'the event belongs to no stored obligation',
      })),
    );
  }

  /** The ledger up to `head` in position order, a page at a time. */
  private async verifyLedger(
    head: number,
    anchors: LedgerAnchor[],
    pageSize: number,
    problems: ProblemList,
  ): Promise<number> {
    const check = new LedgerChainCheck(anchors);
    let after = 0;
    while (after < head) {
      const rows = await this.db.read((sql) =>
        sql.query(
          `SELECT l.position, l.obligation_id, l.seq, l.event_hash, l.prev_hash, l.hash,
             e.id AS e_id, e.obligation_id AS e_obligation_id, e.seq AS e_seq, e.hash AS e_hash,
             CASE WHEN e.id IS NULL THEN (SELECT MAX(m.seq) FROM obligation_events m
               WHERE m.obligation_id = l.obligation_id) END AS last_seq
           FROM ledger l LEFT JOIN obligation_events e ON e.id = l.event_id
           WHERE l.position > ? AND l.position <= ? ORDER BY l.position LIMIT ?`,
          [after, head, pageSize],
        ),
      );
      if (!rows.length) break;
      for (const r of rows) {
        problems.add(
          check.push({
            position: intValue(r.position),
            obligationId: String(r.obligation_id),
            seq: intValue(r.seq),
            eventHash: String(r.event_hash),
            prevHash: String(r.prev_hash),
            hash: String(r.hash),
            event:
              r.e_id == null
                ? null
                : {
                    obligationId: String(r.e_obligation_id),
                    seq: intValue(r.e_seq),
                    hash: String(r.e_hash),
                  },
            obligationLastSeq: r.last_seq == null ? null : intValue(r.last_seq),
          }),
        );
      }
      after = intValue(rows[rows.length - 1]!.position);
    }
    problems.add(check.finish());
    return check.entries;
  }
}
