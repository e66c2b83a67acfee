/**
 * PostgreSQL faults under load, on a real server process. The server reaches PostgreSQL through
 * a TCP proxy of the test (the shared PostgreSQL server is never stopped): the proxy cuts every
 * connection in the middle of the load, then refuses new ones, then swallows them (a black hole),
 * then lets them through again; the test also kills the server's backends with
 * `pg_terminate_backend`.
 *
 * Given a load of commands, each retried with its Idempotency-Key until acknowledged,
 * When the database connections break or PostgreSQL cannot be reached,
 * Then commands answer 503 DATABASE_UNAVAILABLE with Retry-After (never a 500, never a crash),
 * readiness says not-ready while the database is unreachable and ready again after, the server
 * recovers by itself, every acknowledged command is in the history exactly once, and the audit
 * chains verify.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { freshDatabase, type TestDatabase } from '../support/databases.js';
import {
  appliedKeys,
  auditVerify,
  newCommand,
  openCycle,
  send,
  waitForReadiness,
  type Answer,
  type FaultCommand,
} from '../support/fault-commands.js';
import { loginOn, startServer, type ServerProcess } from '../support/server-process.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

const pgUrl = process.env.TEST_DATABASE_URL;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Workers sending commands, each retried (same key) after a 503 until it is acknowledged. */
class CommandLoad {
  readonly acked: FaultCommand[] = [];
  readonly answers: Answer[] = [];
  readonly transportErrors: string[] = [];
  private running = true;
  private readonly workers: Array<Promise<void>>;

  constructor(
    private readonly server: ServerProcess,
    private readonly token: string,
    obligationIds: string[],
    workers: number,
  ) {
    // Each worker owns its obligations: commands to one obligation never race each other.
    this.workers = Array.from({ length: workers }, (_, w) =>
      this.work(obligationIds.filter((_, i) => i % workers === w)),
    );
  }

  /** Resolves once `more` further commands are acknowledged (the load is flowing). */
  async flowing(more: number, timeoutMs = 30_000): Promise<void> {
    const target = this.acked.length + more;
    const deadline = performance.now() + timeoutMs;
    while (this.acked.length < target) {
      if (performance.now() > deadline || !this.running) {
        throw new Error(`the load stalled at ${this.acked.length} acknowledged commands`);
      }
      await sleep(20);
    }
  }

  /** Stops sending new commands; resolves once every worker's last command is acknowledged. */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.workers);
  }

  private async work(ids: string[]): Promise<void> {
    for (let i = 0; this.running; i++) {
      const command = newCommand(ids[i % ids.length]!);
      for (;;) {
        let answer: Answer;
        try {
          answer = await send(this.server, this.token, command);
        } catch (error) {
          this.transportErrors.push(String(error));
          return;
        }
        this.answers.push(answer);
        if (answer.status === 200) {
          this.acked.push(command);
          break;
        }
        if (answer.status !== 503) return; // unexpected: reported by the test
        await sleep(150);
      }
    }
  }
}

/** Terminates every backend of `database` (the server's pooled connections); how many. */
async function terminateBackends(database: string): Promise<number> {
  const admin = new pg.Client({ connectionString: pgUrl });
  await admin.connect();
  try {
    const res = await admin.query<{ ok: boolean }>(
      `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
        WHERE datname = $1 AND pid <> pg_backend_pid()`,
      [database],
    );
    return res.rows.filter((r) => r.ok).length;
  } finally {
    await admin.end();
  }
}

function expectUnavailable(answer: Answer): void {
  expect(answer.status).toBe(503);
  expect(answer.body).toMatchObject({ statusCode: 503, code: 'DATABASE_UNAVAILABLE' });
  expect(String(answer.body?.message)).toMatch(/database is unavailable/i);
  expect(answer.retryAfter).toMatch(/^\d+$/);
}

const describePg = pgUrl ? describe : describe.skip;
if (!pgUrl) {
  process.stderr.write('PostgreSQL fault tests skipped: set TEST_DATABASE_URL=postgres://…\n');
}

describePg('PostgreSQL faults under load [postgres]', () => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  let server: ServerProcess | undefined;

  beforeAll(async () => {
    db = await freshDatabase('postgres');
    const target = new URL(pgUrl!);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
  });
  afterAll(async () => {
    if (server?.child.exitCode === null) server.child.kill('SIGKILL');
    await proxy?.close();
    await db?.drop();
  });

  it('connections cut, backends terminated, PostgreSQL refused then unreachable: 503, recovery, nothing lost or doubled', async () => {
    const viaProxy = new URL(db.databaseUrl!);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    const database = viaProxy.pathname.slice(1);
    server = await startServer({ dataDir: db.dataDir, databaseUrl: viaProxy.toString() });
    const s = server;
    const token = await loginOn(s);
    const obligations = await openCycle(s, token);
    const eventsBefore = (await auditVerify(s, token)).events;

    const load = new CommandLoad(s, token, obligations, 8);
    // Each fault strikes while commands are in flight, and the load flows again between faults.
    await load.flowing(8);

    // 1. Connections dropped in the middle of the load, three times.
    for (let i = 0; i < 3; i++) {
      proxy.cutAll();
      await load.flowing(8);
    }
    // 2. The server's backends terminated by PostgreSQL itself, twice.
    let terminated = 0;
    for (let i = 0; i < 2; i++) {
      terminated += await terminateBackends(database);
      await load.flowing(8);
    }
    expect(terminated).toBeGreaterThan(0);

    // 3. PostgreSQL refuses connections: commands 503, not ready, still alive.
    await proxy.setMode('refuse');
    expect(await waitForReadiness(s, 503, 20_000)).toBe(true);
    const ready = await fetch(`${s.url}/api/health/ready`);
    expect(await ready.json()).toMatchObject({ code: 'NOT_READY', checks: { database: 'failed' } });
    expect((await fetch(`${s.url}/api/health/live`)).status).toBe(200);
    const refused = await send(s, token, newCommand(obligations[0]!));
    expectUnavailable(refused);
    await sleep(1000);

    // 4. PostgreSQL unreachable (connections swallowed): the connect timeout answers 503.
    await proxy.setMode('blackhole');
    const swallowed = await send(s, token, newCommand(obligations[1]!));
    expectUnavailable(swallowed);
    expect(swallowed.ms).toBeLessThan(9_000);
    expect(await waitForReadiness(s, 503, 20_000)).toBe(true);

    // 5. Back: ready again by itself, and the load goes on.
    const restoredAt = performance.now();
    await proxy.setMode('pass');
    expect(await waitForReadiness(s, 200, 20_000)).toBe(true);
    const recoveryMs = performance.now() - restoredAt;
    await load.flowing(16);
    await load.stop();

    // Never a 500, never a transport error: every answer is 200 or a clear 503.
    expect(load.transportErrors).toEqual([]);
    const unexpected = load.answers.filter((a) => a.status !== 200 && a.status !== 503);
    expect(unexpected).toEqual([]);
    const unavailable = load.answers.filter((a) => a.status === 503);
    expect(unavailable.length).toBeGreaterThan(0);
    for (const a of unavailable) expectUnavailable(a);
    expect(s.child.exitCode).toBeNull();

    // Every acknowledged command is in the history exactly once, and nothing else is.
    const applied = await appliedKeys(s, token, obligations);
    const ackedKeys = new Set(load.acked.map((c) => c.key));
    expect(ackedKeys.size).toBe(load.acked.length);
    expect([...ackedKeys].filter((k) => applied.get(k) !== 1)).toEqual([]);
    // (The two probes answered 503 during the outage were never retried: not applied either.)
    expect([...applied.keys()].filter((k) => !ackedKeys.has(k))).toEqual([]);
    const verify = await auditVerify(s, token);
    expect(verify).toMatchObject({ ok: true, problems: [] });
    expect(verify.events).toBe(eventsBefore + load.acked.length);

    process.stdout.write(
      `PostgreSQL faults: ${load.acked.length} commands acknowledged and checked, ` +
        `${unavailable.length} answers 503 DATABASE_UNAVAILABLE, 3 cuts ` +
        `(${proxy.accepted} proxied connections), ${terminated} backends terminated, ` +
        `black-hole answer in ${Math.round(swallowed.ms)} ms, ready again ` +
        `${Math.round(recoveryMs)} ms after PostgreSQL came back\n`,
    );
    // A request's fault is logged as one warning, never as an internal error with a stack.
    // (A background job that hits the outage logs one error line and runs at its next tick.)
    expect(s.output()).not.toMatch(/ERROR \[HTTP\]/);
    expect(await s.stop()).toBe(0);
  }, 120_000);
});
