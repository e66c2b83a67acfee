/**
 * Runs a suite on every configured database: SQLite always, PostgreSQL when TEST_DATABASE_URL is
 * set (CI always sets it). Each suite gets a fresh database of its own.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe } from '@jest/globals';
import pg from 'pg';

export type TestDialect = 'sqlite' | 'postgres';

export interface TestDatabase {
  dialect: TestDialect;
  /** The configuration fragment that points the app at this database. */
  dataDir: string;
  databaseUrl: string | null;
  drop(): Promise<void>;
}

const pgUrl = process.env.TEST_DATABASE_URL;
let warned = false;

/** A fresh, empty database of the given kind. */
export async function freshDatabase(dialect: TestDialect): Promise<TestDatabase> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dondoc-test-'));
  if (dialect === 'sqlite') {
    return {
      dialect,
      dataDir,
      databaseUrl: null,
      drop: async () => fs.rmSync(dataDir, { recursive: true, force: true }),
    };
  }
  const name = `dondoc_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  const admin = new pg.Client({ connectionString: pgUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(pgUrl!);
  url.pathname = `/${name}`;
  return {
    dialect,
    dataDir,
    databaseUrl: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: pgUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** `describe` once per database; PostgreSQL is skipped with a visible message when unset. */
export function describeEachDatabase(title: string, fn: (dialect: TestDialect) => void): void {
  describe(`${title} [sqlite]`, () => fn('sqlite'));
  if (pgUrl) {
    describe(`${title} [postgres]`, () => fn('postgres'));
  } else {
    if (!warned) {
      warned = true;
      process.stderr.write(
        'PostgreSQL tests skipped: set TEST_DATABASE_URL=postgres://… to run them.\n',
      );
    }
    describe.skip(`${title} [postgres] (skipped: TEST_DATABASE_URL is not set)`, () =>
      fn('postgres'));
  }
}
