/**
 * What the crash test asserts once the run is over, as lists of problems (empty: all is well):
 * the clients' commands against the histories, and the timers against the events they fired,
 * read straight from the database after the server stopped.
 */
import BetterSqlite3 from 'better-sqlite3';
import path from 'node:path';
import pg from 'pg';
import type { TestDatabase } from '../../support/databases.js';
import type { AcknowledgedCommand } from './load-clients.js';

export interface HistoryEvent {
  seq: number;
  type: string;
  payload: Record<string, unknown>;
  actor: string;
}

const SCHEDULER = 'system:scheduler';
const TIMER_EVENTS = new Set(['REMIND', 'DEADLINE_PASSED', 'ESCALATE']);

/**
 * Every acknowledged command is in its obligation's history exactly once, in the order it was
 * acknowledged, as the event whose seq is the version its answer gave; no other client event is.
 */
export function compareHistories(
  acknowledged: AcknowledgedCommand[],
  histories: Map<string, HistoryEvent[]>,
): string[] {
  const problems: string[] = [];
  const byObligation = new Map<string, AcknowledgedCommand[]>();
  for (const c of acknowledged) {
    byObligation.set(c.obligationId, [...(byObligation.get(c.obligationId) ?? []), c]);
  }
  for (const [id, events] of histories) {
    const commands = byObligation.get(id) ?? [];
    const recorded = events.filter((e) => e.actor !== SCHEDULER && e.type !== 'OBLIGATION_OPENED');
    if (recorded.length !== commands.length) {
      problems.push(
        `${id}: ${commands.length} command(s) acknowledged, ${recorded.length} in the history`,
      );
    }
    commands.forEach((c, i) => {
      const e = recorded[i];
      const same =
        e !== undefined &&
        e.type === c.type &&
        e.actor === c.as.username &&
        e.seq === c.answer.version &&
        Object.entries(c.payload).every(([k, v]) => e.payload[k] === v);
      if (!same) {
        problems.push(
          `${id}: command ${c.key} (${c.type}, answered version ${c.answer.version}) is not ` +
            `event #${i + 1} of its history (${e ? `${e.type} seq ${e.seq} by ${e.actor}` : 'missing'})`,
        );
      }
    });
    events.forEach((e, i) => {
      if (e.seq !== i + 1) problems.push(`${id}: event ${i + 1} has seq ${e.seq}`);
    });
  }
  return problems;
}

export interface DatabaseFacts {
  /** Timers neither fired nor cancelled whose time has come. */
  pendingDue: Array<{ obligationId: string; kind: string; level: number; dueAt: number }>;
  fired: Array<{
    obligationId: string;
    kind: string;
    level: number;
    dueAt: number;
    firedAt: number;
  }>;
  /** Unfired timers cancelled although their obligation is still chased (never to fire). */
  cancelledWhileChased: number;
  /** The events the scheduler recorded: obligation, type, level. */
  timerEvents: Array<{ obligationId: string; type: string; level: number }>;
  /** Obligations whose version is not their number of events, or whose last seq is not it. */
  versionMismatches: string[];
  idempotencyKeys: number;
  events: number;
}

async function query(
  db: TestDatabase,
  sql: string,
  params: unknown[] = [],
): Promise<Array<Record<string, unknown>>> {
  if (db.dialect === 'sqlite') {
    const conn = new BetterSqlite3(path.join(db.dataDir, 'dondoc.sqlite'), { readonly: true });
    try {
      return conn.prepare(sql).all(...params) as Array<Record<string, unknown>>;
    } finally {
      conn.close();
    }
  }
  const client = new pg.Client({ connectionString: db.databaseUrl! });
  await client.connect();
  try {
    let n = 0;
    return (
      await client.query(
        sql.replace(/\?/g, () => `$${++n}`),
        params,
      )
    ).rows;
  } finally {
    await client.end();
  }
}

const num = (v: unknown) => Number(v);
const json = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v) as Record<string, unknown>;

/** Reads the facts the timer and consistency checks need; call it with the server stopped. */
export async function readDatabaseFacts(db: TestDatabase, now: number): Promise<DatabaseFacts> {
  const pending = await query(
    db,
    `SELECT obligation_id, kind, level, due_at FROM timers
     WHERE fired_at IS NULL AND cancelled_at IS NULL AND due_at <= ?`,
    [now],
  );
  const fired = await query(
    db,
    'SELECT obligation_id, kind, level, due_at, fired_at FROM timers WHERE fired_at IS NOT NULL',
  );
  const cancelled = await query(
    db,
    `SELECT COUNT(*) AS n FROM timers t JOIN obligations o ON o.id = t.obligation_id
     WHERE t.fired_at IS NULL AND t.cancelled_at IS NOT NULL
       AND o.stage IN ('plan_drafted', 'implementing')`,
  );
  const timerEvents = await query(
    db,
    `SELECT obligation_id, type, payload FROM obligation_events WHERE actor = ?`,
    [SCHEDULER],
  );
  const versions = await query(
    db,
    `SELECT o.id, o.version, COUNT(e.id) AS events, MAX(e.seq) AS last
     FROM obligations o LEFT JOIN obligation_events e ON e.obligation_id = o.id
     GROUP BY o.id, o.version`,
  );
  const keys = await query(db, 'SELECT COUNT(*) AS n FROM idempotency_keys');
  return {
    pendingDue: pending.map((r) => ({
      obligationId: String(r.obligation_id),
      kind: String(r.kind),
      level: num(r.level),
      dueAt: num(r.due_at),
    })),
    fired: fired.map((r) => ({
      obligationId: String(r.obligation_id),
      kind: String(r.kind),
      level: num(r.level),
      dueAt: num(r.due_at),
      firedAt: num(r.fired_at),
    })),
    cancelledWhileChased: num(cancelled[0]!.n),
    timerEvents: timerEvents.map((r) => ({
      obligationId: String(r.obligation_id),
      type: String(r.type),
      level: num(json(r.payload).level),
    })),
    versionMismatches: versions
      .filter((r) => num(r.version) !== num(r.events) || num(r.version) !== num(r.last))
      .map(
        (r) =>
          `${String(r.id)}: version ${num(r.version)}, ${num(r.events)} events, last seq ${num(r.last)}`,
      ),
    idempotencyKeys: num(keys[0]!.n),
    events: versions.reduce((n, r) => n + num(r.events), 0),
  };
}

/**
 * Every timer whose time came fired exactly once: none is left pending, each fired timer has
 * exactly one scheduler event of its kind and level (and the scheduler recorded nothing else),
 * none fired before it was due, and none stays cancelled while its obligation is still chased.
 */
export function checkTimers(facts: DatabaseFacts): string[] {
  const problems: string[] = [];
  for (const t of facts.pendingDue) {
    problems.push(
      `timer ${t.obligationId} ${t.kind}${t.level} was due at ${new Date(t.dueAt).toISOString()} and never fired`,
    );
  }
  const events = new Map<string, number>();
  for (const e of facts.timerEvents) {
    if (!TIMER_EVENTS.has(e.type))
      problems.push(`scheduler recorded ${e.type} on ${e.obligationId}`);
    const k = `${e.obligationId} ${e.type}${e.level}`;
    events.set(k, (events.get(k) ?? 0) + 1);
  }
  for (const t of facts.fired) {
    const k = `${t.obligationId} ${t.kind}${t.level}`;
    const n = events.get(k) ?? 0;
    if (n !== 1) problems.push(`timer ${k} fired, with ${n} event(s) in the history`);
    events.delete(k);
    if (t.firedAt < t.dueAt) {
      problems.push(
        `timer ${k} fired at ${new Date(t.firedAt).toISOString()}, before it was due (${new Date(t.dueAt).toISOString()})`,
      );
    }
  }
  for (const [k, n] of events) problems.push(`${n} scheduler event(s) ${k} without a fired timer`);
  if (facts.cancelledWhileChased > 0) {
    problems.push(
      `${facts.cancelledWhileChased} unfired timer(s) cancelled on obligations still chased`,
    );
  }
  return problems;
}
