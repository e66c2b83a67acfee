/**
 * A full disk under a running server: its data folder is a small tmpfs, which the test fills up.
 *
 * Given acknowledged commands, and a disk with no space left for the database to grow,
 * When commands arrive (one alone, then ten at once, committed together by the write queue),
 * Then each answers 507 DATABASE_FULL and none is applied, reads still work; the file is intact
 * and the chains verify; and once space is freed the same commands (same Idempotency-Keys)
 * succeed, without a restart.
 *
 * Needs `mount -t tmpfs` (root, as on CI); skipped with a message where mounting is not allowed.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import BetterSqlite3 from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestDatabase } from '../support/databases.js';
import { acknowledged, newCommand, openCycle, send, sendAll } from '../support/fault-commands.js';
import { loginOn, startServer, type ServerProcess } from '../support/server-process.js';
import { databaseFile, expectFault, expectIntact } from '../support/sqlite-faults.js';

/** A fresh SQLite data folder on a tmpfs of `size` (e.g. `16m`), or null if it cannot mount. */
function tmpfsDatabase(size: string): TestDatabase | null {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dondoc-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dataDir], {
      stdio: 'ignore',
    });
  } catch {
    fs.rmSync(dataDir, { recursive: true, force: true });
    return null;
  }
  return {
    dialect: 'sqlite',
    dataDir,
    databaseUrl: null,
    drop: async () => {
      execFileSync('umount', ['-l', dataDir]);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Writes a file until the disk is full; returns its path (delete it to free the space). */
function fillDisk(dir: string): string {
  const file = path.join(dir, 'filler');
  const fd = fs.openSync(file, 'w');
  const chunk = Buffer.alloc(1 << 20);
  try {
    for (let size = chunk.length; size > 0;) {
      try {
        fs.writeSync(fd, chunk, 0, size);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
        size >>= 1;
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  return file;
}

const probe = tmpfsDatabase('1m');
void probe?.drop();
if (!probe) process.stderr.write('Full-disk test skipped: cannot mount a tmpfs here.\n');
const itMounted = probe ? it : it.skip;

describe('a full disk under SQLite [sqlite]', () => {
  let db: TestDatabase | null = null;
  let server: ServerProcess | undefined;

  afterEach(async () => {
    if (server?.child.exitCode === null) server.child.kill('SIGKILL');
    await server?.exited;
    await db?.drop();
  });

  itMounted(
    'commands 507 DATABASE_FULL (alone and in a batch), reads work, nothing applied or damaged; space freed: the same commands succeed without a restart',
    async () => {
      db = tmpfsDatabase('24m')!;
      const dir = db.dataDir;
      server = await startServer(db);
      const token = await loginOn(server);
      const obligations = await openCycle(server, token);
      const acked = await acknowledged(server, token, obligations, 10);

      // Empty the WAL (so the next commit must grow a file), then take every free block.
      const handle = new BetterSqlite3(databaseFile(dir), { timeout: 5000 });
      expect(handle.pragma('wal_checkpoint(TRUNCATE)')).toEqual([
        { busy: 0, log: 0, checkpointed: 0 },
      ]);
      handle.close();
      const filler = fillDisk(dir);
      expect(fs.statfsSync(dir).bavail).toBe(0);

      const alone = newCommand(obligations[10]!);
      const together = obligations.slice(11, 21).map(newCommand);
      expectFault([await send(server, token, alone)], 507, 'DATABASE_FULL', /full/, null);
      expectFault(await sendAll(server, token, together), 507, 'DATABASE_FULL', /full/, null);
      // Reads still work; readiness (which only reads) stays ready; the process is alive.
      expect((await fetch(`${server.url}/api/health/ready`)).status).toBe(200);
      await expectIntact(server, token, dir, obligations, acked);
      expect(server.child.exitCode).toBeNull();

      // Space freed: the same commands go through on the same process, each applied once.
      fs.rmSync(filler);
      const retried = await sendAll(server, token, [alone, ...together]);
      expect(retried.map((a) => a.status)).toEqual(retried.map(() => 200));
      await expectIntact(server, token, dir, obligations, [...acked, alone, ...together]);
      expect(await server.stop()).toBe(0);
    },
    120_000,
  );
});
