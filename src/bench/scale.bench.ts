/**
 * Scale: does a large table slow the per-request reads down, or grow the server? Two SQLite
 * databases are seeded (audit-seed.ts, in child processes: obligations × 4 events with valid
 * chains, ledger and snapshots): a small one of 10,000 obligations and a large one of
 * 1,000,000. Both hold cycles of the same size (BENCH_SCALE_CYCLE = 10,000 obligations, the
 * synthetic plan's agencies): the small one a single cycle, the large one 100 cycles (years
 * 2025 …), so the only difference is the size of the tables. The built server runs on each (two
 * child processes, started in turn and then both up), and autocannon measures, in interleaved
 * rounds (small, large, small, …), on random cycles:
 * - detail `GET /api/obligations/:id` of random obligations;
 * - a cycle list's first page (`?planId=&year=&pageSize=50`, with its total);
 * - keyset pages from random positions (`after`: the cursor of a random row of the cycle);
 * - for information, random page numbers (`page=`, OFFSET);
 * and then times the cycle dashboard (`GET /api/plans/:planId/cycles/:year`, sequentially).
 * Prints req/s, p50 and p99 per route and database, the large/small latency ratios (target
 * ≤ 2×), the servers' peak RSS under load (VmHWM; target < 300 MB) and the query plans, and
 * writes bench-results-scale.json. A benchmark, not a test: it fails (exit 1) only on integrity
 * problems (failed requests, wrong rows, cursor and page walks that differ), never on speed.
 *
 * `npm run bench:scale`. Overrides: BENCH_SCALE_OBLIGATIONS (1000000), BENCH_SCALE_SMALL
 * (10000), BENCH_SCALE_CYCLE (10000), BENCH_ROUNDS (3), BENCH_SEGMENT (s, 5),
 * BENCH_CONNECTIONS (16), BENCH_SCALE_NODE_ARGS (node options of the servers, e.g.
 * `--max-old-space-size=192`), BENCH_KEEP_TMP=1 keeps the databases; BENCH_SCALE_DIR=<folder> seeds
 * into that folder and keeps it, or reuses the databases an earlier run seeded there.
 */
import 'reflect-metadata';
import type { Request } from 'autocannon';
import BetterSqlite3 from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Sql } from '../database/database.js';
import { encodeCursor } from '../obligations/obligation-cursor.js';
import { ObligationRepository, type PageRequest } from '../obligations/obligation.repository.js';
import { FIRST_YEAR, obligationId, type AuditSeed } from './audit-seed.js';
import { envInt } from './bench-env.js';
import {
  figures,
  finish,
  median,
  percentile,
  printTable,
  runSegment,
  type Segment,
} from './http-load.js';
import { call, startBenchServer, type BenchServer } from './server-process.js';
import { agencyCode, BENCH_PLAN_ID, writeSyntheticPlan } from './synthetic-plan.js';

const LARGE = envInt('BENCH_SCALE_OBLIGATIONS', 1_000_000);
const SMALL = envInt('BENCH_SCALE_SMALL', 10_000);
const CYCLE = envInt('BENCH_SCALE_CYCLE', 10_000);
const ROUNDS = envInt('BENCH_ROUNDS', 3);
const SEGMENT = envInt('BENCH_SEGMENT', 5);
const CONNECTIONS = envInt('BENCH_CONNECTIONS', 16);
const DASHBOARD_RUNS = 5;
const KEEP = process.env.BENCH_KEEP_TMP === '1';
/** Node options for the servers, e.g. `--max-old-space-size=192` (space-separated). */
const NODE_ARGS = (process.env.BENCH_SCALE_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
/** A folder to seed into, or to reuse the databases of an earlier run from. */
const DIR = process.env.BENCH_SCALE_DIR || null;
const PAGE_SIZE = 50;
const ADMIN_PASSWORD = 'bench-admin-password';
const JWT_SECRET = 'bench-jwt-secret-0123456789abcdefghijklmnopqrstuv';
/** The servers' virtual time: after every seeded cycle, so every cycle is past due on both. */
const NOW = `${FIRST_YEAR + Math.ceil(LARGE / CYCLE) + 1}-01-01T03:00:00.000Z`;
const TARGET_RATIO = 2;
const TARGET_RSS_MB = 300;

const log = (msg: string) => console.log(`[bench:scale] ${msg}`);
const ROUTES = ['detail', 'first page', 'keyset page', 'page number'] as const;
type Route = (typeof ROUTES)[number];

interface Database {
  label: 'small' | 'large';
  obligations: number;
  years: number;
  dataDir: string;
  workflows: string;
  seed?: AuditSeed;
  server?: BenchServer;
  token?: string;
  rssAfterStartMiB?: number | null;
  segments: Record<Route, Segment[]>;
  dashboardMs: number[];
  dashboardTotal?: number;
  peakRssMiB?: number | null;
  plans?: string[];
}

const pick = (n: number) => Math.floor(Math.random() * n);

/** Seeds a database in a child process (its memory is not this process's). */
function seed(db: Database): AuditSeed {
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'audit-seed.js');
  const run = spawnSync(
    process.execPath,
    [script, db.dataDir, String(db.obligations), 'synthetic', String(db.years)],
    { encoding: 'utf8', maxBuffer: 1 << 24 },
  );
  if (run.status !== 0) throw new Error(`seeding failed: ${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').pop()!) as AuditSeed;
}

/** The list queries' plans on the database file (EXPLAIN QUERY PLAN). */
async function queryPlans(file: string): Promise<string[]> {
  const conn = new BetterSqlite3(file, { readonly: true });
  try {
    const out: string[] = [];
    const cases: Array<[string, PageRequest]> = [
      ['first page', { offset: 0, limit: PAGE_SIZE }],
      [
        'keyset page',
        { after: [BENCH_PLAN_ID, FIRST_YEAR, agencyCode(5), agencyCode(5)], limit: PAGE_SIZE },
      ],
      ['dashboard page', { limit: 500, count: false }],
    ];
    for (const [name, page] of cases) {
      const seen: Array<{ text: string; params: unknown[] }> = [];
      const recorder: Sql = {
        dialect: 'sqlite',
        query: async <T>(text: string, params: unknown[] = []) => (
          seen.push({ text, params }),
          [] as T[]
        ),
        queryArrays: async (text: string, params: unknown[] = []) => (
          seen.push({ text, params }),
          []
        ),
        execute: async () => 0,
        insertReturningId: async () => 0,
      };
      await ObligationRepository.list(
        recorder,
        { planId: BENCH_PLAN_ID, year: FIRST_YEAR, now: Date.parse(NOW) },
        page,
      );
      for (const { text, params } of seen) {
        const plan = conn.prepare(`EXPLAIN QUERY PLAN ${text}`).all(...params) as Array<{
          detail: string;
        }>;
        const what = text.includes('COUNT(*)') ? 'count' : 'rows';
        out.push(`${name} (${what}): ${plan.map((p) => p.detail).join('; ')}`);
      }
    }
    return out;
  } finally {
    conn.close();
  }
}

async function startServer(db: Database): Promise<void> {
  db.server = await startBenchServer(
    {
      NODE_ENV: 'production',
      DONDOC_DATA_DIR: db.dataDir,
      DONDOC_WORKFLOWS_DIR: db.workflows,
      DONDOC_ADMIN_PASSWORD: ADMIN_PASSWORD,
      DONDOC_JWT_SECRET: JWT_SECRET,
      DONDOC_CLOCK: 'virtual',
      DONDOC_OPEN_CURRENT_CYCLE: 'false',
    },
    NODE_ARGS,
  );
  const login = () =>
    call<{ accessToken: string }>(db.server!.url, 'POST', '/api/auth/login', null, {
      username: 'admin',
      password: ADMIN_PASSWORD,
    });
  await call(db.server.url, 'POST', '/api/admin/clock', (await login()).accessToken, { now: NOW });
  // Again at the new time: the first token expired when the clock moved on.
  db.token = (await login()).accessToken;
  db.rssAfterStartMiB = db.server.peakRssMiB();
}

/** One autocannon segment of a route against one database. */
function segment(db: Database, route: Route, seconds: number): Promise<Segment> {
  const year = () => FIRST_YEAR + pick(db.years);
  const list = () =>
    `/api/obligations?planId=${BENCH_PLAN_ID}&year=${year()}&pageSize=${PAGE_SIZE}`;
  const paths: Record<Route, () => string> = {
    detail: () => `/api/obligations/${obligationId(pick(db.obligations))}`,
    'first page': list,
    'keyset page': () => {
      const code = agencyCode(1 + pick(CYCLE));
      return `${list()}&after=${encodeCursor([BENCH_PLAN_ID, year(), code, code])}`;
    },
    'page number': () => `${list()}&page=${1 + pick(Math.ceil(CYCLE / PAGE_SIZE))}`,
  };
  const request: Request & { setupRequest: (r: Request) => Request } = {
    method: 'GET',
    headers: { authorization: `Bearer ${db.token}` },
    setupRequest: (r) => ({ ...r, path: paths[route]() }),
  };
  return runSegment({
    url: db.server!.url,
    connections: CONNECTIONS,
    duration: seconds,
    requests: [request],
  });
}

/** Checks the answers themselves: rows of the right cycle, cursor walk = page walk. */
async function integrity(db: Database, problems: string[]): Promise<void> {
  const get = <T>(route: string) => call<T>(db.server!.url, 'GET', route, db.token!, undefined);
  const i = db.obligations - 1;
  const last = await get<{ id: string; year: number; agencyCode: string }>(
    `/api/obligations/${obligationId(i)}`,
  );
  const expectedYear = FIRST_YEAR + (i % db.years);
  const expectedAgency = agencyCode(1 + Math.floor(i / db.years));
  if (last.year !== expectedYear || last.agencyCode !== expectedAgency) {
    problems.push(`${db.label}: obligation ${i} is ${last.agencyCode}/${last.year}`);
  }
  type Page = {
    items: Array<{ id: string; year: number }>;
    total: number | null;
    nextCursor: string | null;
  };
  const year = FIRST_YEAR + db.years - 1;
  const base = `/api/obligations?planId=${BENCH_PLAN_ID}&year=${year}&pageSize=${PAGE_SIZE}`;
  let cursor: string | null = null;
  for (let page = 1; page <= 3; page++) {
    const numbered = await get<Page>(`${base}&page=${page}`);
    if (numbered.total !== CYCLE) problems.push(`${db.label}: cycle total ${numbered.total}`);
    if (numbered.items.some((o) => o.year !== year))
      problems.push(`${db.label}: row of another year`);
    if (cursor !== null) {
      const keyset: Page = await get<Page>(`${base}&after=${cursor}`);
      if (keyset.items.map((o) => o.id).join() !== numbered.items.map((o) => o.id).join()) {
        problems.push(`${db.label}: page ${page} by cursor differs from page ${page} by number`);
      }
    }
    cursor = numbered.nextCursor;
  }
}

/** Times the cycle dashboard, one request at a time. */
async function dashboard(db: Database, problems: string[]): Promise<void> {
  for (let r = 0; r < DASHBOARD_RUNS; r++) {
    const year = FIRST_YEAR + pick(db.years);
    const start = performance.now();
    const stats = await call<{ counts: { total: number } }>(
      db.server!.url,
      'GET',
      `/api/plans/${BENCH_PLAN_ID}/cycles/${year}`,
      db.token!,
      undefined,
    );
    db.dashboardMs.push(performance.now() - start);
    db.dashboardTotal = stats.counts.total;
    if (stats.counts.total !== CYCLE) {
      problems.push(`${db.label}: dashboard of ${year} counts ${stats.counts.total}, not ${CYCLE}`);
    }
  }
}

async function main(): Promise<number> {
  if (DIR) mkdirSync(DIR, { recursive: true });
  const tmp = DIR ?? mkdtempSync(path.join(tmpdir(), 'dondoc-bench-scale-'));
  const problems: string[] = [];
  const loadBefore = loadavg();
  const loads: number[] = [];
  const dbs: Database[] = (
    [
      ['small', SMALL],
      ['large', LARGE],
    ] as const
  ).map(([label, obligations]) => ({
    label,
    obligations,
    years: Math.max(1, Math.round(obligations / CYCLE)),
    dataDir: path.join(tmp, `${obligations}`, 'data'),
    workflows: path.join(tmp, `${obligations}`, 'workflows'),
    segments: { detail: [], 'first page': [], 'keyset page': [], 'page number': [] },
    dashboardMs: [],
  }));
  try {
    for (const db of dbs) {
      if (db.obligations !== db.years * CYCLE) {
        throw new Error(`${db.label}: ${db.obligations} is not a multiple of the cycle (${CYCLE})`);
      }
      const started = performance.now();
      const seedFile = path.join(db.dataDir, '..', 'seed.json');
      if (existsSync(seedFile)) {
        db.seed = JSON.parse(readFileSync(seedFile, 'utf8')) as AuditSeed;
        log(`${db.label}: reusing the database in ${path.dirname(seedFile)}`);
      } else {
        db.seed = seed(db);
        writeFileSync(seedFile, JSON.stringify(db.seed));
      }
      log(
        `${db.label}: seeded ${db.seed.obligations} obligations, ${db.seed.events} events, ` +
          `${db.years} cycle(s) of ${CYCLE}, ${db.seed.fileMiB} MiB in ${((performance.now() - started) / 1000).toFixed(0)} s`,
      );
      writeSyntheticPlan(db.workflows, CYCLE);
      db.plans = await queryPlans(path.join(db.dataDir, 'dondoc.sqlite'));
    }
    for (const db of dbs) {
      await startServer(db);
      log(`${db.label}: server up, RSS after start ${db.rssAfterStartMiB?.toFixed(0)} MiB`);
      await integrity(db, problems);
    }
    log(`warm-up, then ${ROUNDS} rounds × ${ROUTES.length} routes × ${SEGMENT} s per database`);
    for (const db of dbs) {
      for (const route of ROUTES) await segment(db, route, 2);
      if (!db.server!.resetPeakRss()) log('cannot reset the peak RSS: it includes the start');
    }
    for (let r = 0; r < ROUNDS; r++) {
      for (const route of ROUTES) {
        for (const db of dbs) db.segments[route].push(await segment(db, route, SEGMENT));
      }
      loads.push(loadavg()[0]!);
      log(
        `round ${r + 1}: ` +
          ROUTES.map((route) =>
            dbs
              .map((db) => {
                const s = db.segments[route][r]!;
                return (s.requests / s.seconds).toFixed(0);
              })
              .join('/'),
          ).join(', ') +
          ` req/s (small/large: ${ROUTES.join(', ')}); load ${loadavg()[0]!.toFixed(1)}`,
      );
    }
    for (const db of dbs) db.peakRssMiB = db.server!.peakRssMiB();
    for (const db of dbs) await dashboard(db, problems);
    for (const db of dbs) {
      for (const route of ROUTES) {
        const f = figures(
          route,
          db.segments[route],
          db.segments[route].map(() => 1),
        );
        if (f.non2xx || f.errors) {
          problems.push(`${db.label} ${route}: ${f.non2xx} non-2xx, ${f.errors} errors`);
        }
      }
      const code = await db.server!.stop();
      if (code !== 0) problems.push(`${db.label}: server exited with ${code} on SIGTERM`);
      db.server = undefined;
    }
  } catch (error) {
    problems.push(`benchmark aborted: ${(error as Error)?.stack ?? String(error)}`);
  } finally {
    for (const db of dbs) await db.server?.stop().catch(() => undefined);
    if (KEEP || DIR) log(`kept ${tmp}`);
    else rmSync(tmp, { recursive: true, force: true });
  }

  const [small, large] = dbs as [Database, Database];
  const stat = (db: Database, route: Route) => {
    const segs = db.segments[route];
    const latencies = segs.flatMap((s) => s.latencies).sort((a, b) => a - b);
    const requests = segs.reduce((n, s) => n + s.requests, 0);
    const seconds = segs.reduce((n, s) => n + s.seconds, 0);
    return {
      requests,
      reqPerSec: seconds ? requests / seconds : NaN,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
    };
  };
  const routes = ROUTES.map((route) => {
    const s = stat(small, route);
    const l = stat(large, route);
    return {
      route,
      small: s,
      large: l,
      ratio: {
        p50: l.p50Ms / s.p50Ms,
        p99: l.p99Ms / s.p99Ms,
        reqPerSec: s.reqPerSec / l.reqPerSec,
      },
    };
  });
  const fmt = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
  printTable(
    [
      'route',
      'db',
      'requests',
      'req/s',
      'p50 ms',
      'p99 ms',
      'large/small p50',
      'p99',
      'target ≤ 2×',
    ],
    routes.flatMap((r) => [
      [
        r.route,
        `${small.obligations}`,
        String(r.small.requests),
        fmt(r.small.reqPerSec, 0),
        fmt(r.small.p50Ms),
        fmt(r.small.p99Ms),
        '',
        '',
        '',
      ],
      [
        '',
        `${large.obligations}`,
        String(r.large.requests),
        fmt(r.large.reqPerSec, 0),
        fmt(r.large.p50Ms),
        fmt(r.large.p99Ms),
        `${fmt(r.ratio.p50, 2)}×`,
        `${fmt(r.ratio.p99, 2)}×`,
        r.route === 'page number'
          ? '(information)'
          : r.ratio.p50 <= TARGET_RATIO && r.ratio.p99 <= TARGET_RATIO
            ? 'met'
            : 'NOT met',
      ],
    ]),
  );
  const dash = dbs.map((db) => ({
    obligations: db.obligations,
    medianMs: median(db.dashboardMs),
    minMs: Math.min(...db.dashboardMs),
    runs: db.dashboardMs,
  }));
  console.log(
    `\ncycle dashboard GET /api/plans/:planId/cycles/:year (a cycle of ${CYCLE}), median of ${DASHBOARD_RUNS}: ` +
      dash.map((d) => `${d.obligations}: ${fmt(d.medianMs)} ms`).join(', ') +
      ` (${fmt(dash[1]!.medianMs / dash[0]!.medianMs, 2)}×)`,
  );
  for (const db of dbs) {
    const ok = db.peakRssMiB != null && db.peakRssMiB * 1.048576 < TARGET_RSS_MB;
    console.log(
      `server peak RSS (${db.obligations}): ${fmt(db.peakRssMiB ?? NaN, 0)} MiB under load ` +
        `(${fmt(db.rssAfterStartMiB ?? NaN, 0)} MiB after start); target < ${TARGET_RSS_MB} MB ${ok ? 'met' : 'NOT met'}`,
    );
  }
  const loadAfter = loadavg();
  console.log(
    `load average (1 min) before ${loadBefore[0]!.toFixed(1)}, per round ${loads.map((l) => l.toFixed(1)).join(', ')}, after ${loadAfter[0]!.toFixed(1)}; ${cpus().length} cores`,
  );
  for (const db of dbs) {
    console.log(`query plans (${db.obligations}):`);
    for (const p of db.plans ?? []) console.log(`  ${p}`);
  }
  const results = {
    generatedAt: new Date().toISOString(),
    node: process.version,
    cores: cpus().length,
    loadAverage: { before: loadBefore, rounds: loads, after: loadAfter },
    connections: CONNECTIONS,
    serverNodeArgs: NODE_ARGS,
    rounds: ROUNDS,
    segmentSeconds: SEGMENT,
    cycleSize: CYCLE,
    databases: dbs.map((db) => ({
      obligations: db.obligations,
      cycles: db.years,
      seed: db.seed,
      serverRssMiB: { afterStart: db.rssAfterStartMiB, peakUnderLoad: db.peakRssMiB },
      queryPlans: db.plans,
    })),
    routes,
    dashboard: dash,
    targets: { latencyRatio: TARGET_RATIO, rssMB: TARGET_RSS_MB },
    integrity: { ok: problems.length === 0, problems },
  };
  return finish('bench-results-scale.json', results, problems);
}

process.exitCode = await main();
