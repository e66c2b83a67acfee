/**
 * HTTP throughput on loopback (autocannon) against the built server on SQLite, seeded with one
 * cycle of 10,000 obligations, beside the server's empty route (`GET /api/health/live`: the same
 * Nest stack, no database, no token) measured in the same run:
 * - `GET /api/obligations/:id` (random obligations, as admin);
 * - `GET /api/obligations?planId=&year=&pageSize=50&after=…` (keyset pages from random positions
 *   of the cycle; the default page size), and the same with pageSize=10;
 * - the 50-row list again while commands are written beside it (WRITES_PER_SECOND POSTs a
 *   second on one more connection): a page answered before is then re-validated by reading its
 *   rows' stamps instead of being answered from memory at once;
 * - `POST /api/obligations/:id/events`, each request on a different obligation: every
 *   obligation's officer starts it, then submits, then the aggregator aggregates and reports.
 * The routes are measured in interleaved rounds (empty, detail, list, small list, post; ×5) and each ratio
 * is the median over the rounds of the route's req/s over the empty route's in the same round.
 * The server runs in a child process; autocannon runs here. Prints req/s, p50 and p99 latency,
 * the ratios, the list query's plan and the server's peak RSS. A benchmark, not a test: it
 * fails (exit 1) only when a request fails or the final stages are not what was sent.
 *
 * `npm run bench:http`. BENCH_SERVER_NODE_ARGS passes node options to the server (e.g.
 * `--cpu-prof`). Overrides: BENCH_OBLIGATIONS, BENCH_ROUNDS, BENCH_SEGMENT (s per GET
 * segment), BENCH_CONNECTIONS, BENCH_ROUTES (a comma-separated subset of detail, list, small,
 * written, post to measure beside the empty route, e.g. `list` to profile one route; default all).
 */
import 'reflect-metadata';
import type { Request } from 'autocannon';
import BetterSqlite3 from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import type { Sql } from '../database/database.js';
import { decodeCursor, type SortKey } from '../obligations/obligation-cursor.js';
import { ObligationRepository } from '../obligations/obligation.repository.js';
import {
  BENCH_AGGREGATOR,
  INSERT_USER,
  officerFor,
  tokenSigner,
  userParams,
  type BenchUser,
} from './bench-users.js';
import {
  figures,
  finish,
  printTable,
  runSegment,
  type RouteFigures,
  type Segment,
  lifecycleRequests,
} from './http-load.js';
import { call, startBenchServer, type BenchServer } from './server-process.js';
import { BENCH_PLAN_ID, BENCH_YEAR, writeSyntheticPlan } from './synthetic-plan.js';
import { envInt } from './bench-env.js';

const OBLIGATIONS = envInt('BENCH_OBLIGATIONS', 10_000);
const SEGMENT = envInt('BENCH_SEGMENT', 4);
const CONNECTIONS = envInt('BENCH_CONNECTIONS', 32);
/** The list's default page size, and a small page (a phone screen) for comparison. */
const PAGE_SIZE = 50;
const SMALL_PAGE = 10;
const ADMIN_PASSWORD = 'bench-admin-password';
const JWT_SECRET = 'bench-jwt-secret-0123456789abcdefghijklmnopqrstuv';
/** The server's virtual time: the cycle is open and nothing is due (no sweep work). */
const NOW = '2025-06-01T03:00:00.000Z';
const TARGETS: Record<string, number> = { get: 0.5, post: 0.3 };

const ROUNDS = envInt('BENCH_ROUNDS', 5);
const ROUTE_NAMES = ['detail', 'list', 'small', 'written', 'post'] as const;
/** Commands a second written beside the `written` list segments. */
const WRITES_PER_SECOND = 100;
type RouteName = (typeof ROUTE_NAMES)[number];
/** The routes measured beside the empty route (BENCH_ROUTES). */
function chosenRoutes(): ReadonlySet<RouteName> {
  const raw = process.env.BENCH_ROUTES?.trim();
  if (!raw) return new Set(ROUTE_NAMES);
  const names = raw.split(',').map((n) => n.trim());
  const unknown = names.filter((n) => !(ROUTE_NAMES as readonly string[]).includes(n));
  if (unknown.length > 0) {
    throw new Error(
      `BENCH_ROUTES: unknown route ${unknown.map((n) => `"${n}"`).join(', ')}; expected a comma-separated subset of ${ROUTE_NAMES.join(', ')}`,
    );
  }
  return new Set(names as RouteName[]);
}
const ROUTES = chosenRoutes();
/** Stage after 0, 1, … of the POST steps. */
const STAGE_AFTER = [
  'plan_drafted',
  'implementing',
  'report_submitted',
  'aggregated',
  'reported_to_ubnd',
];

type Setup = (req: Request) => Request;

const log = (msg: string) => console.log(`[bench:http] ${msg}`);
const seconds = (since: number) => ((performance.now() - since) / 1000).toFixed(1);
const rps = (s: Segment) => (s.requests / s.seconds).toFixed(0);

/** Runs the list query's statements through EXPLAIN QUERY PLAN on the server's database file. */
async function listQueryPlan(file: string, ids: number, after: SortKey): Promise<string[]> {
  const conn = new BetterSqlite3(file, { readonly: true });
  try {
    const seen: Array<{ text: string; params: unknown[] }> = [];
    const recorder: Sql = {
      dialect: 'sqlite',
      query: async <T>(text: string, params: unknown[] = []) => {
        seen.push({ text, params });
        return [] as T[];
      },
      queryArrays: async (text: string, params: unknown[] = []) => {
        seen.push({ text, params });
        return [];
      },
      execute: async () => 0,
      insertReturningId: async () => 0,
    };
    const filter = { planId: BENCH_PLAN_ID, year: BENCH_YEAR, now: Date.parse(NOW) };
    await ObligationRepository.list(recorder, filter, {
      offset: Math.floor(ids / 2),
      limit: PAGE_SIZE,
    });
    await ObligationRepository.listStamps(recorder, filter, { after, limit: PAGE_SIZE });
    return seen.map(({ text, params }) => {
      const plan = conn.prepare(`EXPLAIN QUERY PLAN ${text}`).all(...params) as Array<{
        detail: string;
      }>;
      return `${text.replace(/\s+/g, ' ').slice(0, 110)}…\n    → ${plan.map((p) => p.detail).join('; ')}`;
    });
  } finally {
    conn.close();
  }
}

async function main(): Promise<number> {
  const tmp = mkdtempSync(path.join(tmpdir(), 'dondoc-bench-http-'));
  const problems: string[] = [];
  let server: BenchServer | undefined;
  const routes: RouteFigures[] = [];
  let emptyRoute: RouteFigures | undefined;
  let plan: string[] = [];
  let peakRss: number | null = null;
  let peakRssSeeding: number | null = null;
  const loadBefore = loadavg();
  try {
    const workflows = path.join(tmp, 'workflows');
    const dataDir = path.join(tmp, 'data');
    writeSyntheticPlan(workflows, OBLIGATIONS);
    server = await startBenchServer(
      {
        NODE_ENV: 'production',
        DONDOC_DATA_DIR: dataDir,
        DONDOC_WORKFLOWS_DIR: workflows,
        DONDOC_ADMIN_PASSWORD: ADMIN_PASSWORD,
        DONDOC_JWT_SECRET: JWT_SECRET,
        DONDOC_CLOCK: 'virtual',
        DONDOC_OPEN_CURRENT_CYCLE: 'false',
        DONDOC_LOGIN_RATE_LIMIT: '1000',
      },
      (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(/\s+/).filter(Boolean),
    );
    const { url } = server;
    const login = await call<{ accessToken: string }>(url, 'POST', '/api/auth/login', null, {
      username: 'admin',
      password: ADMIN_PASSWORD,
    });
    const adminToken = login.accessToken;
    await call(url, 'POST', '/api/admin/clock', adminToken, { now: NOW });
    let started = performance.now();
    const opened = await call<{ obligations: Array<{ id: string; agencyCode: string }> }>(
      url,
      'POST',
      `/api/plans/${BENCH_PLAN_ID}/cycles`,
      adminToken,
      { year: BENCH_YEAR },
    );
    const obligations = opened.obligations;
    log(`cycle opened: ${obligations.length} obligations (${seconds(started)} s)`);
    if (obligations.length !== OBLIGATIONS) {
      problems.push(`cycle opened ${obligations.length} obligations, not ${OBLIGATIONS}`);
    }

    // Officers (one per agency) and the aggregator, inserted into the server's database.
    started = performance.now();
    const dbFile = path.join(dataDir, 'dondoc.sqlite');
    const users: BenchUser[] = [
      BENCH_AGGREGATOR,
      ...obligations.map((o) => officerFor(o.agencyCode)),
    ];
    const conn = new BetterSqlite3(dbFile, { timeout: 10_000 });
    const insert = conn.prepare(INSERT_USER);
    conn.transaction(() => {
      for (const u of users) insert.run(...userParams(u, Date.parse(NOW)));
    })();
    conn.close();
    const sign = tokenSigner(JWT_SECRET, Date.parse(NOW));
    const officerTokens = obligations.map((o) => sign(officerFor(o.agencyCode)));
    const aggregatorToken = sign(BENCH_AGGREGATOR);
    log(`${users.length} users and their tokens (${seconds(started)} s)`);

    const ids = obligations.map((o) => o.id);
    const auth = { authorization: `Bearer ${adminToken}` };
    const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)]!;
    const segment = (duration: number, request: Request & { setupRequest?: Setup }) =>
      runSegment({ url, connections: CONNECTIONS, duration, requests: [request] });
    const empty = (d: number) => segment(d, { path: '/api/health/live' });
    const detail = (d: number) =>
      segment(d, {
        method: 'GET',
        headers: auth,
        setupRequest: (req) => ({ ...req, path: `/api/obligations/${pick(ids)}` }),
      });
    // Keyset pages (`after`, the previous page's `nextCursor`) from random positions: the
    // cursors of every page of the cycle are collected first by walking it once.
    const listPath = `/api/obligations?planId=${BENCH_PLAN_ID}&year=${BENCH_YEAR}`;
    const cursors = new Map<number, string[]>();
    for (const size of [PAGE_SIZE, SMALL_PAGE]) {
      const found: string[] = [];
      let next: string | null = null;
      do {
        const after: string = next ? `&after=${encodeURIComponent(next)}` : '';
        const page: { nextCursor: string | null } = await call(
          url,
          'GET',
          `${listPath}&pageSize=${size}${after}`,
          adminToken,
          undefined,
        );
        next = page.nextCursor;
        if (next) found.push(next);
      } while (next);
      cursors.set(size, found);
    }
    const list = (d: number, size = PAGE_SIZE) =>
      segment(d, {
        method: 'GET',
        headers: auth,
        setupRequest: (req) => ({
          ...req,
          path: `${listPath}&pageSize=${size}&after=${encodeURIComponent(pick(cursors.get(size)!))}`,
        }),
      });
    const { request: postRequest, total: capacity } = lifecycleRequests(
      ids,
      officerTokens,
      aggregatorToken,
    );
    // A POST segment sends at most what is left of the obligations' steps.
    const posts = (budget: number) =>
      runSegment({ url, connections: CONNECTIONS, amount: budget, requests: [postRequest] });

    peakRssSeeding = server.peakRssMiB();
    if (!server.resetPeakRss()) log('cannot reset the peak RSS: the figure includes seeding');
    log(`warm-up, then ${ROUNDS} rounds of ${SEGMENT} s per route, ${CONNECTIONS} connections`);
    const run: Record<RouteName, () => Promise<Segment>> = {
      detail: () => detail(SEGMENT),
      list: () => list(SEGMENT),
      small: () => list(SEGMENT, SMALL_PAGE),
      written: async () => {
        const [pages, writes] = await Promise.all([
          list(SEGMENT),
          runSegment({
            url,
            connections: 1,
            overallRate: WRITES_PER_SECOND,
            // A count, not a duration: a duration's last requests may land uncounted.
            amount: WRITES_PER_SECOND * SEGMENT,
            requests: [postRequest],
          }),
        ]);
        writesBeside.push(writes);
        return pages;
      },
      post: () => posts(postBudget),
    };
    const names: Record<RouteName, string> = {
      detail: 'GET /api/obligations/:id',
      list: `GET /api/obligations?…&pageSize=${PAGE_SIZE}&after=…`,
      small: `GET /api/obligations?…&pageSize=${SMALL_PAGE}&after=…`,
      written: `GET /api/obligations?…&pageSize=${PAGE_SIZE}&after=…, ${WRITES_PER_SECOND} commands/s beside`,
      post: 'POST /api/obligations/:id/events',
    };
    const measured = ROUTE_NAMES.filter((n) => ROUTES.has(n));
    /** The commands written beside the `written` segments. */
    const writesBeside: Segment[] = [];
    // The POST segments leave room for the commands written beside the list.
    const reserve = ROUTES.has('written') ? 2 * WRITES_PER_SECOND * SEGMENT * ROUNDS : 0;
    const postBudget = Math.floor((capacity - reserve) / ROUNDS);
    await empty(2);
    if (ROUTES.has('detail')) await detail(2);
    if (ROUTES.has('list') || ROUTES.has('small')) await list(2);
    const seg: Record<'empty' | RouteName, Segment[]> = {
      empty: [],
      detail: [],
      list: [],
      small: [],
      written: [],
      post: [],
    };
    for (let r = 0; r < ROUNDS; r++) {
      seg.empty.push(await empty(SEGMENT));
      for (const n of measured) seg[n].push(await run[n]());
      const figuresNow = measured.map((n) => `${n} ${rps(seg[n][r]!)}`).join(', ');
      log(
        `round ${r + 1}: empty ${rps(seg.empty[r]!)}, ${figuresNow} req/s (load ${loadavg()[0]!.toFixed(1)})`,
      );
    }
    const emptyRps = seg.empty.map((x) => x.requests / x.seconds);
    emptyRoute = figures('empty route GET /api/health/live', seg.empty, emptyRps);
    for (const n of measured) routes.push(figures(names[n], seg[n], emptyRps));

    // Integrity: every step was sent once to every obligation, in order, and accepted.
    const summary = await call<{ counts: { byStage: Record<string, number> } }>(
      url,
      'GET',
      `/api/plans/${BENCH_PLAN_ID}/cycles/${BENCH_YEAR}`,
      adminToken,
      undefined,
    );
    const sent = [...seg.post, ...writesBeside].reduce((s, x) => s + x.requests, 0);
    const expected: Record<string, number> = {};
    for (let i = 0; i < ids.length; i++) {
      const stage = STAGE_AFTER[Math.floor(sent / ids.length) + (i < sent % ids.length ? 1 : 0)]!;
      expected[stage] = (expected[stage] ?? 0) + 1;
    }
    const actual = Object.fromEntries(
      Object.entries(summary.counts.byStage).filter(([, n]) => n > 0),
    );
    if (
      JSON.stringify(actual, Object.keys(actual).sort()) !==
      JSON.stringify(expected, Object.keys(expected).sort())
    ) {
      problems.push(
        `after ${sent} commands the stages are ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`,
      );
    }
    for (const r of [emptyRoute, ...routes]) {
      if (r.non2xx || r.errors) problems.push(`${r.name}: ${r.non2xx} non-2xx, ${r.errors} errors`);
    }
    peakRss = server.peakRssMiB();
    const middle = cursors.get(PAGE_SIZE)![Math.floor(cursors.get(PAGE_SIZE)!.length / 2)]!;
    plan = await listQueryPlan(dbFile, ids.length, decodeCursor(middle));
    const code = await server.stop();
    if (code !== 0) problems.push(`server exited with ${code} on SIGTERM`);
    server = undefined;
  } catch (error) {
    problems.push(`benchmark aborted: ${(error as Error)?.stack ?? String(error)}`);
    if (server)
      problems.push(`server output (last 2,000 characters): ${server.output().slice(-2000)}`);
  } finally {
    if (server) await server.stop().catch(() => undefined);
    rmSync(tmp, { recursive: true, force: true });
  }

  const kindOf = (name: string) => (name.startsWith('POST') ? 'post' : 'get');
  // The issue's GET target is for each route alone beside the empty route, which runs with no
  // writes; the list with commands written beside it is shown for information (its cache).
  const targetCell = (r: { name: string; ratio: number }) => {
    if (r.name.endsWith('beside')) return 'none (information)';
    const target = TARGETS[kindOf(r.name)]!;
    return `≥ ${target} ${r.ratio >= target ? 'met' : 'NOT met'}`;
  };
  printTable(
    [
      'route',
      'requests',
      'req/s',
      'p50 ms',
      'p99 ms',
      'ratio to empty (median of rounds)',
      'target',
    ],
    [
      ...(emptyRoute
        ? [
            [
              emptyRoute.name,
              String(emptyRoute.requests),
              emptyRoute.reqPerSec.toFixed(0),
              emptyRoute.p50Ms.toFixed(1),
              emptyRoute.p99Ms.toFixed(1),
              '1',
              '-',
            ],
          ]
        : []),
      ...routes.map((r) => [
        r.name,
        String(r.requests),
        r.reqPerSec.toFixed(0),
        r.p50Ms.toFixed(1),
        r.p99Ms.toFixed(1),
        `${r.ratio.toFixed(2)} (${r.roundRatios.map((x) => x.toFixed(2)).join(', ')})`,
        targetCell(r),
      ]),
    ],
  );
  const loadAfter = loadavg();
  console.log(
    `\nload average (1 min) before ${loadBefore[0]!.toFixed(1)}, after ${loadAfter[0]!.toFixed(1)}; ${cpus().length} cores`,
  );
  const mib = (v: number | null) => (v === null ? 'n/a' : `${v.toFixed(0)} MiB`);
  console.log(
    `server peak RSS: ${mib(peakRss)} under load; ${mib(peakRssSeeding)} while seeding (opening the cycle answers all ${OBLIGATIONS} obligations at once)`,
  );
  console.log('list query plan (SQLite):');
  for (const p of plan) console.log(`  ${p}`);
  const results = {
    generatedAt: new Date().toISOString(),
    node: process.version,
    cores: cpus().length,
    loadAverage: { before: loadBefore, after: loadAfter },
    obligations: OBLIGATIONS,
    connections: CONNECTIONS,
    rounds: ROUNDS,
    segmentSeconds: SEGMENT,
    emptyRoute: emptyRoute && { ...emptyRoute },
    routes,
    serverPeakRssMiB: { underLoad: peakRss, seeding: peakRssSeeding },
    listQueryPlan: plan,
    integrity: { ok: problems.length === 0, problems },
  };
  return finish('bench-results-http.json', results, problems);
}

process.exitCode = await main();
