/**
 * DONDOC_SQLITE_SYNCHRONOUS: `normal` by default (a commit survives a crash of the process), `full`
 * syncs every commit (every batch of the group commit) to disk before it is acknowledged; a bad
 * setting stops the start, naming the variable.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/app-config.js';
import { createDatabase } from '../../src/database/database.module.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

async function synchronousOf(env: Record<string, string>): Promise<number> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dondoc-sync-'));
  dirs.push(dataDir);
  const config = {
    ...loadConfig({ ...env, DONDOC_SQLITE_CHECKPOINTS: 'inline' }),
    dataDir,
    databaseUrl: null,
  };
  const db = await createDatabase(config);
  try {
    // A write goes through the group commit as usual.
    await db.write(
      (tx) =>
        tx.execute(
          'INSERT INTO cycles (plan_id, year, due_at, opened_at, opened_by) VALUES (?, ?, ?, ?, ?)',
          ['p', 2025, 1, 1, 't'],
        ),
      { rerunnable: true },
    );
    const [row] = await db.read((sql) => sql.query<{ synchronous: number }>('PRAGMA synchronous'));
    const [count] = await db.read((sql) =>
      sql.query<{ n: number }>('SELECT COUNT(*) AS n FROM cycles'),
    );
    expect(count!.n).toBe(1);
    return row!.synchronous;
  } finally {
    await db.close();
  }
}

describe('DONDOC_SQLITE_SYNCHRONOUS', () => {
  it('is normal by default: SQLite syncs the log at checkpoints (PRAGMA synchronous = 1)', async () => {
    expect(loadConfig({}).sqliteSynchronous).toBe('normal');
    expect(await synchronousOf({})).toBe(1);
  });

  it('full syncs every commit before it is acknowledged (PRAGMA synchronous = 2)', async () => {
    expect(await synchronousOf({ DONDOC_SQLITE_SYNCHRONOUS: 'full' })).toBe(2);
  });

  it('any other setting stops the start, naming the variable', () => {
    for (const bad of ['FULL', 'off', '2'])
      expect(() => loadConfig({ DONDOC_SQLITE_SYNCHRONOUS: bad })).toThrow(
        /DONDOC_SQLITE_SYNCHRONOUS: expected "normal" or "full"/,
      );
  });
});
