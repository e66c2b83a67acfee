/**
 * The two kinds of work an audit verify is cut into, each read in one snapshot and checked by the
 * pure core: a page of obligations with their events (sequence, hash chain, ledger links, replay
 * against the stored snapshot), and a stretch of the ledger (its chain, the events it names, the
 * checkpoints that fall in it). Framework-free, so that the server's thread and the verify worker
 * threads run the very same code on their own connections.
 */
import {
  LedgerChainCheck,
  verifyObligation,
  type AuditProblem,
  type LedgerAnchor,
  type StoredEvent,
  type StoredObligation,
} from '../core/audit/verify-chain.js';
import { GENESIS_HASH } from '../core/audit/event-hash.js';
import { intValue, jsonValue, type Sql } from '../database/database.js';

/**
 * Obligations by id. `range`: the page is every obligation from the first id to the last (an
 * unfiltered verify), read with one range scan; otherwise exactly the ids listed.
 */
export interface ObligationPage {
  ids: string[];
  range: boolean;
}

/** Ledger entries at positions after `after`, up to and including `upTo`. */
export interface LedgerStretch {
  after: number;
  upTo: number;
  /** Whether the stretch ends the ledger (else anchors up to `upTo` must be reached in it). */
  last: boolean;
  anchors: LedgerAnchor[];
}

export interface JobOutcome {
  /** Obligations and events checked (pages), or ledger entries checked (stretches). */
  obligations: number;
  events: number;
  ledgerEntries: number;
  /** At most `maxProblems` problems, in the order found; `problemCount` counts them all. */
  problems: AuditProblem[];
  problemCount: number;
}

export type VerifyJob =
  | { kind: 'page'; page: ObligationPage }
  | { kind: 'ledger'; stretch: LedgerStretch; pageSize: number };

/** Read as arrays (no object per row): toStoredEvent takes the columns by position. */
const EVENT_COLUMNS = `e.obligation_id, e.seq, e.type, e.payload, e.actor, e.reason, e.effective_at,
  e.recorded_at, e.machine_version, e.prev_hash, e.hash, l.position AS ledger_position`;

type Row = Record<string, unknown>;

/** An event row (EVENT_COLUMNS, as an array) as the checks take it: ISO instants, parsed payload. */
function toStoredEvent(r: unknown[]): StoredEvent {
  return {
    obligationId: String(r[0]),
    seq: intValue(r[1]),
    type: String(r[2]),
    payload: jsonValue<Record<string, unknown>>(r[3]),
    actor: String(r[4]),
    reason: r[5] == null ? null : String(r[5]),
    effectiveAt: new Date(intValue(r[6])).toISOString(),
    recordedAt: new Date(intValue(r[7])).toISOString(),
    machineVersion: String(r[8]),
    prevHash: String(r[9]),
    hash: String(r[10]),
    ledgerPosition: r[11] == null ? null : intValue(r[11]),
  };
}

function toStoredObligation(r: Row): StoredObligation {
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
export async function inSnapshot<T>(sql: Sql, work: () => Promise<T>): Promise<T> {
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

/** Collects problems up to a limit and counts the rest. */
export class ProblemList {
  readonly items: AuditProblem[] = [];
  count = 0;

  constructor(private readonly max: number) {}

  add(problems: readonly AuditProblem[], count = problems.length): void {
    for (const p of problems) {
      if (this.items.length >= this.max) break;
      this.items.push(p);
    }
    this.count += count;
  }
}

/** Runs one job on `sql` (in a snapshot of its own). */
export function runJob(sql: Sql, job: VerifyJob, maxProblems: number): Promise<JobOutcome> {
  return inSnapshot(sql, () =>
    job.kind === 'page'
      ? verifyPage(sql, job.page, maxProblems)
      : verifyStretch(sql, job.stretch, job.pageSize, maxProblems),
  );
}

async function verifyPage(
  sql: Sql,
  page: ObligationPage,
  maxProblems: number,
): Promise<JobOutcome> {
  const problems = new ProblemList(maxProblems);
  const outcome = { obligations: 0, events: 0, ledgerEntries: 0 };
  if (!page.ids.length) return { ...outcome, problems: [], problemCount: 0 };
  const first = page.ids[0]!;
  const lastId = page.ids[page.ids.length - 1]!;
  const list = page.ids.map(() => '?').join(', ');
  const rows = await sql.query(
    `SELECT id, agency_code, stage, snapshot, version, machine_version FROM obligations
     WHERE ${page.range ? 'id >= ? AND id <= ?' : `id IN (${list})`} ORDER BY id`,
    page.range ? [first, lastId] : page.ids,
  );
  const eventRows = await sql.queryArrays(
    `SELECT ${EVENT_COLUMNS} FROM obligation_events e
     LEFT JOIN ledger l ON l.event_id = e.id
     WHERE ${page.range ? 'e.obligation_id >= ? AND e.obligation_id <= ?' : `e.obligation_id IN (${list})`}
     ORDER BY e.obligation_id, e.seq`,
    page.range ? [first, lastId] : page.ids,
  );
  // Grouped by id, not merged by order: PostgreSQL's collation may order ids unlike JavaScript.
  const byObligation = new Map<string, StoredEvent[]>();
  for (const r of eventRows) {
    const e = toStoredEvent(r);
    let list = byObligation.get(e.obligationId);
    if (!list) byObligation.set(e.obligationId, (list = []));
    list.push(e); // in seq order: the query sorts them
  }
  for (const r of rows) {
    const o = toStoredObligation(r);
    const events = byObligation.get(o.id) ?? [];
    problems.add(verifyObligation(o, events));
    outcome.obligations += 1;
    outcome.events += events.length;
  }
  return { ...outcome, problems: problems.items, problemCount: problems.count };
}

/** The ledger entries of a stretch in position order, a page at a time. */
async function verifyStretch(
  sql: Sql,
  stretch: LedgerStretch,
  pageSize: number,
  maxProblems: number,
): Promise<JobOutcome> {
  const problems = new ProblemList(maxProblems);
  // The walk continues from the last entry before the stretch, as a walk from the start would.
  const [before] = await sql.query<{ position: unknown; hash: unknown }>(
    'SELECT position, hash FROM ledger WHERE position <= ? ORDER BY position DESC LIMIT 1',
    [stretch.after],
  );
  const check = new LedgerChainCheck(
    stretch.anchors,
    before
      ? { position: intValue(before.position), hash: String(before.hash) }
      : { position: 0, hash: GENESIS_HASH },
  );
  let after = stretch.after;
  while (after < stretch.upTo) {
    const rows = await sql.queryArrays(
      `SELECT l.position, l.obligation_id, l.seq, l.event_hash, l.prev_hash, l.hash,
         e.id AS e_id, e.obligation_id AS e_obligation_id, e.seq AS e_seq, e.hash AS e_hash,
         CASE WHEN e.id IS NULL THEN (SELECT MAX(m.seq) FROM obligation_events m
           WHERE m.obligation_id = l.obligation_id) END AS last_seq
       FROM ledger l LEFT JOIN obligation_events e ON e.id = l.event_id
       WHERE l.position > ? AND l.position <= ? ORDER BY l.position LIMIT ?`,
      [after, stretch.upTo, pageSize],
    );
    if (!rows.length) break;
    for (const r of rows) {
      problems.add(
        check.push({
          position: intValue(r[0]),
          obligationId: String(r[1]),
          seq: intValue(r[2]),
          eventHash: String(r[3]),
          prevHash: String(r[4]),
          hash: String(r[5]),
          event:
            r[6] == null
              ? null
              : { obligationId: String(r[7]), seq: intValue(r[8]), hash: String(r[9]) },
          obligationLastSeq: r[10] == null ? null : intValue(r[10]),
        }),
      );
    }
    after = intValue(rows[rows.length - 1]![0]);
  }
  problems.add(stretch.last ? check.finish() : check.endStretch(stretch.upTo));
  return {
    obligations: 0,
    events: 0,
    ledgerEntries: check.entries,
    problems: problems.items,
    problemCount: problems.count,
  };
}
