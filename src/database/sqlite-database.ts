/**
 * SQLite access through one queue. TypeORM's better-sqlite3 driver shares one connection, so two
 * transactions at once would corrupt each other; instead, writes waiting in the queue are
 * committed together (group commit): one transaction per batch, one savepoint per unit of work,
 * so a failing unit rolls back alone. A unit's promise resolves only after its batch commits.
 * Reads run between batches, so they never see uncommitted data.
 *
 * Statements run on the driver's better-sqlite3 connection directly, with prepared statements
 * cached by text: TypeORM's per-query wrapper cost more than SQLite itself (see `npm run bench`).
 * TypeORM still owns the connection, its options and the migrations.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { DataSource } from 'typeorm';
import { Database, type Sql } from './database.js';

interface Job {
  kind: 'read' | 'write';
  work: (sql: Sql) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export class SqliteDatabase extends Database {
  readonly dialect = 'sqlite' as const;
  private readonly sql: Sql;
  private readonly queue: Job[] = [];
  private draining = false;
  private closed = false;
  /** Figures for the benchmark: batches committed and units in them. */
  readonly stats = { batches: 0, units: 0 };
  /** Optional observer (metrics), told the size of each committed batch; must not throw. */
  onBatchCommitted: ((size: number) => void) | null = null;

  constructor(
    private readonly dataSource: DataSource,
    private readonly maxBatch = 500,
  ) {
    super();
    const connection = (
      dataSource.driver as unknown as { databaseConnection: BetterSqlite3.Database }
    ).databaseConnection;
    this.sql = rawSql(connection);
  }

  write<T>(work: (tx: Sql) => Promise<T>): Promise<T> {
    return this.enqueue('write', work);
  }

  read<T>(work: (sql: Sql) => Promise<T>): Promise<T> {
    return this.enqueue('read', work);
  }

  /** Units of work (reads and writes) waiting in the queue now. */
  get queueDepth(): number {
    return this.queue.length;
  }

  async close(): Promise<void> {
    this.closed = true;
    while (this.draining || this.queue.length) await new Promise((r) => setImmediate(r));
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }

  private enqueue<T>(kind: Job['kind'], work: (sql: Sql) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('database is closed'));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ kind, work, resolve: resolve as (v: unknown) => void, reject });
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
          const job = this.queue.shift()!;
          await job.work(this.sql).then(job.resolve, job.reject);
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

  private async commitBatch(batch: Job[]): Promise<void> {
    const done: Array<{ job: Job; value: unknown }> = [];
    const failed: Array<{ job: Job; error: unknown }> = [];
    try {
      await this.sql.execute('BEGIN IMMEDIATE');
    } catch (error) {
      for (const job of batch) job.reject(error);
      return;
    }
    // Within the batch this process is the only writer: what a unit learns may be memoised.
    const memo = new Map<string, unknown>();
    const tx: Sql = { ...this.sql, memo };
    try {
      for (const job of batch) {
        await this.sql.execute('SAVEPOINT unit');
        try {
          const value = await job.work(tx);
          await this.sql.execute('RELEASE unit');
          done.push({ job, value });
        } catch (error) {
          await this.sql.execute('ROLLBACK TO unit');
          await this.sql.execute('RELEASE unit');
          memo.clear(); // what the unit memoised may be rolled back: read it again
          failed.push({ job, error });
        }
      }
      await this.sql.execute('COMMIT');
    } catch (error) {
      await this.sql.execute('ROLLBACK').catch(() => undefined);
      for (const { job } of done) job.reject(error);
      for (const { job, error: e } of failed) job.reject(e);
      return;
    }
    this.stats.batches += 1;
    this.stats.units += batch.length;
    this.onBatchCommitted?.(batch.length);
    for (const { job, value } of done) job.resolve(value);
    for (const { job, error } of failed) job.reject(error);
  }
}

/** better-sqlite3 cannot bind booleans. */
function bindable(params: unknown[]): unknown[] {
  return params.map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : p));
}

/** `Sql` on a better-sqlite3 connection, with caches of prepared statements. */
export function rawSql(connection: BetterSqlite3.Database): Sql {
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
  return {
    dialect: 'sqlite',
    async query<T>(text: string, params: unknown[] = []): Promise<T[]> {
      const stmt = prepare(text);
      return (
        stmt.reader ? stmt.all(...bindable(params)) : (stmt.run(...bindable(params)), [])
      ) as T[];
    },
    async queryArrays(text: string, params: unknown[] = []): Promise<unknown[][]> {
      return prepareArrays(text).all(...bindable(params)) as unknown[][];
    },
    async execute(text: string, params: unknown[] = []): Promise<number> {
      return prepare(text).run(...bindable(params)).changes;
    },
  };
}
