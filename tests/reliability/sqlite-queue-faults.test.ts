/**
 * The SQLite write queue (group commit) when the transaction itself fails, in process: every
 * unit of the batch is settled with the clear fault, nothing of the batch is committed, and the
 * queue keeps working. Also: the wait for another process's lock does not block the event loop.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import BetterSqlite3 from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDataSource, sqliteFile } from '../../src/database/data-source.js';
import { DatabaseFaultError } from '../../src/database/database-fault.js';
import type { Sql } from '../../src/database/database.js';
import { SqliteDatabase } from '../../src/database/sqlite-database.js';

describe('SQLite write queue faults', () => {
  let dir: string;
  let db: SqliteDatabase;
  let other: BetterSqlite3.Database;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dondoc-queue-faults-'));
    const config = { dataDir: dir, databaseUrl: null };
    db = new SqliteDatabase(await openDataSource(config), 500, 400);
    other = new BetterSqlite3(sqliteFile(config), { timeout: 1000 });
  });
  afterAll(async () => {
    other.close();
    await db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const insertCycle = (year: number) => (tx: Sql) =>
    tx.execute(
      'INSERT INTO cycles (plan_id, year, due_at, opened_at, opened_by) VALUES (?, ?, ?, ?, ?)',
      ['q', year, 1, 1, 't'],
    );
  const years = () =>
    db.read((sql) => sql.query<{ year: number }>("SELECT year FROM cycles WHERE plan_id = 'q'"));

  it('SQLite rolls the whole batch back inside a unit (disk full): every unit fails with DATABASE_FULL, none committed, the queue goes on', async () => {
    const results = await Promise.allSettled([
      db.write(insertCycle(2001)),
      db.write(async (tx) => {
        await insertCycle(2002)(tx);
        // What SQLite does on SQLITE_FULL or an I/O error: the transaction is rolled back.
        await tx.execute('ROLLBACK');
        throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
      }),
      db.write(insertCycle(2003)),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    for (const r of results) {
      const reason = (r as PromiseRejectedResult).reason as DatabaseFaultError;
      expect(reason).toBeInstanceOf(DatabaseFaultError);
      expect(reason.code).toBe('DATABASE_FULL');
    }
    expect(await years()).toEqual([]);
    await db.write(insertCycle(2004));
    expect((await years()).map((r) => r.year)).toEqual([2004]);
  });

  it('another process holds the write lock past the wait: DATABASE_LOCKED, the event loop and reads are not held up', async () => {
    other.exec('BEGIN EXCLUSIVE');
    let ticks = 0;
    const ticker = setInterval(() => (ticks += 1), 10);
    try {
      const started = performance.now();
      const write = db.write(insertCycle(2005)).catch((e: unknown) => e);
      const read = await years(); // queued behind the waiting batch, served while it waits
      expect(read.map((r) => r.year)).toEqual([2004]);
      const error = (await write) as DatabaseFaultError;
      expect(error).toBeInstanceOf(DatabaseFaultError);
      expect(error.code).toBe('DATABASE_LOCKED');
      expect(performance.now() - started).toBeGreaterThanOrEqual(390);
      // A synchronous busy wait would have let no tick run at all (about 40 without load).
      expect(ticks).toBeGreaterThanOrEqual(3);
    } finally {
      clearInterval(ticker);
      other.exec('ROLLBACK');
    }
    await db.write(insertCycle(2006));
    expect((await years()).map((r) => r.year).sort()).toEqual([2004, 2006]);
  });

  it('a lock released while the batch waits: the batch commits', async () => {
    other.exec('BEGIN EXCLUSIVE');
    const write = db.write(insertCycle(2007));
    setTimeout(() => other.exec('ROLLBACK'), 150);
    await write;
    expect((await years()).map((r) => r.year).sort()).toEqual([2004, 2006, 2007]);
  });
});
