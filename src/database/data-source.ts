/** Builds the TypeORM DataSource for SQLite (embedded default) or PostgreSQL (DATABASE_URL). */
import fs from 'node:fs';
import path from 'node:path';
import { DataSource, type DataSourceOptions } from 'typeorm';
import type { AppConfig } from '../config/app-config.js';
import { MIGRATIONS } from './migrations/index.js';

export type Dialect = 'sqlite' | 'postgres';

/** The SQLite database file of a configuration (when it has no DATABASE_URL). */
export function sqliteFile(config: Pick<AppConfig, 'dataDir'>): string {
  return path.join(config.dataDir, 'dondoc.sqlite');
}

export function dataSourceOptions(
  config: Pick<AppConfig, 'dataDir' | 'databaseUrl'>,
): DataSourceOptions {
  if (config.databaseUrl) {
    return {
      type: 'postgres',
      url: config.databaseUrl,
      migrations: MIGRATIONS,
      migrationsRun: false,
      extra: { max: 10 },
    };
  }
  fs.mkdirSync(config.dataDir, { recursive: true });
  return {
    type: 'better-sqlite3',
    database: sqliteFile(config),
    enableWAL: true,
    timeout: 5000,
    prepareDatabase: (db: { pragma(sql: string): unknown }) => {
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
    },
    migrations: MIGRATIONS,
    migrationsRun: false,
  };
}

/** Opens the database and brings its schema up to date (migrations run at start). */
export async function openDataSource(
  config: Pick<AppConfig, 'dataDir' | 'databaseUrl'>,
): Promise<DataSource> {
  const ds = new DataSource(dataSourceOptions(config));
  await ds.initialize();
  try {
    await ds.runMigrations({ transaction: 'all' });
  } catch (e) {
    await ds.destroy();
    throw e;
  }
  return ds;
}

export function dialectOf(ds: DataSource): Dialect {
  return ds.options.type === 'postgres' ? 'postgres' : 'sqlite';
}
