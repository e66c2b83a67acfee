/**
 * Verifies the audit trail in the database: every obligation's hash chain, sequence and replay
 * against its stored snapshot, the whole ledger, and optionally signed checkpoints.
 *
 * The work is cut into jobs (verify-jobs.ts): pages of 1,000 obligations with their events, and
 * stretches of the ledger, each read in one snapshot, so memory stays flat in the number of events
 * and writers are never blocked for longer than one job. A large verify runs its jobs on worker
 * threads (DONDOC_VERIFY_WORKERS, each with its own read connection) while this thread only
 * lists the pages; a small one runs them here. Either way the report is the same, its problems in
 * the same order: obligations, then events without an obligation, then the ledger.
 */
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { LedgerAnchor } from '../core/audit/verify-chain.js';
import type { AuditProblem } from '../core/audit/verify-chain.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { Database, intValue } from '../database/database.js';
import { sqliteFile } from '../database/data-source.js';
import { CheckpointService, type CheckpointDocument } from './checkpoint.service.js';
import { ProblemList, runJob, type JobOutcome, type VerifyJob } from './verify-jobs.js';
import { VerifyPool } from './verify-pool.js';

export interface VerifyFilter {
  planId?: string;
  year?: number;
}

export interface VerifyOptions {
  /** Checkpoints (exported documents or stored ones) the ledger must still match. */
  checkpoint?: CheckpointDocument | readonly CheckpointDocument[];
  /** At most this many problems are listed (all are counted). Default 1,000. */
  maxProblems?: number;
  /** Obligations per page (default 1,000) and ledger entries per read (default 5,000). */
  obligationPage?: number;
  ledgerPage?: number;
  /** Ledger positions per job (default 50,000). */
  ledgerStretch?: number;
  /** Worker threads (default: the configuration's); 0 runs every job in this thread. */
  workers?: number;
  /** Fewer obligations than this (default 10,000) are verified in this thread. */
  workerThreshold?: number;
}

export interface VerifyReport {
  ok: boolean;
  /** Obligations and events verified (those of the filter, if any). */
  obligations: number;
  events: number;
  /** Ledger entries verified: always the whole ledger. */
  ledgerEntries: number;
  checkpoints: number;
  /** Worker threads that ran the checks (0: the server's own thread). */
  workers: number;
  problems: AuditProblem[];
  /** Every problem found; more than `problems.length` when the list was cut. */
  problemCount: number;
  truncated: boolean;
}

/** Runs jobs: on worker threads, or one at a time in this thread. */
interface JobRunner {
  run(job: VerifyJob): Promise<JobOutcome>;
  /** Jobs to keep going at once. */
  window: number;
  workers: number;
  close(): Promise<void>;
}

/** A warm pool is kept this long after a verify (a fresh thread's code starts unoptimised). */
const POOL_IDLE_MS = 60_000;

@Injectable()
export class VerifyService implements OnApplicationShutdown {
  private readonly logger = new Logger(VerifyService.name);
  /** The kept pool, its size, and verifies running on it. */
  private kept: { pool: Promise<VerifyPool>; size: number; users: number } | null = null;
  private idle: NodeJS.Timeout | null = null;

  constructor(
    private readonly db: Database,
    private readonly checkpoints: CheckpointService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async verify(filter: VerifyFilter = {}, options: VerifyOptions = {}): Promise<VerifyReport> {
    const maxProblems = options.maxProblems ?? 1000;
    const obligationProblems = new ProblemList(maxProblems);
    const ledgerProblems = new ProblemList(maxProblems);
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
        ledgerProblems.add([
          {
            obligationId: null,
            seq: null,
            kind: 'LEDGER_MISMATCH',
            detail: `${label}: its signature does not verify with this installation's audit key`,
          },
        ]);
      }
    }
    const { head, obligationCount } = await this.db.read(async (sql) => {
      const [row] = await sql.query<{ position: unknown }>(
        'SELECT MAX(position) AS position FROM ledger',
      );
      const { clause, params } = filterClause(filter);
      const [count] = await sql.query<{ n: unknown }>(
        `SELECT COUNT(*) AS n FROM obligations ${clause}`,
        params,
      );
      return {
        head: row?.position == null ? 0 : intValue(row.position),
        obligationCount: intValue(count?.n ?? 0),
      };
    });
    const runner = await this.runner(obligationCount, maxProblems, options);
    const totals = { obligations: 0, events: 0, ledgerEntries: 0 };
    try {
      // Results are taken in the order the jobs were made, so problems keep their order.
      const inFlight: Array<{ kind: VerifyJob['kind']; outcome: Promise<JobOutcome> }> = [];
      const take = async () => {
        const { kind, outcome } = inFlight.shift()!;
        const o = await outcome;
        totals.obligations += o.obligations;
        totals.events += o.events;
        totals.ledgerEntries += o.ledgerEntries;
        (kind === 'page' ? obligationProblems : ledgerProblems).add(o.problems, o.problemCount);
      };
      const jobs = [
        this.pages(filter, options.obligationPage ?? 1000),
        stretches(head, anchors, options),
      ];
      for (const source of jobs) {
        for await (const job of source) {
          const outcome = runner.run(job);
          outcome.catch(() => undefined); // awaited in order below; never unhandled meanwhile
          inFlight.push({ kind: job.kind, outcome });
          if (inFlight.length >= runner.window) await take();
        }
      }
      while (inFlight.length) await take();
    } finally {
      await runner.close();
    }
    if (filter.planId === undefined && filter.year === undefined) {
      await this.findOrphanEvents(totals.events, obligationProblems);
    }
    const problems = new ProblemList(maxProblems);
    problems.add(obligationProblems.items, obligationProblems.count);
    problems.add(ledgerProblems.items, ledgerProblems.count);
    return {
      ok: problems.count === 0,
      obligations: totals.obligations,
      events: totals.events,
      ledgerEntries: totals.ledgerEntries,
      checkpoints: documents.length,
      workers: runner.workers,
      problems: problems.items,
      problemCount: problems.count,
      truncated: problems.count > problems.items.length,
    };
  }

  /** Worker threads for a large verify; this thread for a small one or when none are set. */
  private async runner(
    obligations: number,
    maxProblems: number,
    options: VerifyOptions,
  ): Promise<JobRunner> {
    const workers = options.workers ?? this.config.verifyWorkers;
    const local: JobRunner = {
      run: (job) => this.db.read((sql) => runJob(sql, job, maxProblems)),
      window: 1,
      workers: 0,
      close: async () => undefined,
    };
    if (workers <= 0 || obligations < (options.workerThreshold ?? 10_000)) return local;
    try {
      const pool = await this.acquire(workers);
      return {
        run: (job) => pool.run(job, maxProblems),
        window: 2 * pool.size,
        workers: pool.size,
        close: async () => this.release(),
      };
    } catch (error) {
      this.logger.warn(`Verifying in one thread: ${(error as Error).message}`);
      return local;
    }
  }

  /** The kept pool of `size` workers, opened when there is none (or one of another size). */
  private async acquire(size: number): Promise<VerifyPool> {
    if (this.idle) clearTimeout(this.idle);
    this.idle = null;
    if (this.kept && this.kept.size !== size && this.kept.users === 0) {
      void this.kept.pool.then((p) => p.close()).catch(() => undefined);
      this.kept = null;
    }
    if (!this.kept) {
      const pool = VerifyPool.open(size, {
        sqliteFile: this.config.databaseUrl ? null : sqliteFile(this.config),
        databaseUrl: this.config.databaseUrl,
      });
      this.kept = { pool, size, users: 0 };
      pool.catch(() => {
        if (this.kept?.pool === pool) this.kept = null;
      });
    }
    this.kept.users += 1;
    try {
      return await this.kept.pool;
    } catch (error) {
      this.release();
      throw error;
    }
  }

  private release(): void {
    if (!this.kept) return;
    this.kept.users -= 1;
    if (this.kept.users > 0) return;
    this.idle = setTimeout(() => void this.closePool(), POOL_IDLE_MS);
    this.idle.unref();
  }

  private async closePool(): Promise<void> {
    if (this.idle) clearTimeout(this.idle);
    this.idle = null;
    const kept = this.kept;
    this.kept = null;
    if (kept) await (await kept.pool.catch(() => null))?.close();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.closePool();
  }

  /**
   * Pages of obligation ids, following an index so each is one range read: the primary key
   * without a filter (a page is then every obligation of its id range), else the unique
   * (plan_id, year, origin_agency_code) index after the filter's fixed columns.
   */
  private async *pages(filter: VerifyFilter, pageSize: number): AsyncGenerator<VerifyJob> {
    const { fixed, params } = filterClause(filter);
    const filtered = fixed.length > 0;
    const free = [filter.planId === undefined && 'plan_id', filter.year === undefined && 'year'];
    const keys = filtered
      ? [...free.filter((k): k is string => k !== false), 'origin_agency_code']
      : ['id'];
    const keyset =
      keys.length === 1
        ? `${keys[0]} > ?`
        : `(${keys.join(', ')}) > (${keys.map(() => '?').join(', ')})`;
    const columns = [...new Set(['id', ...keys])].join(', ');
    let after: unknown[] | null = null;
    for (;;) {
      const conditions: string[] = after ? [...fixed, keyset] : fixed;
      const rows = await this.db.read((sql) =>
        sql.query(
          `SELECT ${columns} FROM obligations
           ${conditions.length ? `WHERE ${conditions.join(' AND ')}` : ''}
           ORDER BY ${keys.join(', ')} LIMIT ?`,
          [...params, ...(after ?? []), pageSize],
        ),
      );
      if (!rows.length) return;
      yield { kind: 'page', page: { ids: rows.map((r) => String(r.id)), range: !filtered } };
      const last = rows[rows.length - 1]!;
      after = keys.map((k) => last[k]);
      if (rows.length < pageSize) return;
    }
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
}

function filterClause(filter: VerifyFilter): {
  fixed: string[];
  clause: string;
  params: unknown[];
} {
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
  return { fixed, clause: fixed.length ? `WHERE ${fixed.join(' AND ')}` : '', params };
}

/**
 * The ledger up to `head` (its last position when the verify began) in stretches; always at
 * least one, so that checkpoints past the end are reported even for an empty ledger.
 */
function* stretches(
  head: number,
  anchors: readonly LedgerAnchor[],
  options: VerifyOptions,
): Generator<VerifyJob> {
  const size = Math.max(1, options.ledgerStretch ?? 50_000);
  const pageSize = options.ledgerPage ?? 5000;
  let after = 0;
  do {
    const upTo = Math.min(head, after + size);
    const last = upTo >= head;
    yield {
      kind: 'ledger',
      pageSize,
      stretch: {
        after,
        upTo,
        last,
        // The first stretch also holds position-0 anchors; the last, those past the end.
        anchors: anchors.filter(
          (a) =>
            (a.position > after || (after === 0 && a.position === 0)) &&
            (last || a.position <= upTo),
        ),
      },
    };
    after = upTo;
  } while (after < head);
}
