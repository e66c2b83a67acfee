/** Builds the TypeORM DataSource for SQLite (embedded default) or PostgreSQL (DATABASE_URL). */
import fs from 'node:fs';
import path from 'node:path';
import { Logger } from '@nestjs/common';
import { DataSource, type DataSourceOptions } from 'typeorm';
import type { AppConfig } from '../config/app-config.js';
import { MIGRATIONS } from './migrations/index.js';

export type Dialect = 'sqlite' | 'postgres';

/** The SQLite database file of a configuration (when it has no DATABASE_URL). */
export function sqliteFile(config: Pick<AppConfig, 'dataDir'>): string {
  return path.join(config.dataDir, 'dondoc.sqlite');
}

/**
 * How long opening a PostgreSQL connection (or waiting for a free one in the pool) may take
 * before the command fails with DATABASE_UNAVAILABLE, instead of hanging while the server is
 * unreachable.
 */
export const PG_CONNECT_TIMEOUT_MS = 5000;

/**
 * An idle pooled client whose connection breaks (the server restarted, a proxy cut it,
 * `pg_terminate_backend`) emits `error` on the pool; without a listener Node would exit. The
 * pool has already dropped that client and opens a new one when next needed.
 */
function onIdleClientError(error: Error): void {
  Logger.warn(
    `PostgreSQL dropped an idle pooled connection (${error.message}); a new one is opened when needed`,
    'Database',
  );
}

export function dataSourceOptions(
  config: Pick<AppConfig, 'dataDir' | 'databaseUrl'> &
    Partial<Pick<AppConfig, 'sqliteSynchronous'>>,
): DataSourceOptions {
  const synchronous = config.sqliteSynchronous === 'full' ? 'FULL' : 'NORMAL';
  if (config.databaseUrl) {
    return {
      type: 'postgres',
      url: config.databaseUrl,
      migrations: MIGRATIONS,
      migrationsRun: false,
      connectTimeoutMS: PG_CONNECT_TIMEOUT_MS,
      poolErrorHandler: onIdleClientError,
      // TCP keepalive: a connection to a vanished server is noticed, not kept forever.
      extra: { max: 10, keepAlive: true },
    };
  }
  fs.mkdirSync(config.dataDir, { recursive: true });
  return {
    type: 'better-sqlite3',
    database: sqliteFile(config),
    enableWAL: true,
    timeout: 5000,
    prepareDatabase: (db: { pragma(sql: string): unknown }) => {
      db.pragma(`synchronous = ${synchronous}`);
      db.pragma('foreign_keys = ON');
      // Temporary files in memory, above all the statement journal of the group commit's
      // savepoints: on disk it spills past 64 KiB and costs a write call per page (`npm run
      // bench`). Durability is unchanged: the database and its WAL are written as before.
      db.pragma('temp_store = MEMORY');
    },
    migrations: MIGRATIONS,
    migrationsRun: false,
  };
}

/** Session advisory lock key that serialises migrations between replicas ("dmig" in ASCII). */
const MIGRATION_LOCK = 0x646d6967;

/**
 * Opens the database and brings its schema up to date (migrations run at start). On PostgreSQL
 * several replicas may start at once: the first to take the advisory lock migrates, the others
 * wait for it and then find nothing left to run (without the lock, two would both create the
 * migrations table and one would fail). The lock is held on one dedicated connection.
 */
export async function openDataSource(
  config: Parameters<typeof dataSourceOptions>[0],
): Promise<DataSource> {
  const ds = new DataSource(dataSourceOptions(config));
  await ds.initialize();
  const lock = dialectOf(ds) === 'postgres' ? ds.createQueryRunner() : null;
  try {
    await lock?.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await ds.runMigrations({ transaction: 'all' });
  } catch (e) {
    await lock?.release().catch(() => undefined);
    await ds.destroy();
    throw e;
  }
  await lock?.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
  await lock?.release();
  return ds;
}

export function dialectOf(ds: DataSource): Dialect {
  return ds.options.type === 'postgres' ? 'postgres' : 'sqlite';
}
