/**
 * SQLite access through one queue. TypeORM's better-sqlite3 driver shares one connection, so two
 * transactions at once would corrupt each other; instead, writes waiting in the queue are
 * committed together (group commit): one transaction per batch, and a failing unit of work rolls
 * back alone. A unit's promise resolves only after its batch commits. Reads run between batches,
 * so they never see uncommitted data.
 *
 * A unit rolls back alone through a savepoint of its own, except a run of rerunnable units
 * (WriteOptions), which share one: a savepoint makes SQLite copy every page a unit changes, about
 * a tenth of a command's cost. When one of them fails after changing a row, the shared savepoint
 * is rolled back and the units before it run again, each under a savepoint of its own; when it
 * fails before changing anything (a refused command), there is nothing to undo.
 *
 * Statements run on the driver's better-sqlite3 connection directly, with prepared statements
 * cached by text: TypeORM's per-query wrapper cost more than SQLite itself (see `npm run bench`).
 * TypeORM still owns the connection, its options and the migrations.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { DataSource } from 'typeorm';
import { asDatabaseFault } from './database-fault.js';
import { Database, type Sql, type WriteOptions } from './database.js';
import { SqliteCheckpointer } from './sqlite-checkpointer.js';

interface Job {
  kind: 'read' | 'write';
  rerunnable: boolean;
  work: (sql: Sql) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** Longest a batch waits for another process's lock on the file before failing (ms). */
const LOCK_WAIT_MS = 5000;
/** SQLite's own (synchronous, event-loop blocking) busy wait per statement, kept short (ms). */
const BUSY_TIMEOUT_MS = 50;

export class SqliteDatabase extends Database {
  readonly dialect = 'sqlite' as const;
  private readonly connection: BetterSqlite3.Database;
  private readonly sql: Sql;
  /** Rows changed through `sql` (see `rawSql`): whether a failing unit changed anything. */
  private readonly changes = { rows: 0 };
  private readonly queue: Job[] = [];
  private draining = false;
  private closed = false;
  private checkpointer: SqliteCheckpointer | null = null;
  /** Figures for the benchmark: batches committed and units in them. */
  readonly stats = { batches: 0, units: 0 };
  /** Optional observer (metrics), told the size of each committed batch; must not throw. */
  onBatchCommitted: ((size: number) => void) | null = null;

  constructor(
    private readonly dataSource: DataSource,
    private readonly maxBatch = 500,
    private readonly lockWaitMs = LOCK_WAIT_MS,
  ) {
    super();
    this.connection = (
      dataSource.driver as unknown as { databaseConnection: BetterSqlite3.Database }
    ).databaseConnection;
    // better-sqlite3 waits for a lock synchronously, freezing the event loop (health probes,
    // every request): keep that wait short and wait for the write lock in `begin` instead.
    this.connection.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    this.sql = rawSql(this.connection, this.changes);
  }

  write<T>(work: (tx: Sql) => Promise<T>, options: WriteOptions = {}): Promise<T> {
    return this.enqueue('write', work, options.rerunnable ?? false);
  }

  read<T>(work: (sql: Sql) => Promise<T>): Promise<T> {
    return this.enqueue('read', work, false);
  }

  /** Units of work (reads and writes) waiting in the queue now. */
  get queueDepth(): number {
    return this.queue.length;
  }

  /**
   * Moves WAL checkpoints to a worker thread (SqliteCheckpointer); without it, SQLite checkpoints
   * inline, in the COMMIT that takes the log past 1,000 pages. Resolves once the worker is
   * connected (or given up on); until then checkpoints stay inline.
   */
  checkpointInBackground(warn: (message: string) => void): Promise<void> {
    if (this.closed || this.checkpointer) return Promise.resolve();
    this.checkpointer = SqliteCheckpointer.start(this.connection, warn);
    return this.checkpointer.ready();
  }

  /** Whether WAL checkpoints run on the worker thread now. */
  get checkpointsInBackground(): boolean {
    return this.checkpointer?.background ?? false;
  }

  async close(): Promise<void> {
    this.closed = true;
    while (this.draining || this.queue.length) await new Promise((r) => setImmediate(r));
    await this.checkpointer?.stop();
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }

  private enqueue<T>(
    kind: Job['kind'],
    work: (sql: Sql) => Promise<T>,
    rerunnable: boolean,
  ): Promise<T> {
    if (this.closed) return Promise.reject(new Error('database is closed'));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ kind, rerunnable, work, resolve: resolve as (v: unknown) => void, reject });
      if (!this.draining) {
        this.draining = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length) {
        if (this.queue[0]!.kind === 'read') {
          await this.runRead(this.queue.shift()!);
          continue;
        }
        const batch: Job[] = [];
        while (batch.length < this.maxBatch && this.queue[0]?.kind === 'write')
          batch.push(this.queue.shift()!);
        await this.commitBatch(batch);
      }
    } finally {
      this.draining = false;
    }
  }

  private async runRead(job: Job): Promise<void> {
    await job
      .work(this.sql)
      .then(job.resolve, (error: unknown) => job.reject(asDatabaseFault(error)));
  }

  /**
   * `BEGIN IMMEDIATE`, waiting without blocking the event loop while another process holds the
   * write lock (reads waiting in the queue are served meanwhile: no transaction is open here).
   * Throws SQLITE_BUSY after `lockWaitMs`.
   */
  private async begin(): Promise<void> {
    // A ROLLBACK that failed earlier may have left a transaction open: never nest into it.
    if (this.connection.inTransaction) this.connection.exec('ROLLBACK');
    const deadline = performance.now() + this.lockWaitMs;
    for (let pause = 5; ; pause = Math.min(pause * 2, 100)) {
      try {
        await this.sql.execute('BEGIN IMMEDIATE');
        return;
      } catch (error) {
        const code = (error as { code?: string }).code ?? '';
        if (!code.startsWith('SQLITE_BUSY') || performance.now() >= deadline) throw error;
      }
      await this.runWaitingReads();
      await new Promise((r) => setTimeout(r, pause));
    }
  }

  /**
   * Runs the reads waiting in the queue, ahead of the writes queued before them (those are not
   * acknowledged yet, so no reader may count on seeing them).
   */
  private async runWaitingReads(): Promise<void> {
    for (let i = 0; i < this.queue.length;) {
      if (this.queue[i]!.kind === 'read') await this.runRead(this.queue.splice(i, 1)[0]!);
      else i += 1;
    }
  }

  /**
   * One transaction for the batch; each unit rolls back alone (see the top of this file). A fault
   * of the transaction itself (BEGIN, COMMIT, or an error after which SQLite rolled the whole
   * transaction back: disk full, I/O error, lock) fails every other unit of the batch with that
   * fault, none of them applied, and leaves the queue usable.
   */
  private async commitBatch(batch: Job[]): Promise<void> {
    try {
      await this.begin();
    } catch (error) {
      const fault = asDatabaseFault(error);
      for (const job of batch) job.reject(fault);
      return;
    }
    // Within the batch this process is the only writer: what a unit learns may be memoised.
    const memo = new Map<string, unknown>();
    const run: BatchRun = { done: new Map(), failed: new Map(), memo, tx: { ...this.sql, memo } };
    let fatal: { error: unknown } | null = null;
    /** The rerunnable units run since the shared savepoint was taken (null: none is open). */
    let shared: Job[] | null = null;
    try {
      for (const job of batch) {
        if (!job.rerunnable) {
          if (shared) await this.sql.execute('RELEASE shared');
          shared = null;
          if (!(await this.runAlone(job, run))) {
            fatal = { error: run.failed.get(job) };
            break;
          }
          continue;
        }
        if (!shared) await this.sql.execute('SAVEPOINT shared');
        shared ??= [];
        const before = this.changes.rows;
        try {
          run.done.set(job, await job.work(run.tx));
          shared.push(job);
        } catch (error) {
          run.failed.set(job, error);
          if (!this.connection.inTransaction) {
            fatal = { error }; // SQLite rolled the whole transaction back: the batch is lost.
            break;
          }
          if (this.changes.rows === before) continue; // nothing of it to undo
          await this.sql.execute('ROLLBACK TO shared');
          await this.sql.execute('RELEASE shared');
          run.memo.clear();
          const again = shared;
          shared = null;
          for (const earlier of again) {
            run.done.delete(earlier);
            if (!(await this.runAlone(earlier, run))) {
              fatal = { error: run.failed.get(earlier) };
              break;
            }
          }
          if (fatal) break;
        }
      }
      if (!fatal) {
        if (shared) await this.sql.execute('RELEASE shared');
        await this.sql.execute('COMMIT');
      }
    } catch (error) {
      fatal = { error };
    }
    if (fatal) {
      if (this.connection.inTransaction) {
        try {
          this.connection.exec('ROLLBACK');
        } catch {
          // retried before the next batch begins
        }
      }
      const fault = asDatabaseFault(fatal.error);
      for (const job of batch) job.reject(asDatabaseFault(run.failed.get(job) ?? fault));
      return;
    }
    this.checkpointer?.committed();
    this.stats.batches += 1;
    this.stats.units += batch.length;
    this.onBatchCommitted?.(batch.length);
    for (const [job, value] of run.done) job.resolve(value);
    for (const [job, error] of run.failed) job.reject(asDatabaseFault(error));
  }

  /**
   * Runs one unit under a savepoint of its own: when it fails, its writes are undone and the
   * memo is cleared. False when SQLite rolled the whole transaction back.
   */
  private async runAlone(job: Job, run: BatchRun): Promise<boolean> {
    await this.sql.execute('SAVEPOINT unit');
    try {
      const value = await job.work(run.tx);
      await this.sql.execute('RELEASE unit');
      run.done.set(job, value);
    } catch (error) {
      run.failed.set(job, error);
      if (!this.connection.inTransaction) return false;
      await this.sql.execute('ROLLBACK TO unit');
      await this.sql.execute('RELEASE unit');
      run.memo.clear(); // what the unit memoised may be rolled back: read it again
    }
    return true;
  }
}

/** What a batch has so far: each unit's value or error, its memo and its transaction. */
interface BatchRun {
  done: Map<Job, unknown>;
  failed: Map<Job, unknown>;
  memo: Map<string, unknown>;
  tx: Sql;
}

/** better-sqlite3 cannot bind booleans (the array is copied only when it holds one). */
function bindable(params: unknown[]): unknown[] {
  for (const p of params)
    if (typeof p === 'boolean') return params.map((v) => (typeof v === 'boolean' ? +v : v));
  return params;
}

/**
 * `Sql` on a better-sqlite3 connection, with caches of prepared statements. `changes.rows`, when
 * given, counts the rows its statements change (a statement that may write but reports no count,
 * one with RETURNING, counts as one).
 */
export function rawSql(connection: BetterSqlite3.Database, changes = { rows: 0 }): Sql {
  const cache = (arrays: boolean) => {
    const statements = new Map<string, BetterSqlite3.Statement>();
    return (text: string): BetterSqlite3.Statement => {
      let stmt = statements.get(text);
      if (!stmt) {
        stmt = connection.prepare(text);
        if (arrays) stmt.raw(true);
        statements.set(text, stmt);
      }
      return stmt;
    };
  };
  const prepare = cache(false);
  const prepareArrays = cache(true);
  let marker: BetterSqlite3.Statement | undefined;
  return {
    dialect: 'sqlite',
    changeMarker(): string {
      // total_changes(): rows written through this connection (a rollback never lowers it);
      // data_version: bumped by every commit of another connection (another process, the CLI).
      marker ??= connection
        .prepare('SELECT total_changes(), data_version FROM pragma_data_version')
        .raw(true);
      const [changes, version] = marker.get() as [number, number];
      return `${changes}.${version}`;
    },
    async query<T>(text: string, params: unknown[] = []): Promise<T[]> {
      const stmt = prepare(text);
      if (stmt.reader) {
        const rows = stmt.all(...bindable(params)) as T[];
        if (!stmt.readonly) changes.rows += 1;
        return rows;
      }
      changes.rows += stmt.run(...bindable(params)).changes;
      return [];
    },
    async queryArrays(text: string, params: unknown[] = []): Promise<unknown[][]> {
      const stmt = prepareArrays(text);
      const rows = stmt.all(...bindable(params)) as unknown[][];
      if (!stmt.readonly) changes.rows += 1;
      return rows;
    },
    async eachArray(text: string, params: unknown[], onRow: (row: unknown[]) => void) {
      const stmt = prepareArrays(text);
      if (!stmt.readonly) changes.rows += 1;
      for (const row of stmt.iterate(...bindable(params))) onRow(row as unknown[]);
    },
    async execute(text: string, params: unknown[] = []): Promise<number> {
      const changed = prepare(text).run(...bindable(params)).changes;
      changes.rows += changed;
      return changed;
    },
    async insertReturningId(text: string, params: unknown[] = []): Promise<number> {
      const result = prepare(text).run(...bindable(params));
      changes.rows += result.changes;
      return Number(result.lastInsertRowid);
    },
  };
}
