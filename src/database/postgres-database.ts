/**
 * PostgreSQL access: each unit of work is its own transaction on a pooled connection. A
 * connection that fails or breaks (server unreachable, backend terminated) rejects the unit with
 * DATABASE_UNAVAILABLE; the pool drops that connection and opens new ones on demand, so the
 * service recovers by itself once PostgreSQL answers again.
 */
import type { DataSource, QueryRunner } from 'typeorm';
import { DomainError } from '../core/errors.js';
import { asDatabaseFault, connectionLost, databaseFault } from './database-fault.js';
import { Database, sqlOn, type Sql } from './database.js';

export class PostgresDatabase extends Database {
  readonly dialect = 'postgres' as const;

  constructor(private readonly dataSource: DataSource) {
    super();
  }

  async write<T>(work: (tx: Sql) => Promise<T>): Promise<T> {
    try {
      return await this.transaction(work);
    } catch (error) {
      throw asDatabaseFault(error);
    }
  }

  async read<T>(work: (sql: Sql) => Promise<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    try {
      return await work(sqlOn(runner, 'postgres'));
    } catch (error) {
      if (lostConnection(runner, error)) throw connectionLost(error);
      throw asDatabaseFault(error);
    } finally {
      await runner.release();
    }
  }

  private async transaction<T>(work: (tx: Sql) => Promise<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      try {
        const value = await work(sqlOn(runner, 'postgres'));
        await runner.commitTransaction();
        return value;
      } catch (error) {
        if (lostConnection(runner, error)) throw connectionLost(error);
        await runner.rollbackTransaction().catch(() => undefined);
        throw error;
      }
    } finally {
      await runner.release();
    }
  }

  /** Callers waiting for a pooled connection now (metrics). */
  get poolWaiting(): number {
    const pool = (this.dataSource.driver as unknown as { master?: { waitingCount?: number } })
      .master;
    return pool?.waitingCount ?? 0;
  }

  async close(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}

/**
 * Whether `error` only says that the runner's connection broke: TypeORM releases a runner when
 * its connection emits `error` (e.g. between two queries), and the next query then fails with
 * "Query runner already released".
 */
function lostConnection(runner: QueryRunner, error: unknown): boolean {
  return runner.isReleased && !(error instanceof DomainError) && databaseFault(error) === null;
}
