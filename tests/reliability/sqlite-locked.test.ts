/**
 * A SQLite database file locked by another process (a backup tool, a stray `sqlite3` shell, a CLI
 * run): the test opens the server's file and holds `BEGIN EXCLUSIVE`.
 *
 * Given acknowledged commands,
 * When another process holds the write lock briefly, a command waits for it and succeeds;
 * When it holds the lock longer than the server waits (5 s), commands sent together answer
 * 503 DATABASE_LOCKED with Retry-After and none is applied, while the server keeps answering
 * (liveness, readiness and reads do not wait behind the lock);
 * Then once the lock is released the same commands (same Idempotency-Keys) succeed without a
 * restart, the file is intact and the chains verify.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import BetterSqlite3 from 'better-sqlite3';
import { freshDatabase, type TestDatabase } from '../support/databases.js';
import { acknowledged, newCommand, openCycle, send, sendAll } from '../support/fault-commands.js';
import { api, loginOn, startServer, type ServerProcess } from '../support/server-process.js';
import { databaseFile, expectFault, expectIntact } from '../support/sqlite-faults.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How long a GET of `url` takes to be answered (ms), and its status. */
async function timed(url: string): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  const res = await fetch(url);
  await res.arrayBuffer();
  return { status: res.status, ms: performance.now() - started };
}

describe('a locked SQLite database file [sqlite]', () => {
  let db: TestDatabase | undefined;
  let server: ServerProcess | undefined;
  let holder: BetterSqlite3.Database | undefined;

  afterEach(async () => {
    holder?.close();
    if (server?.child.exitCode === null) server.child.kill('SIGKILL');
    await server?.exited;
    await db?.drop();
  });

  it('a short lock is waited for; a long one gives 503 DATABASE_LOCKED with Retry-After, the server stays responsive, nothing applied; released: the same commands succeed', async () => {
    db = await freshDatabase('sqlite');
    server = await startServer(db);
    const s = server;
    const token = await loginOn(s);
    const obligations = await openCycle(s, token);
    const acked = await acknowledged(s, token, obligations, 10);
    holder = new BetterSqlite3(databaseFile(db.dataDir), { timeout: 5000 });

    // A lock held for 1 s: the command waits for it, then succeeds.
    holder.exec('BEGIN EXCLUSIVE');
    const first = newCommand(obligations[10]!);
    const waiting = send(s, token, first);
    await sleep(1000);
    holder.exec('ROLLBACK');
    const waited = await waiting;
    expect(waited.status).toBe(200);
    expect(waited.ms).toBeGreaterThan(700);
    acked.push(first);

    // A lock held past the server's wait: every command of the batch fails, clearly.
    holder.exec('BEGIN EXCLUSIVE');
    const failed = obligations.slice(11, 21).map(newCommand);
    const answers = sendAll(s, token, failed);
    await sleep(1500);
    // Meanwhile the event loop is free: probes and reads answer at once.
    const live = await timed(`${s.url}/api/health/live`);
    const ready = await timed(`${s.url}/api/health/ready`);
    const read = await api(s, token, 'GET', `/api/obligations/${obligations[0]}`);
    expect(live).toMatchObject({ status: 200 });
    expect(ready).toMatchObject({ status: 200 });
    expect(read.status).toBe(200);
    // (Far below the 5 s the batch waits for the lock; loose for a busy CI machine.)
    expect(live.ms).toBeLessThan(2500);
    expect(ready.ms).toBeLessThan(2500);
    const locked = await answers;
    expectFault(locked, 503, 'DATABASE_LOCKED', /locked/, '2');
    for (const a of locked) expect(a.ms).toBeGreaterThan(4000);
    await expectIntact(s, token, db.dataDir, obligations, acked);
    holder.exec('ROLLBACK');

    // Released: the same commands go through on the same process, each applied once.
    const retried = await sendAll(s, token, failed);
    expect(retried.map((a) => a.status)).toEqual(failed.map(() => 200));
    await expectIntact(s, token, db.dataDir, obligations, [...acked, ...failed]);
    process.stdout.write(
      `SQLite lock: a 1 s lock waited for (${Math.round(waited.ms)} ms, 200); ` +
        `${locked.length} commands 503 DATABASE_LOCKED after ` +
        `${Math.round(Math.min(...locked.map((a) => a.ms)))}–` +
        `${Math.round(Math.max(...locked.map((a) => a.ms)))} ms; during the lock liveness ` +
        `${Math.round(live.ms)} ms, readiness ${Math.round(ready.ms)} ms\n`,
    );
    expect(await s.stop()).toBe(0);
  }, 120_000);
});
