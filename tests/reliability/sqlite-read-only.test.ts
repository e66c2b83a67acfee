/**
 * A read-only SQLite database, on a real server process run as an unprivileged user (the tests
 * run as root, to whom every file is writable).
 *
 * Given a database with acknowledged commands whose file the server may not write (restored
 * with the wrong mode),
 * When the server starts on it and commands arrive,
 * Then it serves reads, answers every command 503 DATABASE_READ_ONLY with Retry-After and
 * applies none; the file is intact and the chains verify; and once the file is writable again
 * the same commands (same Idempotency-Keys) succeed. That needs a restart: SQLite opened the
 * file read-only, and a running server keeps that handle.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { freshDatabase, type TestDatabase } from '../support/databases.js';
import { acknowledged, newCommand, openCycle, sendAll } from '../support/fault-commands.js';
import { loginOn, startServer, type ServerProcess } from '../support/server-process.js';
import { databaseFile, expectFault, expectIntact } from '../support/sqlite-faults.js';

/** `nobody`: the unprivileged user the server runs as here. */
const NOBODY = { uid: 65534, gid: 65534 };

describe('a read-only SQLite database [sqlite]', () => {
  let db: TestDatabase | undefined;
  let server: ServerProcess | undefined;

  afterEach(async () => {
    if (server?.child.exitCode === null) server.child.kill('SIGKILL');
    await db?.drop();
  });

  it('commands 503 DATABASE_READ_ONLY, reads work, nothing applied, nothing damaged; writable again after a restart', async () => {
    db = await freshDatabase('sqlite');
    const dir = db.dataDir;
    fs.chownSync(dir, NOBODY.uid, NOBODY.gid);
    server = await startServer(db, {}, NOBODY);
    let token = await loginOn(server);
    const obligations = await openCycle(server, token);
    const acked = await acknowledged(server, token, obligations, 10);
    expect(await server.stop()).toBe(0);

    // The file comes back without write permission for the server's user.
    fs.chmodSync(databaseFile(dir), 0o444);
    server = await startServer(db, {}, NOBODY);
    token = await loginOn(server);
    const failed = obligations.slice(10, 20).map(newCommand);
    const answers = await sendAll(server, token, failed);
    expectFault(answers, 503, 'DATABASE_READ_ONLY', /read-only/, '60');
    // Reads still work, and readiness (which only reads) stays ready.
    expect((await fetch(`${server.url}/api/health/ready`)).status).toBe(200);
    await expectIntact(server, token, dir, obligations, acked);
    expect(await server.stop()).toBe(0);

    // Writable again: after a restart the same commands are applied, each once.
    for (const f of fs.readdirSync(dir)) fs.chmodSync(path.join(dir, f), 0o600);
    server = await startServer(db, {}, NOBODY);
    token = await loginOn(server);
    const retried = await sendAll(server, token, failed);
    expect(retried.map((a) => a.status)).toEqual(failed.map(() => 200));
    await expectIntact(server, token, dir, obligations, [...acked, ...failed]);
    expect(await server.stop()).toBe(0);
  }, 120_000);
});
