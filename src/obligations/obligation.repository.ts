/** SQL for obligations, their events and idempotency keys. Every value is a bound parameter. */
import type { PersistedSnapshot } from '../core/machine/obligation-engine.js';
import type { Stage } from '../core/machine/obligation-events.js';
import type { ObligationKind } from '../core/plan/plan.types.js';
import { eventHash } from '../core/audit/event-hash.js';
import { LedgerRepository } from '../audit/ledger.repository.js';
import { intValue, jsonValue, type Sql } from '../database/database.js';
import type { CommandRow } from './committed-rows.js';
import { seekCondition, SORT_COLUMNS, type SortKey } from './obligation-cursor.js';
import { isoInstant } from '../core/instant.js';

export interface ObligationRecord {
  id: string;
  planId: string;
  year: number;
  /** The agency that owes the obligation now (changed by TRANSFER). */
  agencyCode: string;
  /** The agency the obligation was opened for; never changes (unique per plan and year). */
  originAgencyCode: string;
  kind: ObligationKind;
  stage: Stage;
  snapshot: PersistedSnapshot;
  version: number;
  machineVersion: string;
  dueAt: number;
  createdAt: number;
  updatedAt: number;
}

export interface EventRecord {
  obligationId: string;
  seq: number;
  type: string;
  payload: Record<string, unknown>;
  actor: string;
  reason: string | null;
  effectiveAt: number;
  recordedAt: number;
  stageAfter: Stage;
  machineVersion: string;
  /** The previous event's hash (GENESIS_HASH for the first) and this event's. */
  prevHash: string;
  hash: string;
}

/** An event to append: its hashes are computed by appendEvent. */
export type NewEvent = Omit<EventRecord, 'prevHash' | 'hash'>;

const OBLIGATION_COLUMNS =
  'id, plan_id, year, agency_code, origin_agency_code, kind, stage, snapshot, version, machine_version, due_at, created_at, updated_at';

/** The same columns, of the obligations table aliased `o` (for joins). */
const PREFIXED_COLUMNS = OBLIGATION_COLUMNS.split(', ')
  .map((c) => `o.${c}`)
  .join(', ');

/**
 * What a list page needs of each obligation to find its view in ObligationViewCache (whatever
 * changes the view changes `version`).
 */
export type ObligationStamp = Pick<
  ObligationRecord,
  | 'id'
  | 'planId'
  | 'year'
  | 'agencyCode'
  | 'originAgencyCode'
  | 'stage'
  | 'version'
  | 'machineVersion'
  | 'dueAt'
>;

/**
 * A list row read as an array: its stamp decoded, the rest (the snapshot above all) decoded only
 * by `record()`, for the views not cached.
 */
export interface ListedRow extends ObligationStamp {
  record(): ObligationRecord;
}

/** The stamp's columns alone: no snapshot to read (see `listStamps`). */
const STAMP_COLUMNS =
  'id, plan_id, year, agency_code, origin_agency_code, stage, version, machine_version, due_at';

/** Where each stamp field is in a row read as an array: of STAMP_COLUMNS, of OBLIGATION_COLUMNS. */
const STAMP_AT = [0, 1, 2, 3, 4, 5, 6, 7, 8] as const;
const FULL_AT = [0, 1, 2, 3, 4, 6, 8, 9, 10] as const;

function stampOf(r: unknown[], at: readonly number[]): ObligationStamp {
  return {
    id: String(r[at[0]!]),
    planId: String(r[at[1]!]),
    year: intValue(r[at[2]!]),
    agencyCode: String(r[at[3]!]),
    originAgencyCode: String(r[at[4]!]),
    stage: r[at[5]!] as Stage,
    version: intValue(r[at[6]!]),
    machineVersion: String(r[at[7]!]),
    dueAt: intValue(r[at[8]!]),
  };
}

const toStamp = (r: unknown[]): ObligationStamp => stampOf(r, STAMP_AT);

function toListedRow(r: unknown[]): ListedRow {
  return { ...stampOf(r, FULL_AT), record: () => obligationOfArray(r) };
}

function toObligation(row: Record<string, unknown>): ObligationRecord {
  return {
    id: String(row.id),
    planId: String(row.plan_id),
    year: intValue(row.year),
    agencyCode: String(row.agency_code),
    originAgencyCode: String(row.origin_agency_code),
    kind: row.kind as ObligationKind,
    stage: row.stage as Stage,
    snapshot: jsonValue<PersistedSnapshot>(row.snapshot),
    version: intValue(row.version),
    machineVersion: String(row.machine_version),
    dueAt: intValue(row.due_at),
    createdAt: intValue(row.created_at),
    updatedAt: intValue(row.updated_at),
  };
}

/** An obligation_events row (instants as epoch ms). */
export function toEvent(row: Record<string, unknown>): EventRecord {
  return {
    obligationId: String(row.obligation_id),
    seq: intValue(row.seq),
    type: String(row.type),
    payload: jsonValue<Record<string, unknown>>(row.payload),
    actor: String(row.actor),
    reason: row.reason == null ? null : String(row.reason),
    effectiveAt: intValue(row.effective_at),
    recordedAt: intValue(row.recorded_at),
    stageAfter: row.stage_after as Stage,
    machineVersion: String(row.machine_version),
    prevHash: String(row.prev_hash),
    hash: String(row.hash),
  };
}

export interface ObligationFilter {
  planId?: string;
  year?: number;
  agencyCode?: string;
  stage?: string;
  /** Only obligations whose report is late (true) or not late (false) at `now`. */
  overdue?: boolean;
  now: number;
}

/** Stages in which the report counts as submitted (hoàn thành). */
const DONE_STAGES = ['report_submitted', 'report_verified', 'aggregated', 'reported_to_ubnd'];

function where(filter: ObligationFilter): { clause: string; params: unknown[] } {
  const parts: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, ...values: unknown[]): void => {
    parts.push(sql);
    params.push(...values);
  };
  if (filter.planId !== undefined) add('plan_id = ?', filter.planId);
  if (filter.year !== undefined) add('year = ?', filter.year);
  if (filter.agencyCode !== undefined) add('agency_code = ?', filter.agencyCode);
  if (filter.stage !== undefined) add('stage = ?', filter.stage);
  if (filter.overdue !== undefined) {
    const late = `(stage NOT IN ('withdrawn', ${DONE_STAGES.map(() => '?').join(', ')}) AND due_at <= ?)`;
    add(filter.overdue ? late : `NOT ${late}`, ...DONE_STAGES, filter.now);
  }
  return { clause: parts.length ? `WHERE ${parts.join(' AND ')}` : '', params };
}

/** Which rows of a list: `limit` rows after `after` (keyset) or from `offset`. */
export interface PageRequest {
  limit: number;
  offset?: number;
  after?: SortKey;
  /** Whether to count every row of the filter (default: only without `after`). */
  count?: boolean;
}

/** A page of rows of some shape, with the sort key to continue after (see `list`). */
export interface RowPage<T> {
  items: T[];
  total: number | null;
  next: SortKey | null;
}

/**
 * The statements of `list`, `listRows` and `listStamps`: the count (when asked for) and the page of rows,
 * `columns` of each read as an array and turned into a `T` by `toItem`.
 */
async function listPage<T extends Parameters<typeof sortKeyOf>[0]>(
  sql: Sql,
  filter: ObligationFilter,
  page: PageRequest,
  columns: string,
  toItem: (row: unknown[]) => T,
): Promise<RowPage<T>> {
  const { clause, params } = where(filter);
  let total: number | null = null;
  if (page.count ?? page.after === undefined) {
    const totalRows = await sql.query<{ n: unknown }>(
      `SELECT COUNT(*) AS n FROM obligations ${clause}`,
      params,
    );
    total = intValue(totalRows[0]?.n ?? 0);
  }
  let seek = '';
  const seekParams: unknown[] = [];
  if (page.after !== undefined) {
    const c = seekCondition(page.after, {
      plan_id: filter.planId,
      year: filter.year,
      agency_code: filter.agencyCode,
    });
    seek = `${clause ? `${clause} AND` : 'WHERE'} ${c.sql}`;
    seekParams.push(...c.params);
  }
  const offset = page.after === undefined ? (page.offset ?? 0) : 0;
  const rows = await sql.queryArrays(
    `SELECT ${columns} FROM obligations ${seek || clause}
     ORDER BY ${SORT_COLUMNS.join(', ')} LIMIT ? OFFSET ?`,
    [...params, ...seekParams, page.limit + 1, offset],
  );
  const items = rows.slice(0, page.limit).map(toItem);
  const last = items[items.length - 1];
  return {
    items,
    total,
    next: rows.length > page.limit && last ? sortKeyOf(last) : null,
  };
}

/** An obligations row read as an array of OBLIGATION_COLUMNS. */
function obligationOfArray(r: unknown[]): ObligationRecord {
  return {
    id: String(r[0]),
    planId: String(r[1]),
    year: intValue(r[2]),
    agencyCode: String(r[3]),
    originAgencyCode: String(r[4]),
    kind: r[5] as ObligationKind,
    stage: r[6] as Stage,
    snapshot: jsonValue<PersistedSnapshot>(r[7]),
    version: intValue(r[8]),
    machineVersion: String(r[9]),
    dueAt: intValue(r[10]),
    createdAt: intValue(r[11]),
    updatedAt: intValue(r[12]),
  };
}

export function sortKeyOf(
  o: Pick<ObligationRecord, 'planId' | 'year' | 'agencyCode' | 'originAgencyCode'>,
): SortKey {
  return [o.planId, o.year, o.agencyCode, o.originAgencyCode];
}

/** The columns `update` sets only when they changed, in the order of their parameters. */
const OPTIONAL_SETS = [
  ['stage', 'stage'],
  ['due_at', 'dueAt'],
  ['agency_code', 'agencyCode'],
] as const;

/**
 * The compare-and-set UPDATE for each subset of OPTIONAL_SETS (bit i: its column i is set), built
 * once: the same text each time, so the statement cache finds it without building it again.
 */
const UPDATE_TEXTS = Array.from({ length: 1 << OPTIONAL_SETS.length }, (_, mask) => {
  const sets = ['snapshot = ?', 'version = ?', 'updated_at = ?'];
  OPTIONAL_SETS.forEach(([column], i) => {
    if (mask & (1 << i)) sets.push(`${column} = ?`);
  });
  return `UPDATE obligations SET ${sets.join(', ')} WHERE id = ? AND version = ?`;
});

export const ObligationRepository = {
  async insert(sql: Sql, o: ObligationRecord): Promise<boolean> {
    const changed = await sql.execute(
      `INSERT INTO obligations (${OBLIGATION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (plan_id, year, origin_agency_code) DO NOTHING`,
      [
        o.id,
        o.planId,
        o.year,
        o.agencyCode,
        o.originAgencyCode,
        o.kind,
        o.stage,
        JSON.stringify(o.snapshot),
        o.version,
        o.machineVersion,
        o.dueAt,
        o.createdAt,
        o.updatedAt,
      ],
    );
    return changed === 1;
  },

  /** Loads one obligation; inside a PostgreSQL write it also locks the row until commit. */
  async find(sql: Sql, id: string, lock = false): Promise<ObligationRecord | null> {
    const forUpdate = lock && sql.dialect === 'postgres' ? ' FOR UPDATE' : '';
    const rows = await sql.query(
      `SELECT ${OBLIGATION_COLUMNS} FROM obligations WHERE id = ?${forUpdate}`,
      [id],
    );
    return rows[0] ? toObligation(rows[0]) : null;
  },

  /**
   * What a command needs: the obligation (locked on PostgreSQL) and its newest event's effective
   * time and hash (the event whose seq is the obligation's version), read in one statement, as
   * arrays (no row object to build on the command path).
   * On PostgreSQL the row is locked by a statement of its own first: a `SELECT … FOR UPDATE` that
   * waited for another writer re-reads the locked row but not the rows joined to it, so one
   * statement would pair the new version with the event before it (a broken hash chain).
   */
  async findForCommand(sql: Sql, id: string): Promise<CommandRow | null> {
    if (sql.dialect === 'postgres') {
      await sql.query('SELECT id FROM obligations WHERE id = ? FOR UPDATE', [id]);
    }
    const rows = await sql.queryArrays(
      `SELECT ${PREFIXED_COLUMNS}, le.effective_at, le.hash
       FROM obligations o
       LEFT JOIN obligation_events le ON le.obligation_id = o.id AND le.seq = o.version
       WHERE o.id = ?`,
      [id],
    );
    const r = rows[0];
    if (!r) return null;
    return {
      obligation: obligationOfArray(r),
      last: r[14] == null ? null : { effectiveAt: intValue(r[13]), hash: String(r[14]) },
    };
  },

  /**
   * Compare-and-set update: changes the row only if its version is still `expectedVersion`.
   * The agency changes only by TRANSFER. Given the row as it was (`before`), only the columns
   * that changed are set: SQLite rewrites the entries of every index on a column that is set,
   * even to the same value.
   */
  async update(
    sql: Sql,
    o: ObligationRecord,
    expectedVersion: number,
    before?: Pick<ObligationRecord, 'stage' | 'dueAt' | 'agencyCode'>,
  ): Promise<boolean> {
    const params: unknown[] = [JSON.stringify(o.snapshot), o.version, o.updatedAt];
    let changing = 0;
    for (let i = 0; i < OPTIONAL_SETS.length; i++) {
      const field = OPTIONAL_SETS[i]![1];
      if (before?.[field] === o[field]) continue;
      changing |= 1 << i;
      params.push(o[field]);
    }
    params.push(o.id, expectedVersion);
    return (await sql.execute(UPDATE_TEXTS[changing]!, params)) === 1;
  },

  /**
   * A page of obligations in sort-key order: after `page.after` (keyset: a seek through the
   * index, whatever the position) or from `page.offset` (cost grows with the offset). `next` is
   * the last row's sort key when more rows follow, else null. `total` counts every row of the
   * filter (`count`, default: only without `after`, since the count reads all of them); null when
   * not counted.
   */
  list(sql: Sql, filter: ObligationFilter, page: PageRequest): Promise<RowPage<ObligationRecord>> {
    return listPage(sql, filter, page, OBLIGATION_COLUMNS, obligationOfArray);
  },

  /** `list`, each row decoded only as far as its stamp until `record()` is asked for. */
  listRows(sql: Sql, filter: ObligationFilter, page: PageRequest): Promise<RowPage<ListedRow>> {
    return listPage(sql, filter, page, OBLIGATION_COLUMNS, toListedRow);
  },

  /** `list`, reading only each row's stamp (cheaper when most views are cached). */
  listStamps(
    sql: Sql,
    filter: ObligationFilter,
    page: PageRequest,
  ): Promise<RowPage<ObligationStamp>> {
    return listPage(sql, filter, page, STAMP_COLUMNS, toStamp);
  },

  /** The obligations with these ids (in no particular order; unknown ids are left out). */
  async findMany(sql: Sql, ids: readonly string[]): Promise<ObligationRecord[]> {
    if (ids.length === 0) return [];
    const rows = await sql.queryArrays(
      `SELECT ${OBLIGATION_COLUMNS} FROM obligations WHERE id IN (${ids.map(() => '?').join(', ')})`,
      [...ids],
    );
    return rows.map(obligationOfArray);
  },

  /**
   * Appends an event to its obligation's hash chain (after `prevHash`) and to the global ledger,
   * in the caller's transaction. Returns the event's hash (the next event's `prevHash`).
   */
  async appendEvent(sql: Sql, e: NewEvent, prevHash: string): Promise<string> {
    const effectiveAt = isoInstant(e.effectiveAt);
    const hash = eventHash({
      obligationId: e.obligationId,
      seq: e.seq,
      type: e.type,
      payload: e.payload,
      actor: e.actor,
      reason: e.reason,
      effectiveAt,
      recordedAt: e.recordedAt === e.effectiveAt ? effectiveAt : isoInstant(e.recordedAt),
      machineVersion: e.machineVersion,
      prevHash,
    });
    const eventId = await sql.insertReturningId(
      `INSERT INTO obligation_events
       (obligation_id, seq, type, payload, actor, reason, effective_at, recorded_at, stage_after, machine_version, prev_hash, hash)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        e.obligationId,
        e.seq,
        e.type,
        JSON.stringify(e.payload),
        e.actor,
        e.reason,
        e.effectiveAt,
        e.recordedAt,
        e.stageAfter,
        e.machineVersion,
        prevHash,
        hash,
      ],
    );
    await LedgerRepository.append(sql, {
      eventId,
      obligationId: e.obligationId,
      seq: e.seq,
      eventHash: hash,
      recordedAt: e.recordedAt,
    });
    return hash;
  },

  async lastEvent(sql: Sql, obligationId: string): Promise<EventRecord | null> {
    const rows = await sql.query(
      `SELECT * FROM obligation_events WHERE obligation_id = ? ORDER BY seq DESC LIMIT 1`,
      [obligationId],
    );
    return rows[0] ? toEvent(rows[0]) : null;
  },

  async history(sql: Sql, obligationId: string): Promise<EventRecord[]> {
    const rows = await sql.query(
      `SELECT * FROM obligation_events WHERE obligation_id = ? ORDER BY seq`,
      [obligationId],
    );
    return rows.map(toEvent);
  },

  async countEvents(sql: Sql, obligationId: string): Promise<number> {
    const rows = await sql.query<{ n: unknown }>(
      `SELECT COUNT(*) AS n FROM obligation_events WHERE obligation_id = ?`,
      [obligationId],
    );
    return intValue(rows[0]?.n ?? 0);
  },
};

export interface IdempotencyRecord {
  requestHash: string;
  obligationId: string;
  response: unknown;
}

export const IdempotencyRepository = {
  async find(sql: Sql, actor: string, key: string): Promise<IdempotencyRecord | null> {
    const rows = await sql.query(
      `SELECT request_hash, obligation_id, response FROM idempotency_keys WHERE actor = ? AND key = ?`,
      [actor, key],
    );
    const row = rows[0];
    if (!row) return null;
    return {
      requestHash: String(row.request_hash),
      obligationId: String(row.obligation_id),
      response: jsonValue(row.response),
    };
  },

  async insert(
    sql: Sql,
    actor: string,
    key: string,
    rec: IdempotencyRecord,
    now: number,
  ): Promise<void> {
    await sql.execute(
      `INSERT INTO idempotency_keys (actor, key, request_hash, obligation_id, response, created_at)
       VALUES (?, ?, ?, ?, ?, ?)`,
      [actor, key, rec.requestHash, rec.obligationId, JSON.stringify(rec.response), now],
    );
  },
};
