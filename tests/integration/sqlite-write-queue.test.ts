import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDataSource } from '../../src/database/data-source.js';
import { SqliteDatabase } from '../../src/database/sqlite-database.js';

describe('SQLite write queue (group commit)', () => {
  let dir: string;
  let db: SqliteDatabase;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dondoc-queue-'));
    db = new SqliteDatabase(await openDataSource({ dataDir: dir, databaseUrl: null }));
  });
  afterAll(async () => {
    await db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const insertCycle =
    (year: number) => (tx: Parameters<Parameters<SqliteDatabase['write']>[0]>[0]) =>
      tx.execute(
        'INSERT INTO cycles (plan_id, year, due_at, opened_at, opened_by) VALUES (?, ?, ?, ?, ?)',
        ['p', year, 1, 1, 't'],
      );

  it('commits waiting units together, and a failing unit rolls back alone', async () => {
    const batchesBefore = db.stats.batches;
    const results = await Promise.allSettled([
      db.write(insertCycle(2001)),
      db.write(async (tx) => {
        await insertCycle(2002)(tx);
        throw new Error('unit fails after writing');
      }),
      db.write(insertCycle(2003)),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(db.stats.batches - batchesBefore).toBe(1);
    const years = await db.read((sql) =>
      sql.query<{ year: number }>('SELECT year FROM cycles ORDER BY year'),
    );
    expect(years.map((r) => r.year)).toEqual([2001, 2003]);
  });

  it('reads never see a batch that has not committed', async () => {
    let seenInside = -1;
    const write = db.write(async (tx) => {
      await insertCycle(2010)(tx);
      await new Promise((r) => setTimeout(r, 20));
    });
    const read = db.read(async (sql) => {
      const rows = await sql.query<{ n: number }>(
        'SELECT COUNT(*) AS n FROM cycles WHERE year = 2010',
      );
      seenInside = Number(rows[0]!.n);
    });
    await Promise.all([write, read]);
    // The read was queued after the write, so it runs after the commit: it sees the row.
    expect(seenInside).toBe(1);
  });
});
