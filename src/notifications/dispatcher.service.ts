/**
 * Delivers the outbox's e-mail and webhook rows. Each pass:
 * 1. puts rows left in `sending` past their lease (a crash mid-send) back to `pending`;
 * 2. claims due `pending` rows with a compare-and-set on (status, attempts), so two dispatchers
 *    (two processes, or two overlapping passes) never send one row twice;
 * 3. sends each claimed row, then marks it `delivered`, back to `pending` with an exponential
 *    backoff (30 s × 2^(attempts−1), at most 1 h), or `failed` after `notifyMaxAttempts`.
 * While a row is `sending`, `next_attempt_at` holds the end of its lease. Time comes from the
 * injected clock.
 */
import { createHmac } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import nodemailer, { type Transporter } from 'nodemailer';
import { CLOCK } from '../clock/clocks.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import type { Clock } from '../core/clock.js';
import { Database } from '../database/database.js';
import { APP_VERSION } from '../version.js';
import { toOutboxRow, type OutboxRow } from './outbox.js';
import { renderNotification } from './templates.js';
import { configuredOrStoredSecret } from '../common/data-secret.js';

/** First retry delay; doubles with each attempt. */
export const BACKOFF_BASE_MS = 30_000;
/** Longest retry delay. */
export const BACKOFF_MAX_MS = 60 * 60_000;
/** A row `sending` for longer than this was abandoned by a crashed dispatcher. */
export const SENDING_LEASE_MS = 10 * 60_000;
/** A webhook must answer 2xx within this time. */
export const WEBHOOK_TIMEOUT_MS = 10_000;
/** Rows claimed per transaction, and sent at once. */
const CLAIM_BATCH = 50;
const PARALLEL = 10;

/** Delay before the next attempt, after `attempts` failed attempts (≥ 1). */
export function backoffMs(attempts: number): number {
  return Math.min(BACKOFF_BASE_MS * 2 ** Math.max(0, attempts - 1), BACKOFF_MAX_MS);
}

/** The webhook signing key: from configuration, or generated once into the data folder (0600). */
export function loadWebhookSecret(config: Pick<AppConfig, 'webhookSecret' | 'dataDir'>): string {
  return configuredOrStoredSecret(config.webhookSecret, config.dataDir, 'webhook-secret');
}

/** `sha256=<hex>`: the HMAC-SHA256 of the exact request body. */
export function webhookSignature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

export interface DispatchResult {
  sent: number;
  failed: number;
  retried: number;
}

/** A short, single-line description of why a delivery failed. */
function describeError(error: unknown): string {
  const e = error as Error & { cause?: { code?: string; message?: string }; code?: string };
  if (e?.name === 'TimeoutError') return `timed out after ${WEBHOOK_TIMEOUT_MS / 1000} s`;
  let text = e?.message ?? String(error);
  const cause = e?.cause?.code ?? e?.cause?.message;
  if (cause && !text.includes(cause)) text += ` (${cause})`;
  return text.replace(/\s+/g, ' ').trim().slice(0, 1000);
}

@Injectable()
export class DispatcherService implements OnApplicationShutdown {
  private readonly logger = new Logger(DispatcherService.name);
  private transport: Transporter | null = null;
  private secret: string | null = null;
  private warnedNoSmtp = false;

  constructor(
    private readonly db: Database,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Sends every due e-mail and webhook row once; counts what became of the claimed rows. */
  async dispatchDue(now?: Date): Promise<DispatchResult> {
    const timeNow = (): number => (now ?? this.clock.now()).getTime();
    const at = timeNow();
    const result: DispatchResult = { sent: 0, failed: 0, retried: 0 };
    await this.recoverAbandoned(at);
    const channels = this.config.smtpUrl ? ['email', 'webhook'] : ['webhook'];
    if (!this.config.smtpUrl) await this.warnNoSmtp(at);
    for (;;) {
      const claimed = await this.claim(at, channels);
      for (let i = 0; i < claimed.length; i += PARALLEL) {
        await Promise.all(
          claimed.slice(i, i + PARALLEL).map((row) => this.deliver(row, timeNow, result)),
        );
      }
      if (claimed.length < CLAIM_BATCH) break;
    }
    return result;
  }

  /** The key webhook signatures are made with (configured, or generated into the data folder). */
  webhookSecret(): string {
    this.secret ??= loadWebhookSecret(this.config);
    return this.secret;
  }

  onApplicationShutdown(): void {
    this.transport?.close();
    this.transport = null;
  }

  /** Rows whose sender crashed: retry them, or fail them if they used their last attempt. */
  private async recoverAbandoned(at: number): Promise<void> {
    const changed = await this.db.write((tx) =>
      tx.execute(
        `UPDATE notification_outbox
         SET status = CASE WHEN attempts >= ? THEN 'failed' ELSE 'pending' END,
             next_attempt_at = ?, last_error = ?
         WHERE status = 'sending' AND next_attempt_at <= ?`,
        [this.config.notifyMaxAttempts, at, 'interrupted while sending', at],
      ),
    );
    if (changed) this.logger.warn(`${changed} notification(s) abandoned while sending: retried`);
  }

  private async warnNoSmtp(at: number): Promise<void> {
    if (this.warnedNoSmtp) return;
    const [row] = await this.db.read((sql) =>
      sql.query<{ n: unknown }>(
        `SELECT COUNT(*) AS n FROM notification_outbox
         WHERE channel = 'email' AND status = 'pending' AND next_attempt_at <= ?`,
        [at],
      ),
    );
    if (Number(row?.n ?? 0) > 0) {
      this.warnedNoSmtp = true;
      this.logger.warn('DONDOC_SMTP_URL is not set: e-mail notifications stay pending');
    }
  }

  /** Claims up to a batch of due rows: pending → sending, one attempt more, leased. */
  private claim(at: number, channels: string[]): Promise<OutboxRow[]> {
    return this.db.write(async (tx) => {
      const rows = await tx.query(
        `SELECT * FROM notification_outbox
         WHERE status = 'pending' AND next_attempt_at <= ? AND channel IN (${channels.map(() => '?').join(', ')})
         ORDER BY next_attempt_at, id LIMIT ?`,
        [at, ...channels, CLAIM_BATCH],
      );
      const claimed: OutboxRow[] = [];
      for (const raw of rows) {
        const row = toOutboxRow(raw);
        const changed = await tx.execute(
          `UPDATE notification_outbox SET status = 'sending', attempts = attempts + 1,
             next_attempt_at = ?
           WHERE id = ? AND status = 'pending' AND attempts = ?`,
          [at + SENDING_LEASE_MS, row.id, row.attempts],
        );
        if (changed === 1) claimed.push({ ...row, status: 'sending', attempts: row.attempts + 1 });
      }
      return claimed;
    });
  }

  private async deliver(
    row: OutboxRow,
    timeNow: () => number,
    result: DispatchResult,
  ): Promise<void> {
    let error: string | null = null;
    try {
      if (row.channel === 'email') await this.sendEmail(row);
      else if (row.channel === 'webhook') await this.sendWebhook(row);
      else throw new Error(`channel ${row.channel} is not dispatched`);
    } catch (e) {
      error = describeError(e);
    }
    const t = timeNow();
    // Only the claim that sent it may settle the row (same attempts, still sending).
    const guard = `WHERE id = ? AND status = 'sending' AND attempts = ?`;
    let outcome: keyof DispatchResult;
    let changed: number;
    if (error === null) {
      outcome = 'sent';
      changed = await this.db.write((tx) =>
        tx.execute(
          `UPDATE notification_outbox SET status = 'delivered', delivered_at = ?, last_error = NULL ${guard}`,
          [t, row.id, row.attempts],
        ),
      );
    } else if (row.attempts >= this.config.notifyMaxAttempts) {
      outcome = 'failed';
      changed = await this.db.write((tx) =>
        tx.execute(`UPDATE notification_outbox SET status = 'failed', last_error = ? ${guard}`, [
          error,
          row.id,
          row.attempts,
        ]),
      );
      this.logger.warn(
        `Notification ${row.id} (${row.channel} to ${row.recipient}) failed after ${row.attempts} attempt(s): ${error}`,
      );
    } else {
      outcome = 'retried';
      changed = await this.db.write((tx) =>
        tx.execute(
          `UPDATE notification_outbox SET status = 'pending', next_attempt_at = ?, last_error = ? ${guard}`,
          [t + backoffMs(row.attempts), error, row.id, row.attempts],
        ),
      );
    }
    if (changed === 1) result[outcome] += 1;
    else this.logger.warn(`Notification ${row.id} was taken over by another dispatcher`);
  }

  private mailer(): Transporter {
    this.transport ??= nodemailer.createTransport({
      url: this.config.smtpUrl!,
      connectionTimeout: 15_000,
      greetingTimeout: 15_000,
      socketTimeout: 60_000,
    });
    return this.transport;
  }

  private async sendEmail(row: OutboxRow): Promise<void> {
    const { subject, text } = renderNotification(row.message);
    await this.mailer().sendMail({
      from: this.config.mailFrom,
      to: row.recipient,
      subject,
      text,
      headers: { 'X-Dondoc-Delivery': String(row.id) },
    });
  }

  private async sendWebhook(row: OutboxRow): Promise<void> {
    const m = row.message;
    const { subject, text } = renderNotification(m);
    const body = JSON.stringify({
      id: row.id,
      kind: m.kind,
      level: m.level,
      planId: m.planId,
      year: m.year,
      obligationId: m.obligationId,
      agencyCode: m.agencyCode,
      agencyName: m.agencyName,
      dueAt: m.dueAt,
      firedAt: m.firedAt,
      subject,
      text,
    });
    const signal = AbortSignal.timeout(WEBHOOK_TIMEOUT_MS);
    const res = await fetch(row.recipient, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': `dondoc/${APP_VERSION}`,
        'x-dondoc-signature': webhookSignature(this.webhookSecret(), body),
        'x-dondoc-delivery': String(row.id),
      },
      body,
      redirect: 'manual',
      signal,
    });
    if (res.status >= 200 && res.status < 300) {
      await res.body?.cancel().catch(() => undefined);
      return;
    }
    const answer = await res.text().catch(() => '');
    throw new Error(
      `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}` +
        (answer ? `: ${answer.slice(0, 200)}` : ''),
    );
  }
}
