/**
 * WAL checkpoints on a worker thread (SqliteCheckpointer): the writer's commits no longer copy
 * the log into the database; the worker does, soon after; what was committed is in the database
 * file after a close and after a crash; `inline` (or a database the worker cannot serve) keeps
 * SQLite's own checkpoints; a bad setting stops the start.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { loadConfig } from '../../src/config/app-config.js';
import { openDataSource } from '../../src/database/data-source.js';
import { SqliteDatabase } from '../../src/database/sqlite-database.js';
import {
  INLINE_PAGES,
  SAFETY_PAGES,
  SqliteCheckpointer,
} from '../../src/database/sqlite-checkpointer.js';

const dirs: string[] = [];
const fresh = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dondoc-ckpt-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const connectionOf = (db: SqliteDatabase) =>
  (db as unknown as { connection: BetterSqlite3.Database }).connection;

/** `n` committed writes of one row each, in batches of `batch`. */
async function writeRows(db: SqliteDatabase, n: number, batch = 50): Promise<void> {
  for (let i = 0; i < n; i += batch) {
    await Promise.all(
      Array.from({ length: Math.min(batch, n - i) }, (_, j) =>
        db.write((tx) =>
          tx.execute(`INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)`, [
            `k${i + j}`,
            'v'.repeat(2000),
            i + j,
          ]),
        ),
      ),
    );
  }
}

const until = async (check: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('SQLite checkpoints on a worker thread', () => {
  it('copies the log into the database off the writer, and the data is there after close', async () => {
    const dir = fresh();
    const db = new SqliteDatabase(await openDataSource({ dataDir: dir, databaseUrl: null }));
    const warnings: string[] = [];
    await db.checkpointInBackground((m) => warnings.push(m));
    expect(warnings).toEqual([]);
    expect(db.checkpointsInBackground).toBe(true);
    // The writer's own checkpoint is only a safety bound now.
    expect(connectionOf(db).pragma('wal_autocheckpoint', { simple: true })).toBe(SAFETY_PAGES);
    await writeRows(db, 2000);
    const checkpointer = (db as unknown as { checkpointer: SqliteCheckpointer }).checkpointer;
    // Soon after the last commit the worker has copied the whole log.
    await until(
      () => checkpointer.stats.log > 0 && checkpointer.stats.copied === checkpointer.stats.log,
    );
    expect(checkpointer.stats.checkpoints).toBeGreaterThan(0);
    await db.close();
    const file = new BetterSqlite3(path.join(dir, 'dondoc.sqlite'), { readonly: true });
    expect(file.prepare('SELECT COUNT(*) AS n FROM settings WHERE key LIKE ?').get('k%')).toEqual({
      n: 2000,
    });
    file.close();
  });

  it('goes back to inline checkpoints when the worker stops on its own', async () => {
    const dir = fresh();
    const db = new SqliteDatabase(await openDataSource({ dataDir: dir, databaseUrl: null }));
    const warnings: string[] = [];
    await db.checkpointInBackground((m) => warnings.push(m));
    const checkpointer = (db as unknown as { checkpointer: SqliteCheckpointer }).checkpointer;
    await (
      checkpointer as unknown as { worker: { terminate(): Promise<number> } }
    ).worker.terminate();
    await until(() => !db.checkpointsInBackground);
    expect(warnings).toEqual([expect.stringMatching(/checkpoints back inline: the worker exited/)]);
    expect(connectionOf(db).pragma('wal_autocheckpoint', { simple: true })).toBe(INLINE_PAGES);
    await writeRows(db, 100);
    await db.close();
  });

  it('keeps every acknowledged write when the process is killed', () => {
    const dir = fresh();
    // A child process writes with background checkpoints, reports, and is killed mid-run.
    const script = `
      import { openDataSource } from ${JSON.stringify(path.resolve('dist/database/data-source.js'))};
      import { SqliteDatabase } from ${JSON.stringify(path.resolve('dist/database/sqlite-database.js'))};
      const db = new SqliteDatabase(await openDataSource({ dataDir: ${JSON.stringify(dir)}, databaseUrl: null }));
      await db.checkpointInBackground((m) => console.error(m));
      let acked = 0;
      for (let i = 0; i < 200; i++) {
        await Promise.all(Array.from({ length: 20 }, (_, j) => db.write((tx) => tx.execute(
          'INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)', ['k' + (i * 20 + j), 'v'.repeat(3000), 0]))));
        acked += 20;
        if (i === 150) { console.log(acked); process.kill(process.pid, 'SIGKILL'); }
      }`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
    });
    expect(run.signal).toBe('SIGKILL');
    const acked = Number(run.stdout.trim());
    expect(acked).toBe(3020);
    const file = new BetterSqlite3(path.join(dir, 'dondoc.sqlite'));
    expect(file.pragma('integrity_check', { simple: true })).toBe('ok');
    const { n } = file.prepare("SELECT COUNT(*) AS n FROM settings WHERE key LIKE 'k%'").get() as {
      n: number;
    };
    expect(n).toBeGreaterThanOrEqual(acked);
    file.close();
  });

  it('stays with SQLite inline checkpoints when set to inline, or for a database in memory', async () => {
    const dir = fresh();
    const db = new SqliteDatabase(await openDataSource({ dataDir: dir, databaseUrl: null }));
    expect(db.checkpointsInBackground).toBe(false);
    expect(connectionOf(db).pragma('wal_autocheckpoint', { simple: true })).toBe(INLINE_PAGES);
    await db.close();
    const memory = new BetterSqlite3(':memory:');
    const warnings: string[] = [];
    const c = SqliteCheckpointer.start(memory, (m) => warnings.push(m));
    await c.ready();
    expect(c.background).toBe(false);
    await c.stop();
    memory.close();
  });

  it('a setting other than background or inline stops the start, naming it', () => {
    expect(() => loadConfig({ DONDOC_SQLITE_CHECKPOINTS: 'sometimes' })).toThrow(
      /DONDOC_SQLITE_CHECKPOINTS: expected "background" or "inline"/,
    );
    expect(loadConfig({}).sqliteCheckpoints).toBe('background');
    expect(loadConfig({ DONDOC_SQLITE_CHECKPOINTS: 'inline' }).sqliteCheckpoints).toBe('inline');
  });
});
