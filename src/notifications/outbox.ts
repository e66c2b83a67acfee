/**
 * The notification outbox: rows written in the same transaction as the escalation event that
 * causes them, so a notification exists exactly when its event does. Channels:
 * - `inbox`: the in-app inbox of one user (recipient = username); delivered on insert, since the
 *   inbox is the database itself.
 * - `email`: one address (recipient = the address); sent by the dispatcher.
 * - `webhook`: one endpoint (recipient = the URL); sent by the dispatcher.
 * The row's `message` is the NotificationMessage; subject and text are rendered from it.
 * No NestJS here: the timer sweep calls these functions inside its own transaction.
 */
import { intValue, jsonValue, type Sql } from '../database/database.js';
import { renderNotification } from './templates.js';

export type NotificationKind = 'REMIND' | 'DEADLINE_PASSED' | 'ESCALATE';

export interface NotificationMessage {
  kind: NotificationKind;
  level: number;
  planId: string;
  planTitle: string;
  year: number;
  obligationId: string;
  agencyCode: string;
  agencyName: string;
  /** The obligation's deadline (ISO instant). */
  dueAt: string;
  /** When the timer fired (ISO instant). */
  firedAt: string;
  /** The plan's recipient names (agency, aggregator, aggregator-leadership, leader). */
  recipientRoles: string[];
}

export type OutboxChannel = 'inbox' | 'email' | 'webhook';
export const OUTBOX_STATUSES = ['pending', 'sending', 'delivered', 'failed'] as const;
export type OutboxStatus = (typeof OUTBOX_STATUSES)[number];

export interface NotificationRecipient {
  username: string;
  email: string | null;
}

export interface EnqueueInput {
  message: NotificationMessage;
  timerId: number | null;
  recipients: NotificationRecipient[];
  webhookUrls: string[];
  /** Epoch milliseconds (from the injected clock). */
  now: number;
}

const INSERT = `INSERT INTO notification_outbox
  (obligation_id, timer_id, channel, recipient, message, status, attempts, next_attempt_at,
   last_error, created_at, delivered_at)
  VALUES (?, ?, ?, ?, ?, ?, 0, ?, NULL, ?, ?)`;

/**
 * Writes the outbox rows of one fired timer, inside the caller's transaction: an inbox row per
 * recipient, an e-mail row per distinct address, a webhook row per distinct URL. Returns how
 * many rows were written.
 */
export async function enqueueNotifications(tx: Sql, input: EnqueueInput): Promise<number> {
  const { message, timerId, now } = input;
  const json = JSON.stringify(message);
  const rows: Array<{ channel: OutboxChannel; recipient: string }> = [];
  const usernames = new Set<string>();
  const addresses = new Set<string>();
  for (const r of input.recipients) {
    if (!usernames.has(r.username)) {
      usernames.add(r.username);
      rows.push({ channel: 'inbox', recipient: r.username });
    }
  }
  for (const r of input.recipients) {
    const email = r.email?.trim();
    if (email && !addresses.has(email.toLowerCase())) {
      addresses.add(email.toLowerCase());
      rows.push({ channel: 'email', recipient: email });
    }
  }
  for (const url of new Set(input.webhookUrls)) rows.push({ channel: 'webhook', recipient: url });
  for (const row of rows) {
    const inbox = row.channel === 'inbox';
    await tx.execute(INSERT, [
      message.obligationId,
      timerId,
      row.channel,
      row.recipient,
      json,
      inbox ? 'delivered' : 'pending',
      now,
      now,
      inbox ? now : null,
    ]);
  }
  return rows.length;
}

/**
 * The enabled users a plan's recipient names stand for: `agency` → the officers of the agency;
 * `aggregator` and `aggregator-leadership` → role aggregator; `leader` → role leader. Unknown
 * names resolve to nobody. De-duplicated, sorted by username.
 */
export async function recipientsFor(
  sql: Sql,
  roles: string[],
  agencyCode: string,
): Promise<NotificationRecipient[]> {
  const wanted = new Set(roles);
  const clauses: string[] = [];
  const params: unknown[] = [];
  if (wanted.has('agency')) {
    clauses.push(`(role = 'officer' AND agency_code = ?)`);
    params.push(agencyCode);
  }
  if (wanted.has('aggregator') || wanted.has('aggregator-leadership')) {
    clauses.push(`role = 'aggregator'`);
  }
  if (wanted.has('leader')) clauses.push(`role = 'leader'`);
  if (!clauses.length) return [];
  const rows = await sql.query<{ username: string; email: string | null }>(
    `SELECT username, email FROM users WHERE disabled = 0 AND (${clauses.join(' OR ')})
     ORDER BY username`,
    params,
  );
  const seen = new Set<string>();
  const out: NotificationRecipient[] = [];
  for (const r of rows) {
    const username = String(r.username);
    if (seen.has(username)) continue;
    seen.add(username);
    out.push({ username, email: r.email == null || r.email === '' ? null : String(r.email) });
  }
  // JavaScript order, not the database collation, so both databases agree.
  return out.sort((a, b) => (a.username < b.username ? -1 : a.username > b.username ? 1 : 0));
}

/** One row of the outbox, as stored. */
export interface OutboxRow {
  id: number;
  obligationId: string;
  timerId: number | null;
  channel: OutboxChannel;
  recipient: string;
  message: NotificationMessage;
  status: OutboxStatus;
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  createdAt: number;
  deliveredAt: number | null;
}

export function toOutboxRow(r: Record<string, unknown>): OutboxRow {
  return {
    id: intValue(r.id),
    obligationId: String(r.obligation_id),
    timerId: r.timer_id == null ? null : intValue(r.timer_id),
    channel: r.channel as OutboxChannel,
    recipient: String(r.recipient),
    message: jsonValue<NotificationMessage>(r.message),
    status: r.status as OutboxStatus,
    attempts: intValue(r.attempts),
    nextAttemptAt: intValue(r.next_attempt_at),
    lastError: r.last_error == null ? null : String(r.last_error),
    createdAt: intValue(r.created_at),
    deliveredAt: r.delivered_at == null ? null : intValue(r.delivered_at),
  };
}

/** An item of a user's in-app inbox. */
export interface InboxItem {
  id: number;
  kind: NotificationKind;
  level: number;
  obligationId: string;
  planId: string;
  year: number;
  agencyCode: string;
  subject: string;
  text: string;
  createdAt: string;
}

/** A user's inbox, newest first. */
export async function listInbox(sql: Sql, username: string, limit = 200): Promise<InboxItem[]> {
  const rows = await sql.query(
    `SELECT * FROM notification_outbox WHERE channel = 'inbox' AND recipient = ?
     ORDER BY created_at DESC, id DESC LIMIT ?`,
    [username, limit],
  );
  return rows.map((raw) => {
    const row = toOutboxRow(raw);
    const m = row.message;
    const { subject, text } = renderNotification(m);
    return {
      id: row.id,
      kind: m.kind,
      level: m.level,
      obligationId: row.obligationId,
      planId: m.planId,
      year: m.year,
      agencyCode: m.agencyCode,
      subject,
      text,
      createdAt: new Date(row.createdAt).toISOString(),
    };
  });
}

/** An e-mail or webhook delivery, for administrators. */
export interface DeliveryItem {
  id: number;
  channel: 'email' | 'webhook';
  recipient: string;
  status: OutboxStatus;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: string | null;
  createdAt: string;
  deliveredAt: string | null;
  obligationId: string;
  timerId: number | null;
  kind: NotificationKind;
  level: number;
  planId: string;
  year: number;
  agencyCode: string;
  subject: string;
}

/** E-mail and webhook rows, newest first, optionally of one status. */
export async function listDeliveries(
  sql: Sql,
  status: OutboxStatus | undefined,
  limit = 500,
): Promise<DeliveryItem[]> {
  const rows = await sql.query(
    `SELECT * FROM notification_outbox WHERE channel IN ('email', 'webhook')
     ${status ? 'AND status = ?' : ''} ORDER BY created_at DESC, id DESC LIMIT ?`,
    status ? [status, limit] : [limit],
  );
  return rows.map((raw) => {
    const row = toOutboxRow(raw);
    const m = row.message;
    const waiting = row.status === 'pending' || row.status === 'sending';
    return {
      id: row.id,
      channel: row.channel as 'email' | 'webhook',
      recipient: row.recipient,
      status: row.status,
      attempts: row.attempts,
      lastError: row.lastError,
      nextAttemptAt: waiting ? new Date(row.nextAttemptAt).toISOString() : null,
      createdAt: new Date(row.createdAt).toISOString(),
      deliveredAt: row.deliveredAt == null ? null : new Date(row.deliveredAt).toISOString(),
      obligationId: row.obligationId,
      timerId: row.timerId,
      kind: m.kind,
      level: m.level,
      planId: m.planId,
      year: m.year,
      agencyCode: m.agencyCode,
      subject: renderNotification(m).subject,
    };
  });
}
