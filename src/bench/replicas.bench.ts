/**
 * Command throughput over HTTP on PostgreSQL with 1 and with 3 server replicas on one database.
 * Three servers are started on a fresh database; each run opens a new yearly cycle of the
 * synthetic plan (BENCH_OBLIGATIONS obligations) and sends every obligation its four lifecycle
 * events (the officer's two, the aggregator's two), each request on a different obligation:
 * with 1 replica all requests go to the first server, with 3 one autocannon instance per server
 * shares the same sequence of requests and the same total of connections. Runs alternate
 * (1, 3, 1, 3, …) for BENCH_ROUNDS rounds. At the end the audit chains are verified.
 *
 * Needs a PostgreSQL server where it may create a database: BENCH_DATABASE_URL (or
 * TEST_DATABASE_URL), e.g. postgres://postgres@127.0.0.1:5432/postgres. Without one it prints
 * why and exits 0. `npm run bench:replicas`. Overrides: BENCH_OBLIGATIONS (2,000),
 * BENCH_CONNECTIONS (48), BENCH_ROUNDS (1).
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { numberPlaceholders } from '../database/database.js';
import {
  BENCH_AGGREGATOR,
  INSERT_USER,
  officerFor,
  tokenSigner,
  userParams,
} from './bench-users.js';
import {
  finish,
  lifecycleRequests,
  percentile,
  printTable,
  runSegment,
  type Segment,
} from './http-load.js';
import { envInt } from './bench-env.js';
import { call, startBenchServer, type BenchServer } from './server-process.js';
import { agencyCode, BENCH_PLAN_ID, writeSyntheticPlan } from './synthetic-plan.js';

const OBLIGATIONS = envInt('BENCH_OBLIGATIONS', 2_000);
const CONNECTIONS = envInt('BENCH_CONNECTIONS', 48);
const ROUNDS = envInt('BENCH_ROUNDS', 1);
const ADMIN_PASSWORD = 'bench-admin-password';
const JWT_SECRET = 'bench-jwt-secret-0123456789abcdefghijklmnopqrstuv';
const FIRST_YEAR = 2025;

const log = (msg: string) => console.log(`[bench:replicas] ${msg}`);

interface Run {
  replicas: number;
  year: number;
  commands: number;
  seconds: number;
  commandsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
}

async function withAdminClient<T>(url: string, work: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** One run: a new cycle for `year`, its 4 × n commands spread over `targets`. */
async function runOnce(
  servers: BenchServer[],
  targets: number,
  year: number,
  databaseUrl: string,
  adminToken: string,
): Promise<{ run: Run; problems: string[] }> {
  const now = `${year}-06-01T03:00:00.000Z`;
  for (const s of servers) await call(s.url, 'POST', '/api/admin/clock', adminToken, { now });
  const opened = await call<{ obligations: Array<{ id: string; agencyCode: string }> }>(
    servers[0]!.url,
    'POST',
    `/api/plans/${BENCH_PLAN_ID}/cycles`,
    adminToken,
    { year },
  );
  const ids = opened.obligations.map((o) => o.id);
  const sign = tokenSigner(JWT_SECRET, Date.parse(now));
  const officerTokens = opened.obligations.map((o) => sign(officerFor(o.agencyCode)));
  const aggregatorToken = sign(BENCH_AGGREGATOR);

  const { request, total } = lifecycleRequests(ids, officerTokens, aggregatorToken);
  const started = performance.now();
  const segments: Segment[] = await Promise.all(
    Array.from({ length: targets }, (_, t) =>
      runSegment({
        url: servers[t]!.url,
        connections: Math.floor(CONNECTIONS / targets),
        amount: Math.floor(total / targets) + (t === 0 ? total % targets : 0),
        requests: [request],
      }),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  const latencies = segments.flatMap((s) => s.latencies).sort((a, b) => a - b);
  const commands = segments.reduce((n, s) => n + s.requests, 0);
  const run: Run = {
    replicas: targets,
    year,
    commands,
    seconds,
    commandsPerSecond: commands / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    non2xx: segments.reduce((n, s) => n + s.non2xx, 0),
    errors: segments.reduce((n, s) => n + s.errors, 0),
  };
  const problems: string[] = [];
  if (run.non2xx || run.errors) {
    problems.push(`${targets} replica(s): ${run.non2xx} non-2xx answers, ${run.errors} errors`);
  }
  const [row] = await withAdminClient(databaseUrl, async (c) => {
    const r = await c.query<{ n: string }>(
      `SELECT COUNT(*) AS n FROM obligations WHERE plan_id = $1 AND year = $2 AND stage = 'reported_to_ubnd'`,
      [BENCH_PLAN_ID, year],
    );
    return r.rows;
  });
  if (Number(row?.n) !== ids.length) {
    problems.push(`${targets} replica(s): ${row?.n} of ${ids.length} obligations reported`);
  }
  return { run, problems };
}

async function main(): Promise<number> {
  const baseUrl = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
  if (!baseUrl) {
    console.log(
      '[bench:replicas] skipped: it needs PostgreSQL. Set BENCH_DATABASE_URL (or TEST_DATABASE_URL) to a postgres:// URL where it may create a database.',
    );
    return 0;
  }
  const tmp = mkdtempSync(path.join(tmpdir(), 'dondoc-bench-replicas-'));
  const dbName = `dondoc_bench_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const databaseUrl = Object.assign(new URL(baseUrl), { pathname: `/${dbName}` }).toString();
  const problems: string[] = [];
  const runs: Run[] = [];
  const servers: BenchServer[] = [];
  const loadBefore = loadavg();
  let verified: unknown = null;
  try {
    await withAdminClient(baseUrl, (c) => c.query(`CREATE DATABASE ${dbName}`));
    const workflows = path.join(tmp, 'workflows');
    writeSyntheticPlan(workflows, OBLIGATIONS);
    const env = (i: number) => ({
      NODE_ENV: 'production',
      DATABASE_URL: databaseUrl,
      DONDOC_DATA_DIR: path.join(tmp, `data-${i}`),
      DONDOC_WORKFLOWS_DIR: workflows,
      DONDOC_ADMIN_PASSWORD: ADMIN_PASSWORD,
      DONDOC_JWT_SECRET: JWT_SECRET,
      DONDOC_AUDIT_KEY: 'bench-audit-key-0123456789abcdefghijklmnop',
      DONDOC_CLOCK: 'virtual',
      DONDOC_OPEN_CURRENT_CYCLE: 'false',
    });
    servers.push(...(await Promise.all([0, 1, 2].map((i) => startBenchServer(env(i))))));
    log(`3 servers ready on ${dbName}; ${OBLIGATIONS} obligations × 4 per run`);
    const { accessToken: adminToken } = await call<{ accessToken: string }>(
      servers[0]!.url,
      'POST',
      '/api/auth/login',
      null,
      { username: 'admin', password: ADMIN_PASSWORD },
    );
    // The officers of every synthetic agency and the aggregator.
    await withAdminClient(databaseUrl, async (c) => {
      const insert = numberPlaceholders(INSERT_USER);
      await c.query('BEGIN');
      const users = [
        BENCH_AGGREGATOR,
        ...Array.from({ length: OBLIGATIONS }, (_, i) => officerFor(agencyCode(i + 1))),
      ];
      for (const u of users) await c.query(insert, userParams(u, Date.now()));
      await c.query('COMMIT');
    });

    let year = FIRST_YEAR;
    for (let r = 0; r < ROUNDS; r++) {
      for (const targets of [1, 3]) {
        const { run, problems: p } = await runOnce(
          servers,
          targets,
          year++,
          databaseUrl,
          adminToken,
        );
        runs.push(run);
        problems.push(...p);
        log(
          `round ${r + 1}, ${targets} replica(s): ${run.commandsPerSecond.toFixed(0)} commands/s, p50 ${run.p50Ms.toFixed(0)} ms, p99 ${run.p99Ms.toFixed(0)} ms (load ${loadavg()[0]!.toFixed(1)})`,
        );
      }
    }
    const audit = await call<{ ok: boolean; events: number; problemCount: number }>(
      servers[1]!.url,
      'GET',
      '/api/audit/verify',
      adminToken,
      undefined,
    );
    verified = { ok: audit.ok, events: audit.events, problems: audit.problemCount };
    if (!audit.ok) problems.push('audit verify failed after the runs');
    const codes = await Promise.all(servers.map((s) => s.stop()));
    if (codes.some((c) => c !== 0)) problems.push(`exit codes on SIGTERM: ${codes.join(', ')}`);
  } catch (error) {
    problems.push(`benchmark aborted: ${(error as Error)?.stack ?? String(error)}`);
  } finally {
    await Promise.all(servers.map((s) => s.stop().catch(() => undefined)));
    await withAdminClient(baseUrl, (c) =>
      c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`),
    ).catch(() => undefined);
    rmSync(tmp, { recursive: true, force: true });
  }

  const one = runs.filter((r) => r.replicas === 1);
  const three = runs.filter((r) => r.replicas === 3);
  printTable(
    ['replicas', 'year', 'commands', 'seconds', 'commands/s', 'p50 ms', 'p99 ms'],
    runs.map((r) => [
      String(r.replicas),
      String(r.year),
      String(r.commands),
      r.seconds.toFixed(2),
      r.commandsPerSecond.toFixed(0),
      r.p50Ms.toFixed(1),
      r.p99Ms.toFixed(1),
    ]),
  );
  const mean = (list: Run[]) => list.reduce((s, r) => s + r.commandsPerSecond, 0) / list.length;
  if (one.length && three.length) {
    console.log(`\n3 replicas / 1 replica: ${(mean(three) / mean(one)).toFixed(2)}×`);
  }
  const loadAfter = loadavg();
  console.log(
    `load average (1 min) before ${loadBefore[0]!.toFixed(1)}, after ${loadAfter[0]!.toFixed(1)}; ${cpus().length} cores shared by the servers, PostgreSQL and the load generator`,
  );
  console.log(`audit verify after the runs: ${JSON.stringify(verified)}`);
  return finish(
    'bench-results-replicas.json',
    {
      generatedAt: new Date().toISOString(),
      node: process.version,
      cores: cpus().length,
      loadAverage: { before: loadBefore, after: loadAfter },
      obligations: OBLIGATIONS,
      connections: CONNECTIONS,
      runs,
      ratio3to1: one.length && three.length ? mean(three) / mean(one) : null,
      integrity: { ok: problems.length === 0, problems },
    },
    problems,
  );
}

process.exitCode = await main();
