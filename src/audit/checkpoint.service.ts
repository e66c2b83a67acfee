/**
 * Signed checkpoints: the ledger's head (position and hash) and the number of events, signed
 * with HMAC-SHA256 under the audit key. Stored in audit_checkpoints and exported as a small JSON
 * document that an auditor keeps outside the system: a database rolled back behind a kept
 * checkpoint, or a ledger rewritten before it, no longer matches it.
 */
import { Inject, Injectable } from '@nestjs/common';
import { CLOCK } from '../clock/clocks.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import {
  CHECKPOINT_ALGORITHM,
  signatureMatches,
  signCheckpoint,
} from '../core/audit/checkpoint-signature.js';
import { GENESIS_HASH } from '../core/audit/event-hash.js';
import type { Clock } from '../core/clock.js';
import { ValidationError, type FieldProblem } from '../core/errors.js';
import { Database, intValue, type Sql } from '../database/database.js';
import { configuredOrStoredSecret } from '../common/data-secret.js';

export { CHECKPOINT_ALGORITHM, signCheckpoint };

/** The exported checkpoint: what it states, and its signature over those four facts. */
export interface CheckpointDocument {
  position: number;
  hash: string;
  eventCount: number;
  createdAt: string;
  signature: string;
  algorithm: string;
}

/** A checkpoint stored in audit_checkpoints (its id is not signed). */
export interface StoredCheckpoint extends CheckpointDocument {
  id: number;
}

/**
 * The checkpoint signing key: DONDOC_AUDIT_KEY, or generated once into <dataDir>/audit-key
 * (mode 0600). Replicas that do not share the data folder must share DONDOC_AUDIT_KEY.
 */
export function loadAuditKey(config: Pick<AppConfig, 'auditKey' | 'dataDir'>): string {
  return configuredOrStoredSecret(config.auditKey, config.dataDir, 'audit-key');
}

/** Whether the document's signature is right for this key (constant-time compare). Pure. */
export function checkpointSignatureValid(key: string, doc: CheckpointDocument): boolean {
  return doc.algorithm === CHECKPOINT_ALGORITHM && signatureMatches(key, doc, doc.signature);
}

/** Validates a parsed checkpoint document (e.g. a file); throws VALIDATION_FAILED. Pure. */
export function parseCheckpointDocument(value: unknown): CheckpointDocument {
  const v = value as Record<string, unknown> | null;
  if (!v || typeof v !== 'object' || Array.isArray(v)) {
    throw new ValidationError('A checkpoint must be a JSON object', [
      { path: '', message: 'expected a JSON object' },
    ]);
  }
  const fields: FieldProblem[] = [];
  const check = (key: string, ok: boolean, message: string) => {
    if (!ok) fields.push({ path: key, message });
  };
  const isCount = (x: unknown) => Number.isSafeInteger(x) && (x as number) >= 0;
  check('position', isCount(v.position), 'expected a whole number');
  check(
    'hash',
    typeof v.hash === 'string' && /^[0-9a-f]{64}$/.test(v.hash),
    'expected 64 hex digits',
  );
  check('eventCount', isCount(v.eventCount), 'expected a whole number');
  check(
    'createdAt',
    typeof v.createdAt === 'string' && !Number.isNaN(Date.parse(v.createdAt)),
    'expected an ISO 8601 instant',
  );
  check('signature', typeof v.signature === 'string', 'expected a string');
  check(
    'algorithm',
    v.algorithm === CHECKPOINT_ALGORITHM,
    `expected ${JSON.stringify(CHECKPOINT_ALGORITHM)}`,
  );
  if (fields.length) {
    throw new ValidationError(
      `Not a checkpoint: ${fields.map((f) => `${f.path} ${f.message}`).join('; ')}`,
      fields,
    );
  }
  const doc = v as unknown as CheckpointDocument;
  return {
    position: doc.position,
    hash: doc.hash,
    eventCount: doc.eventCount,
    createdAt: doc.createdAt,
    signature: doc.signature,
    algorithm: doc.algorithm,
  };
}

function toStored(r: Record<string, unknown>): StoredCheckpoint {
  return {
    id: intValue(r.id),
    position: intValue(r.position),
    hash: String(r.hash),
    eventCount: intValue(r.event_count),
    createdAt: new Date(intValue(r.created_at)).toISOString(),
    signature: String(r.signature),
    algorithm: CHECKPOINT_ALGORITHM,
  };
}

const COLUMNS = 'id, position, hash, event_count, created_at, signature';

@Injectable()
export class CheckpointService {
  private key: string | null = null;

  constructor(
    private readonly db: Database,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Signs and stores a checkpoint of the ledger as it is now. */
  create(): Promise<StoredCheckpoint> {
    return this.db.write((tx) => this.insertHead(tx));
  }

  /** The hourly job: a checkpoint only when the ledger has moved since the latest one. */
  createIfLedgerMoved(): Promise<StoredCheckpoint | null> {
    return this.db.write(async (tx) => {
      const [last] = await tx.query<{ position: unknown }>(
        'SELECT MAX(position) AS position FROM audit_checkpoints',
      );
      const [head] = await tx.query<{ position: unknown }>(
        'SELECT MAX(position) AS position FROM ledger',
      );
      const lastPosition = last?.position == null ? -1 : intValue(last.position);
      const headPosition = head?.position == null ? 0 : intValue(head.position);
      return headPosition > lastPosition && headPosition > 0 ? this.insertHead(tx) : null;
    });
  }

  /** Stored checkpoints, newest first. */
  async list(limit = 100): Promise<StoredCheckpoint[]> {
    const rows = await this.db.read((sql) =>
      sql.query(`SELECT ${COLUMNS} FROM audit_checkpoints ORDER BY id DESC LIMIT ?`, [limit]),
    );
    return rows.map(toStored);
  }

  /** One stored checkpoint by id, or the latest; null when there is none. */
  async find(ref: number | 'latest'): Promise<StoredCheckpoint | null> {
    const rows = await this.db.read((sql) =>
      ref === 'latest'
        ? sql.query(`SELECT ${COLUMNS} FROM audit_checkpoints ORDER BY id DESC LIMIT 1`)
        : sql.query(`SELECT ${COLUMNS} FROM audit_checkpoints WHERE id = ?`, [ref]),
    );
    return rows[0] ? toStored(rows[0]) : null;
  }

  /** Whether the document was signed with this installation's audit key. */
  verifyCheckpointDocument(doc: CheckpointDocument): boolean {
    return checkpointSignatureValid(this.auditKey(), doc);
  }

  private auditKey(): string {
    this.key ??= loadAuditKey(this.config);
    return this.key;
  }

  private async insertHead(tx: Sql): Promise<StoredCheckpoint> {
    // One statement, so the head and the count come from one snapshot on PostgreSQL too.
    const [head] = await tx.query<{ position: unknown; hash: unknown; event_count: unknown }>(
      `SELECT (SELECT position FROM ledger ORDER BY position DESC LIMIT 1) AS position,
              (SELECT hash FROM ledger ORDER BY position DESC LIMIT 1) AS hash,
              (SELECT COUNT(*) FROM obligation_events) AS event_count`,
    );
    const createdAtMs = this.clock.now().getTime();
    const facts = {
      position: head?.position == null ? 0 : intValue(head.position),
      hash: head?.hash == null ? GENESIS_HASH : String(head.hash),
      eventCount: intValue(head?.event_count ?? 0),
      createdAt: new Date(createdAtMs).toISOString(),
    };
    const signature = signCheckpoint(this.auditKey(), facts);
    const [row] = await tx.query<{ id: unknown }>(
      `INSERT INTO audit_checkpoints (position, hash, event_count, created_at, signature)
       VALUES (?, ?, ?, ?, ?) RETURNING id`,
      [facts.position, facts.hash, facts.eventCount, createdAtMs, signature],
    );
    return {
      id: intValue(row!.id),
      ...facts,
      signature,
      algorithm: CHECKPOINT_ALGORITHM,
    };
  }
}
