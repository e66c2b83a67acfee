import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDataSource } from '../../src/database/data-source.js';
import { SqliteDatabase } from '../../src/database/sqlite-database.js';
import type { Sql } from '../../src/database/database.js';
import { LedgerRepository } from '../../src/audit/ledger.repository.js';
import { GENESIS_HASH, ledgerHash } from '../../src/core/audit/event-hash.js';

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

  it('the ledger head memoised in a batch is forgotten when a unit rolls back: no gap, one chain', async () => {
    const append = (eventId: number) => (tx: Sql) =>
      LedgerRepository.append(tx, {
        eventId,
        obligationId: 'o',
        seq: eventId,
        eventHash: String(eventId).padStart(64, 'e'),
        recordedAt: 1,
      });
    const batchesBefore = db.stats.batches;
    const results = await Promise.allSettled([
      db.write(append(1)),
      db.write(append(2)),
      db.write(async (tx) => {
        await append(3)(tx); // takes position 3, then the unit fails and rolls back
        throw new Error('unit fails after appending');
      }),
      db.write(append(4)),
    ]);
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
    expect(db.stats.batches - batchesBefore).toBe(1);
    const rows = await db.read((sql) =>
      sql.query<{ position: number; event_id: number; prev_hash: string; hash: string }>(
        'SELECT position, event_id, prev_hash, hash FROM ledger ORDER BY position',
      ),
    );
    expect(rows.map((r) => [r.position, r.event_id])).toEqual([
      [1, 1],
      [2, 2],
      [3, 4],
    ]);
    expect(rows[0]!.prev_hash).toBe(GENESIS_HASH);
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.prev_hash).toBe(rows[i - 1]!.hash);
    for (const r of rows) {
      const eventHash = String(r.event_id).padStart(64, 'e');
      expect(r.hash).toBe(ledgerHash(r.position, eventHash, r.prev_hash));
    }
    // The next batch reads the head from the table again.
    await db.write(append(5));
    const head = await db.read((sql) => LedgerRepository.head(sql));
    expect(head.position).toBe(4);
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
