/**
 * Property-based fuzzing of the HTTP API with fast-check: random methods, paths built from the
 * real route templates, query strings, bodies and headers, sent by callers that may never write
 * (anonymous, forged tokens, the auditor, an officer of another agency than the target).
 *
 * Property: no answer is a 5xx; every error has the contract's shape; nothing changes in the
 * database (checked after every request and over the whole run).
 *
 * Reproduce a run with FUZZ_SEED=<seed> (logged at the end); FUZZ_RUNS changes the count.
 */
import { createHmac } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { ConsoleLogger } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import fc from 'fast-check';
import request from 'supertest';
import { ROLES } from '../../src/core/access/caller.js';
import { EVENT_TYPES, STAGES } from '../../src/core/machine/obligation-events.js';
import { Database } from '../../src/database/database.js';
import { describeEachDatabase } from '../support/databases.js';
import { PASSWORD, TEST_USERS, login, seedUsers } from '../support/http-auth.js';
import { TEST_ADMIN_PASSWORD, createTestHttpApp, type TestHarness } from '../support/test-app.js';

const PLAN = 'thanh-hoa-nq46';
const SEED = Number(process.env.FUZZ_SEED ?? 20_251_128);
const RUNS = Math.max(1000, Number(process.env.FUZZ_RUNS ?? 1000));
/** canbo.sct's agency: its obligation is never a target, so the officer never acts for its own. */
const OFFICER = 'canbo.sct';
const OFFICER_AGENCY = 'SO_CONGTHUONG';
const USERNAMES = ['admin', ...TEST_USERS.map((u) => u.username), 'nobody.here'];

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
type AuthKind =
  | 'none'
  | 'auditor'
  | 'officer-other-agency'
  | 'forged-admin'
  | 'forged-officer'
  | 'alg-none-admin'
  | 'tampered-auditor-as-admin'
  | 'basic-admin'
  | 'lowercase-bearer-auditor'
  | { garbage: string };
type Body =
  | { kind: 'none' }
  | { kind: 'text'; text: string }
  | { kind: 'bytes'; bytes: number[] }
  | { kind: 'huge' };

interface FuzzRequest {
  method: Method;
  /** The route template, for the statistics. */
  route: string;
  url: string;
  auth: AuthKind;
  idempotencyKey?: string;
  contentType?: string;
  body: Body;
}

/** Percent-encodes every byte of the UTF-8 form except RFC 3986 unreserved characters. */
function pct(s: string): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-._~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** JSON text of any value fast-check makes (bigint as a string; undefined as no body). */
function jsonText(value: unknown): string | undefined {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

const b64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

function signHs256(claims: object, secret: string): string {
  const input = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url(claims)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

interface Snapshot {
  versionSum: number;
  events: number;
  cycles: number;
  obligations: number;
  idempotencyKeys: number;
  users: Array<Record<string, string>>;
}

async function snapshot(db: Database): Promise<Snapshot> {
  return db.read(async (sql) => {
    const one = async (text: string) => Number((await sql.query(text))[0]!.n);
    const users = await sql.query(
      'SELECT username, role, agency_code, disabled, password_hash, updated_at FROM users ORDER BY username',
    );
    return {
      versionSum: await one('SELECT COALESCE(SUM(version), 0) AS n FROM obligations'),
      events: await one('SELECT COUNT(*) AS n FROM obligation_events'),
      cycles: await one('SELECT COUNT(*) AS n FROM cycles'),
      obligations: await one('SELECT COUNT(*) AS n FROM obligations'),
      idempotencyKeys: await one('SELECT COUNT(*) AS n FROM idempotency_keys'),
      users: users.map((u) =>
        Object.fromEntries(Object.entries(u).map(([k, v]) => [k, String(v)])),
      ),
    };
  });
}

/** The codes the contract gives each status (413 is the project's own addition). */
const CODES_BY_STATUS: Record<number, string[]> = {
  400: ['VALIDATION_FAILED'],
  401: ['UNAUTHENTICATED'],
  403: ['FORBIDDEN'],
  404: ['NOT_FOUND'],
  409: ['VERSION_CONFLICT', 'IDEMPOTENCY_KEY_REUSED'],
  413: ['PAYLOAD_TOO_LARGE'],
  415: ['UNSUPPORTED_MEDIA_TYPE'],
  422: ['EVENT_NOT_ALLOWED'],
  429: ['RATE_LIMITED'],
};

// ---------------------------------------------------------------------------------------------
// Arbitraries

const shortText = fc.string({ maxLength: 12 });
/** Bytes 0x20–0xFF but DEL: what an HTTP header value may carry (Latin-1 above 0x7F). */
const headerText = (maxLength: number) =>
  fc.string({
    unit: fc
      .integer({ min: 0x20, max: 0xfe })
      .map((c) => String.fromCharCode(c === 0x7f ? 0xff : c)),
    maxLength,
  });
/** Long strings; multi-byte ones shorter so that the request line stays under Node's 16 KB. */
const longText = fc.oneof(
  fc.integer({ min: 256, max: 3000 }).map((n) => 'a'.repeat(n)),
  fc.integer({ min: 100, max: 600 }).map((n) => 'ệ'.repeat(n)),
  fc.integer({ min: 50, max: 300 }).map((n) => '🙂'.repeat(n)),
  fc.string({ minLength: 300, maxLength: 1500 }),
);
const oddText = fc.constantFrom(
  '',
  ' ',
  'null',
  'undefined',
  'NaN',
  'Infinity',
  '-1',
  '0',
  '1e309',
  '9007199254740993',
  '99999999999999999999',
  '2025',
  '2025.5',
  '1999',
  '2201',
  '0x7E9',
  PLAN,
  'admin',
  'kiemtoan',
  'canbo.snn',
  '__proto__',
  'constructor',
  'Sở Nông nghiệp và Phát triển nông thôn',
  'Thanh Hóa',
  '🙂🙃',
  'ﾃｽﾄ',
  '\u202eevil',
  'a\u0000b',
  '\u0000',
  '\ud800',
  "' OR 1=1 --",
  '1; DROP TABLE users',
  '<script>alert(1)</script>',
  '../../etc/passwd',
  '00000000-0000-0000-0000-000000000000',
);
/** Segments written into the path as they are (odd or invalid percent-encodings, dot segments). */
const rawSegment = fc.constantFrom(
  '..',
  '.',
  '%00',
  '%2e%2e',
  '%2F',
  '%2f..%2f..',
  '%',
  '%zz',
  '%E0%A4%A',
  '%C0%AF',
  '%FF',
  '%ED%A0%80',
  '%u0000',
  ';',
  '*',
  '$',
  "'",
  ':id',
);
const segment = fc.oneof(
  { weight: 3, arbitrary: rawSegment },
  { weight: 3, arbitrary: oddText.map(pct) },
  { weight: 2, arbitrary: fc.string().map(pct) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }).map(pct) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }).map(pct) },
  { weight: 1, arbitrary: fc.uuid() },
  { weight: 1, arbitrary: longText.map(pct) },
);

const QUERY_VALUES = [
  PLAN,
  '2025',
  '2024',
  'SO_NNPTNT',
  OFFICER_AGENCY,
  'so_nnptnt',
  ...STAGES,
  'flying',
  'true',
  'false',
  'TRUE',
  '1',
  '0',
  '-1',
  '500',
  '501',
  '1.5',
  '1e20',
  '99999999999999999999',
  '9007199254740993',
  'NaN',
  'Infinity',
  '0x10',
  '',
];
const queryString = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .array(
        fc.tuple(
          fc.oneof(
            fc.constantFrom(
              'planId',
              'year',
              'agency',
              'stage',
              'overdue',
              'page',
              'pageSize',
              'after',
              'at',
              'year[]',
              'page[$gt]',
              '__proto__[x]',
              'constructor',
            ),
            shortText.map(pct),
          ),
          fc.oneof(
            { weight: 3, arbitrary: fc.constantFrom(...QUERY_VALUES).map(pct) },
            { weight: 2, arbitrary: segment },
            { weight: 1, arbitrary: fc.string().map(pct) },
          ),
        ),
        { maxLength: 5 },
      )
      .map((kv) => (kv.length ? `?${kv.map(([k, v]) => `${k}=${v}`).join('&')}` : '')),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '?',
      '?&&',
      '?=',
      '?year',
      '?year=%',
      '?page=%zz',
      '?planId=%00',
      '?pageSize=1&pageSize=2',
      '?planId[]=x',
      `?agency=${OFFICER_AGENCY}&agency=SO_NNPTNT`,
      '?page=99999999999999999999&pageSize=500',
      '?year=2025&page=1e20',
    ),
  },
);

function pathArbitrary(targets: string[]) {
  const id = fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(...targets) },
    { weight: 4, arbitrary: segment },
    { weight: 1, arbitrary: fc.uuid() },
  );
  const planId = fc.oneof(
    { weight: 3, arbitrary: fc.constant(PLAN) },
    { weight: 2, arbitrary: segment },
  );
  const year = fc.oneof(
    fc.constantFrom(
      '2025',
      '2024',
      '2026',
      '2030',
      '1999',
      '2201',
      '0',
      '-2025',
      '+2025',
      '2025.0',
    ),
    fc.integer().map(String),
    fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map(String),
    segment,
  );
  const username = fc.oneof(fc.constantFrom(...USERNAMES), segment);
  /** A route template with the methods it serves (404 for the others, which are sent too). */
  const route = (name: string, methods: Method[], arb: fc.Arbitrary<string>) =>
    fc.record({
      method: fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom(...methods) },
        { weight: 1, arbitrary: fc.constantFrom<Method>('GET', 'POST', 'PATCH', 'PUT', 'DELETE') },
      ),
      route: fc.constant(name),
      url: arb,
    });
  const ANY: Method[] = ['GET', 'POST', 'PATCH', 'PUT', 'DELETE'];
  return fc.oneof(
    {
      weight: 6,
      arbitrary: route(
        '/api/obligations/:id/events',
        ['POST'],
        id.map((i) => `/api/obligations/${i}/events`),
      ),
    },
    {
      weight: 3,
      arbitrary: route(
        '/api/obligations/:id',
        ['GET'],
        id.map((i) => `/api/obligations/${i}`),
      ),
    },
    {
      weight: 2,
      arbitrary: route(
        '/api/obligations/:id/history',
        ['GET'],
        id.map((i) => `/api/obligations/${i}/history`),
      ),
    },
    {
      weight: 3,
      arbitrary: route('/api/obligations?query', ['GET'], fc.constant('/api/obligations')),
    },
    {
      weight: 3,
      arbitrary: route(
        '/api/plans/:id/cycles',
        ['POST'],
        planId.map((p) => `/api/plans/${p}/cycles`),
      ),
    },
    {
      weight: 2,
      arbitrary: route(
        '/api/plans/:id/cycles/:year',
        ['GET'],
        fc.tuple(planId, year).map(([p, y]) => `/api/plans/${p}/cycles/${y}`),
      ),
    },
    {
      weight: 1,
      arbitrary: route(
        '/api/plans/:id',
        ['GET'],
        planId.map((p) => `/api/plans/${p}`),
      ),
    },
    { weight: 2, arbitrary: route('/api/users', ['GET', 'POST'], fc.constant('/api/users')) },
    {
      weight: 2,
      arbitrary: route(
        '/api/users/:name',
        ['PATCH'],
        username.map((u) => `/api/users/${u}`),
      ),
    },
    { weight: 3, arbitrary: route('/api/auth/login', ['POST'], fc.constant('/api/auth/login')) },
    { weight: 1, arbitrary: route('/api/health', ['GET'], fc.constant('/api/health')) },
    {
      weight: 1,
      arbitrary: route(
        '/api/<random>',
        ANY,
        fc.array(segment, { minLength: 1, maxLength: 3 }).map((s) => `/api/${s.join('/')}`),
      ),
    },
  );
}

const anyJson = fc.jsonValue({ maxDepth: 2 });
const eventType = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...EVENT_TYPES) },
  { weight: 2, arbitrary: shortText },
  { weight: 1, arbitrary: fc.constantFrom(...EVENT_TYPES).map((t) => t.toLowerCase()) },
  { weight: 1, arbitrary: anyJson },
);
/** Well-formed commands and requests, which the fuzzer's callers may not send. */
const plausible = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record(
      {
        type: fc.constantFrom(...EVENT_TYPES),
        payload: fc.record(
          {
            planRef: shortText,
            reportRef: shortText,
            summary: shortText,
            reason: shortText,
            consolidatedReportRef: shortText,
            newDueDate: fc.constantFrom('2025-12-31', '2025-02-30', 'yesterday'),
            basis: shortText,
            toAgency: fc.constantFrom('SO_NNPTNT', OFFICER_AGENCY, 'NOPE'),
            level: fc.integer({ min: 0, max: 4 }),
          },
          { requiredKeys: [] },
        ),
        expectedVersion: fc.integer({ min: 1, max: 3 }),
        effectiveAt: fc.constantFrom(
          '2025-06-01T03:00:00.000Z',
          '2025-01-15T08:00:00+07:00',
          '2030-01-01T00:00:00Z',
          'not-a-date',
        ),
        reason: shortText,
      },
      { requiredKeys: ['type'] },
    ),
  },
  {
    weight: 1,
    arbitrary: fc.record(
      {
        username: fc.constantFrom('new.user', 'admin', 'kiemtoan', 'x'),
        password: fc.constantFrom('long-enough-password', 'short'),
        role: fc.constantFrom(...ROLES, 'root'),
        agencyCode: fc.constantFrom('SO_NNPTNT', OFFICER_AGENCY, 'NOPE'),
      },
      { requiredKeys: ['username', 'password', 'role'] },
    ),
  },
  { weight: 1, arbitrary: fc.record({ disabled: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ year: fc.integer({ min: 1999, max: 2201 }) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      username: fc.oneof(fc.constantFrom(...USERNAMES), oddText),
      password: fc.oneof(fc.constantFrom(PASSWORD, TEST_ADMIN_PASSWORD), oddText),
    }),
  },
);
/** The real field names with values of any type. */
const wrongTypes = fc.record(
  {
    type: eventType,
    payload: anyJson,
    expectedVersion: anyJson,
    effectiveAt: anyJson,
    reason: anyJson,
    username: anyJson,
    password: anyJson,
    role: anyJson,
    agencyCode: anyJson,
    disabled: anyJson,
    year: anyJson,
  },
  { requiredKeys: [] },
);
const text = (arb: fc.Arbitrary<unknown>): fc.Arbitrary<Body> =>
  arb.map((v) => {
    const t = jsonText(v);
    return t === undefined ? { kind: 'none' } : { kind: 'text', text: t };
  });
const body: fc.Arbitrary<Body> = fc.oneof(
  { weight: 2, arbitrary: fc.constant<Body>({ kind: 'none' }) },
  { weight: 4, arbitrary: text(plausible) },
  { weight: 3, arbitrary: text(wrongTypes) },
  { weight: 2, arbitrary: text(fc.jsonValue()) },
  {
    weight: 2,
    arbitrary: text(
      fc.anything({
        maxDepth: 3,
        withBigInt: true,
        withDate: true,
        withMap: true,
        withSet: true,
        withTypedArray: true,
        withSparseArray: true,
        withNullPrototype: true,
        withBoxedValues: true,
      }),
    ),
  },
  {
    weight: 2,
    arbitrary: fc
      .oneof(
        fc.string(),
        fc.string({ unit: 'binary' }),
        fc.constantFrom('{', '{"type":', '[', '"', 'nul', '{}{}', '\ufeff{}'),
      )
      .map<Body>((t) => ({ kind: 'text', text: t })),
  },
  {
    weight: 1,
    arbitrary: fc
      .uint8Array({ maxLength: 64 })
      .map<Body>((b) => ({ kind: 'bytes', bytes: [...b] })),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom<Body>({ kind: 'huge' }, { kind: 'none' }, { kind: 'none' }),
  },
);

const auth: fc.Arbitrary<AuthKind> = fc.oneof(
  { weight: 3, arbitrary: fc.constant<AuthKind>('none') },
  { weight: 6, arbitrary: fc.constant<AuthKind>('auditor') },
  { weight: 6, arbitrary: fc.constant<AuthKind>('officer-other-agency') },
  {
    weight: 4,
    arbitrary: fc.constantFrom<AuthKind>(
      'forged-admin',
      'forged-officer',
      'alg-none-admin',
      'tampered-auditor-as-admin',
      'basic-admin',
      'lowercase-bearer-auditor',
    ),
  },
  {
    weight: 2,
    arbitrary: fc
      .oneof(
        fc.string({ maxLength: 200 }),
        fc.string({ maxLength: 200 }).map((s) => `Bearer ${s}`),
        fc.base64String({ maxLength: 200 }).map((s) => `Bearer ${s}`),
      )
      .map<AuthKind>((garbage) => ({ garbage })),
  },
);
/** Absent in about two requests of three. */
const sometimes = <T>(arb: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 2, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });
const idempotencyKey = sometimes(
  fc.oneof(
    fc.uuid(),
    fc.string({ maxLength: 40 }),
    headerText(40),
    fc.string({ minLength: 190, maxLength: 260 }),
  ),
);
/** Absent (then application/json whenever there is a body) in about two requests of three. */
const contentType = sometimes(
  fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'application/json; charset=UTF-8',
    'application/json; charset=utf-16',
    'application/json; charset=latin1',
    'application/json; charset=bogus',
    'application/JSON',
    'application/merge-patch+json',
    'application/vnd.api+json',
    'text/plain',
    'text/html',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=xyz',
    'application/octet-stream',
    '*/*',
    'json',
  ),
);

function requestArbitrary(targets: string[]): fc.Arbitrary<FuzzRequest> {
  return fc
    .record({
      path: pathArbitrary(targets),
      query: fc.option(queryString, { nil: '', freq: 2 }),
      auth,
      idempotencyKey,
      contentType,
      body,
    })
    .map(({ path, query, ...rest }) => ({
      ...rest,
      method: path.method,
      route: path.route,
      url: path.url + (path.route === '/api/obligations?query' && !query ? '?' : query),
    }))
    .filter((r) => r.url.length <= 12_000);
}

// ---------------------------------------------------------------------------------------------

describeEachDatabase('HTTP fuzzing', (dialect) => {
  let h: TestHarness<NestExpressApplication>;
  let http: ReturnType<typeof request>;
  let db: Database;
  let targets: string[];
  let authHeaders: Record<string, string>;

  beforeAll(async () => {
    h = await createTestHttpApp(dialect);
    await h.app.listen(0, '127.0.0.1');
    const server = h.app.getHttpServer();
    http = request(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    db = h.app.get(Database);
    await seedUsers(h.app);
    // The admin opens the cycle once; the fuzzer never gets the admin's token.
    const admin = await login(http, 'admin');
    await http
      .post(`/api/plans/${PLAN}/cycles`)
      .set('Authorization', `Bearer ${admin}`)
      .send({ year: 2025 })
      .expect(201);
    const all = await http
      .get('/api/obligations')
      .query({ planId: PLAN, year: 2025, pageSize: 500 })
      .set('Authorization', `Bearer ${admin}`)
      .expect(200);
    const items = all.body.items as Array<{ id: string; agencyCode: string }>;
    expect(items.length).toBeGreaterThan(10);
    targets = items
      .filter((o) => o.agencyCode !== OFFICER_AGENCY)
      .sort((a, b) => a.agencyCode.localeCompare(b.agencyCode))
      .map((o) => o.id);
    expect(targets).toHaveLength(items.length - 1);

    const auditor = await login(http, 'kiemtoan');
    const officer = await login(http, OFFICER);
    const now = Math.floor(h.clock.now().getTime() / 1000);
    const claims = (sub: string, role: string) => ({ sub, role, iat: now, exp: now + 3600 });
    const otherKey = 'not-the-server-secret-but-long-enough-0123456789';
    const [head, , signature] = auditor.split('.');
    authHeaders = {
      auditor: `Bearer ${auditor}`,
      'officer-other-agency': `Bearer ${officer}`,
      'forged-admin': `Bearer ${signHs256(claims('admin', 'admin'), otherKey)}`,
      'forged-officer': `Bearer ${signHs256(claims('canbo.snn', 'officer'), otherKey)}`,
      'alg-none-admin': `Bearer ${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims('admin', 'admin'))}.`,
      'tampered-auditor-as-admin': `Bearer ${head}.${b64url(claims('admin', 'admin'))}.${signature}`,
      'basic-admin': `Basic ${Buffer.from(`admin:${TEST_ADMIN_PASSWORD}`).toString('base64')}`,
      'lowercase-bearer-auditor': `bearer ${auditor}`,
    };
  });
  afterAll(async () => {
    h?.app.useLogger(new ConsoleLogger({ logLevels: ['error', 'warn'] }));
    await h?.close();
  });

  function send(r: FuzzRequest) {
    let req = http[r.method.toLowerCase() as 'get'](r.url).redirects(0);
    const authorization = typeof r.auth === 'string' ? authHeaders[r.auth] : r.auth.garbage;
    if (authorization !== undefined) req = req.set('Authorization', authorization);
    if (r.idempotencyKey !== undefined) req = req.set('Idempotency-Key', r.idempotencyKey);
    const payload: string | Buffer | undefined =
      r.body.kind === 'text'
        ? r.body.text
        : r.body.kind === 'bytes'
          ? Buffer.from(r.body.bytes)
          : r.body.kind === 'huge'
            ? JSON.stringify({ type: 'SUBMIT_REPORT', payload: { summary: 'x'.repeat(300_000) } })
            : undefined;
    const type = r.contentType ?? (payload !== undefined ? 'application/json' : undefined);
    if (type !== undefined) req = req.set('Content-Type', type);
    // Sent as they are: superagent would otherwise JSON-encode a Buffer under a JSON type.
    return payload !== undefined
      ? req.serialize((raw: unknown) => raw as string).send(payload as string)
      : req;
  }

  /** Fails with the answer in the message (fast-check adds the request). */
  function check(ok: boolean, what: string, res: request.Response): void {
    if (!ok) {
      throw new Error(
        `${what}: got ${res.status} ${res.type || '(no content type)'} ${(res.text ?? '').slice(0, 400)}`,
      );
    }
  }

  /** The contract's properties of one answer to a caller that may not write. */
  function checkAnswer(r: FuzzRequest, res: request.Response): void {
    // Fuzzing found 500s here once (page overflow, NUL reaching PostgreSQL, year overflow);
    // the cases are kept below as fixed examples.
    check(res.status < 500, 'a server error', res);

    if (res.status >= 400) {
      // The contract's error shape: JSON { statusCode, code, message, ...details }.
      check(res.type === 'application/json', 'an error that is not JSON', res);
      const body = res.body as { statusCode?: unknown; code?: unknown; message?: unknown };
      check(body.statusCode === res.status, 'statusCode differs from the status', res);
      check(
        typeof body.code === 'string' && /^[A-Z][A-Z0-9_]*$/.test(body.code),
        'code is not UPPER_SNAKE',
        res,
      );
      check(typeof body.message === 'string', 'no message', res);
      // An unsupported charset once answered 415 with code INTERNAL.
      const codes = CODES_BY_STATUS[res.status];
      check(
        codes ? codes.includes(body.code as string) : body.code !== 'INTERNAL',
        `code ${String(body.code)} does not fit status ${res.status}`,
        res,
      );
      if (res.status === 400) {
        check(Array.isArray((res.body as { fields?: unknown }).fields), '400 without fields', res);
      }
      // Nothing internal leaks: no stack frames, no SQL errors.
      check(
        !/\n\s+at .+:\d+:\d+|SQLITE_|QueryFailedError|syntax error at/.test(res.text ?? ''),
        'internal details in the answer',
        res,
      );
    } else {
      // Only reads, the health check and logins succeed for these callers.
      check(
        r.method === 'GET' || (r.method === 'POST' && r.route === '/api/auth/login'),
        `${r.method} ${r.route} succeeded`,
        res,
      );
    }
  }

  it(`answers ${RUNS} random requests without a 5xx, with contract errors, changing nothing`, async () => {
    // 401/403 answers are logged as warnings: keep the console to errors (5xx stacks).
    h.app.useLogger(new ConsoleLogger({ logLevels: ['error'] }));
    const started = Date.now();
    const statuses = new Map<number, number>();
    const routes = new Map<string, number>();
    let sent = 0;
    const before = await snapshot(db);
    let previous = before;

    const report = async (outcome: string) => {
      const end = await snapshot(db);
      console.log(
        JSON.stringify(
          {
            fuzz: `HTTP fuzzing [${dialect}]`,
            outcome,
            seed: SEED,
            requests: sent,
            ms: Date.now() - started,
            statuses: Object.fromEntries([...statuses].sort(([a], [b]) => a - b)),
            routes: Object.fromEntries([...routes].sort(([, a], [, b]) => b - a)),
            state: {
              versionSum: end.versionSum,
              events: end.events,
              cycles: end.cycles,
              users: end.users.length,
            },
          },
          null,
          2,
        ),
      );
      return end;
    };

    try {
      await fc.assert(
        fc.asyncProperty(requestArbitrary(targets), async (r) => {
          const res = await send(r);
          sent++;
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          routes.set(r.route, (routes.get(r.route) ?? 0) + 1);
          checkAnswer(r, res);
          // Nothing changed (compared with the state before this request, so shrinking works).
          const after = await snapshot(db);
          expect(after).toEqual(previous);
          previous = after;
        }),
        { numRuns: RUNS, seed: SEED },
      );
    } catch (error) {
      await report('failed (requests include the shrinking runs)');
      throw error;
    }

    const end = await report('passed');
    expect(end).toEqual(before);
    expect(sent).toBeGreaterThanOrEqual(1000);
  }, 180_000);

  // The smallest inputs the fuzzer found, kept as plain examples so that each is seen on its own.
  // The ones noted "fixed" answered 5xx (or a wrong code) before the fix in the same change.
  const FOUND: Array<{
    note: string;
    method: Method;
    url: string;
    auth: AuthKind;
    body?: object;
    type?: string;
  }> = [
    {
      note: 'fixed: page overflow',
      method: 'GET',
      url: '/api/obligations?year=2025&page=1e20',
      auth: 'auditor',
    },
    {
      note: 'fixed: page overflow',
      method: 'GET',
      url: '/api/obligations?page=99999999999999999999&pageSize=500',
      auth: 'officer-other-agency',
    },
    {
      note: 'fixed: NUL on PostgreSQL',
      method: 'GET',
      url: '/api/obligations/%00',
      auth: 'auditor',
    },
    {
      note: 'fixed: NUL on PostgreSQL',
      method: 'GET',
      url: '/api/obligations/a%00b/history',
      auth: 'auditor',
    },
    {
      note: 'fixed: NUL on PostgreSQL',
      method: 'POST',
      url: '/api/obligations/%00/events',
      auth: 'auditor',
      body: { type: 'START_IMPLEMENTATION', payload: { planRef: 'x' } },
    },
    {
      note: 'fixed: NUL on PostgreSQL',
      method: 'POST',
      url: '/api/auth/login',
      auth: 'none',
      body: { username: 'a\u0000b', password: 'whatever-password' },
    },
    {
      note: 'fixed: year overflow on PostgreSQL',
      method: 'GET',
      url: `/api/plans/${PLAN}/cycles/99999999999`,
      auth: 'auditor',
    },
    {
      note: 'fixed: 415 coded INTERNAL',
      method: 'POST',
      url: '/api/auth/login',
      auth: 'none',
      body: { username: 'admin', password: 'x' },
      type: 'application/json; charset=latin1',
    },
    { note: 'ok', method: 'GET', url: '/api/obligations?page=9007199254740993', auth: 'auditor' },
    { note: 'ok', method: 'GET', url: `/api/plans/${PLAN}/cycles/2025`, auth: 'forged-admin' },
    { note: 'ok', method: 'GET', url: '/api/obligations/%zz', auth: 'auditor' },
  ];
  it.each(FOUND)('found by fuzzing: $method $url ($auth) — $note', async (c) => {
    const r: FuzzRequest = {
      method: c.method,
      route: c.url,
      url: c.url,
      auth: c.auth,
      contentType: c.type,
      body: c.body ? { kind: 'text', text: JSON.stringify(c.body) } : { kind: 'none' },
    };
    const before = await snapshot(db);
    checkAnswer(r, await send(r));
    expect(await snapshot(db)).toEqual(before);
  });
});
