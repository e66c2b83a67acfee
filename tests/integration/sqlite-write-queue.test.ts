import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
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

  describe('rerunnable units (one savepoint for a run of them)', () => {
    const years = async (from: number, to: number) =>
      (
        await db.read((sql) =>
          sql.query<{ year: number }>(
            'SELECT year FROM cycles WHERE year BETWEEN ? AND ? ORDER BY year',
            [from, to],
          ),
        )
      ).map((r) => r.year);
    /** A rerunnable unit inserting `year`, counting its runs in `runs`. */
    const counted =
      (runs: Map<number, number>, year: number, fail?: 'before' | 'after') => async (tx: Sql) => {
        runs.set(year, (runs.get(year) ?? 0) + 1);
        if (fail === 'before') throw new Error(`unit ${year} refused`);
        await insertCycle(year)(tx);
        if (fail === 'after') throw new Error(`unit ${year} fails after writing`);
        return year;
      };

    it('one failing after writing rolls back alone: the units before it run again, once each, and every other unit commits', async () => {
      const runs = new Map<number, number>();
      const batchesBefore = db.stats.batches;
      const results = await Promise.allSettled(
        [2101, 2102, 2103, 2104, 2105].map((year) =>
          db.write(counted(runs, year, year === 2103 ? 'after' : undefined), {
            rerunnable: true,
          }),
        ),
      );
      expect(results.map((r) => r.status)).toEqual([
        'fulfilled',
        'fulfilled',
        'rejected',
        'fulfilled',
        'fulfilled',
      ]);
      expect((results[2] as PromiseRejectedResult).reason).toMatchObject({
        message: 'unit 2103 fails after writing',
      });
      expect(results.map((r) => (r.status === 'fulfilled' ? r.value : null))).toEqual([
        2101,
        2102,
        null,
        2104,
        2105,
      ]);
      expect(db.stats.batches - batchesBefore).toBe(1);
      expect(await years(2101, 2105)).toEqual([2101, 2102, 2104, 2105]);
      expect(Object.fromEntries(runs)).toEqual({ 2101: 2, 2102: 2, 2103: 1, 2104: 1, 2105: 1 });
    });

    it('one refused before writing undoes nothing and runs no unit again', async () => {
      const runs = new Map<number, number>();
      const results = await Promise.allSettled(
        [2111, 2112, 2113].map((year) =>
          db.write(counted(runs, year, year === 2112 ? 'before' : undefined), {
            rerunnable: true,
          }),
        ),
      );
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect(await years(2111, 2113)).toEqual([2111, 2113]);
      expect(Object.fromEntries(runs)).toEqual({ 2111: 1, 2112: 1, 2113: 1 });
    });

    it('takes one savepoint for a run of rerunnable units, and one per unit otherwise', async () => {
      const sql = (db as unknown as { sql: Sql }).sql;
      const execute = jest.spyOn(sql, 'execute');
      try {
        const runs = new Map<number, number>();
        await Promise.all([
          ...[2121, 2122, 2123].map((y) => db.write(counted(runs, y), { rerunnable: true })),
          db.write(insertCycle(2124)),
          db.write(insertCycle(2125)),
        ]);
        const savepoints = execute.mock.calls
          .map(([text]) => text)
          .filter((text) => text.startsWith('SAVEPOINT'));
        expect(savepoints).toEqual(['SAVEPOINT shared', 'SAVEPOINT unit', 'SAVEPOINT unit']);
      } finally {
        execute.mockRestore();
      }
      expect(await years(2121, 2125)).toEqual([2121, 2122, 2123, 2124, 2125]);
    });

    it('a rerunnable unit failing after a unit with its own savepoint leaves that unit committed, run once', async () => {
      const runs = new Map<number, number>();
      let plainRuns = 0;
      const results = await Promise.allSettled([
        db.write(counted(runs, 2131), { rerunnable: true }),
        db.write(async (tx) => {
          plainRuns += 1;
          await insertCycle(2132)(tx);
        }),
        db.write(counted(runs, 2133), { rerunnable: true }),
        db.write(counted(runs, 2134, 'after'), { rerunnable: true }),
        db.write(counted(runs, 2135), { rerunnable: true }),
      ]);
      expect(results.map((r) => r.status)).toEqual([
        'fulfilled',
        'fulfilled',
        'fulfilled',
        'rejected',
        'fulfilled',
      ]);
      expect(await years(2131, 2135)).toEqual([2131, 2132, 2133, 2135]);
      // Only 2133 shared the savepoint with 2134; 2131 was released when the plain unit came.
      expect(Object.fromEntries(runs)).toEqual({ 2131: 1, 2133: 2, 2134: 1, 2135: 1 });
      expect(plainRuns).toBe(1);
    });

    it('the ledger stays one chain when a rerunnable unit fails after appending', async () => {
      const headBefore = await db.read((sql) => LedgerRepository.head(sql));
      const append =
        (eventId: number, fail = false) =>
        async (tx: Sql) => {
          await LedgerRepository.append(tx, {
            eventId,
            obligationId: 'o',
            seq: eventId,
            eventHash: String(eventId).padStart(64, 'e'),
            recordedAt: 1,
          });
          if (fail) throw new Error('fails after appending');
        };
      const results = await Promise.allSettled(
        [101, 102, 103, 104].map((id) => db.write(append(id, id === 103), { rerunnable: true })),
      );
      expect(results.map((r) => r.status)).toEqual([
        'fulfilled',
        'fulfilled',
        'rejected',
        'fulfilled',
      ]);
      const rows = await db.read((sql) =>
        sql.query<{ position: number; event_id: number; prev_hash: string; hash: string }>(
          'SELECT position, event_id, prev_hash, hash FROM ledger WHERE position > ? ORDER BY position',
          [headBefore.position],
        ),
      );
      expect(rows.map((r) => r.event_id)).toEqual([101, 102, 104]);
      expect(rows.map((r) => r.position)).toEqual([1, 2, 3].map((i) => headBefore.position + i));
      expect(rows[0]!.prev_hash).toBe(headBefore.hash);
      for (let i = 1; i < rows.length; i++) expect(rows[i]!.prev_hash).toBe(rows[i - 1]!.hash);
      for (const r of rows)
        expect(r.hash).toBe(
          ledgerHash(r.position, String(r.event_id).padStart(64, 'e'), r.prev_hash),
        );
    });
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
