/**
 * Authentication end to end: login, token lifetime on the injected clock, forged and tampered
 * tokens, disabled accounts, the login rate limit, the log of denied attempts, and the security
 * headers (helmet, CORS).
 */
import { createHmac } from 'node:crypto';
import { afterAll, afterEach, beforeAll, expect, it } from '@jest/globals';
import { ConsoleLogger, type LoggerService } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { loadJwtSecret } from '../../src/auth/jwt-secret.js';
import { describeEachDatabase } from '../support/databases.js';
import { PASSWORD, loginAll, seedUsers, type TestUsername } from '../support/http-auth.js';
import {
  TEST_ADMIN_PASSWORD,
  TEST_NOW,
  createTestHttpApp,
  type TestHarness,
} from '../support/test-app.js';

const PLAN = 'thanh-hoa-nq46';

type Http = ReturnType<typeof request>;

const b64url = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A compact JWS signed with HMAC (HS256 by default) over `base64url(header).base64url(claims)`. */
function signHmac(
  claims: object,
  secret: string,
  header: object = { alg: 'HS256', typ: 'JWT' },
  hash: 'sha256' | 'sha512' = 'sha256',
): string {
  const signingInput = `${b64url(header)}.${b64url(claims)}`;
  return `${signingInput}.${createHmac(hash, secret).update(signingInput).digest('base64url')}`;
}

function segments(token: string): [string, string, string] {
  const [header, payload, signature] = token.split('.');
  return [header!, payload!, signature!];
}

function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(segments(token)[1], 'base64url').toString('utf8'));
}

/** Claims valid now on the harness clock, for `sub` with `role`. */
function claimsFor(h: TestHarness<unknown>, sub: string, role: string) {
  const iat = Math.floor(h.clock.now().getTime() / 1000);
  return { sub, role, iat, exp: iat + h.config.tokenTtlSeconds };
}

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

function expectUnauthenticated(res: request.Response, message?: RegExp): void {
  expect(res.status).toBe(401);
  expect(res.body).toMatchObject({ statusCode: 401, code: 'UNAUTHENTICATED' });
  expect(typeof res.body.message).toBe('string');
  if (message) expect(res.body.message).toMatch(message);
}

function passwordLogin(http: Http, username: string, password: string) {
  return http.post('/api/auth/login').send({ username, password });
}

describeEachDatabase('Login and tokens', (dialect) => {
  let h: TestHarness<NestExpressApplication>;
  let http: Http;
  let tok: Record<TestUsername, string>;

  beforeAll(async () => {
    h = await createTestHttpApp(dialect);
    http = request(h.app.getHttpServer());
    await seedUsers(h.app);
    tok = await loginAll(http);
  });
  afterEach(() => h.clock.set(TEST_NOW));
  afterAll(async () => h?.close());

  it('login returns the token, its expiry (clock now + TTL) and the user', async () => {
    const ttl = h.config.tokenTtlSeconds;
    expect(ttl).toBe(3600);
    const admin = await passwordLogin(http, 'admin', TEST_ADMIN_PASSWORD).expect(200);
    expect(admin.body).toEqual({
      accessToken: expect.any(String),
      expiresAt: new Date(TEST_NOW.getTime() + ttl * 1000).toISOString(),
      user: { username: 'admin', role: 'admin' },
    });
    expect(admin.body.user).not.toHaveProperty('agencyCode');

    const officer = await passwordLogin(http, 'canbo.snn', PASSWORD).expect(200);
    expect(officer.body.user).toEqual({
      username: 'canbo.snn',
      role: 'officer',
      agencyCode: 'SO_NNPTNT',
    });
    const [header] = segments(officer.body.accessToken);
    expect(JSON.parse(Buffer.from(header, 'base64url').toString('utf8'))).toMatchObject({
      alg: 'HS256',
    });
    const iat = TEST_NOW.getTime() / 1000;
    expect(claimsOf(officer.body.accessToken)).toMatchObject({
      sub: 'canbo.snn',
      role: 'officer',
      iat,
      exp: iat + ttl,
    });

    // The expiry follows the injected clock, not the wall clock.
    const later = new Date('2025-09-02T01:02:03.000Z');
    h.clock.set(later);
    const res = await passwordLogin(http, 'kiemtoan', PASSWORD).expect(200);
    expect(res.body.expiresAt).toBe(new Date(later.getTime() + ttl * 1000).toISOString());
    expect(claimsOf(res.body.accessToken).iat).toBe(later.getTime() / 1000);
  });

  it('a wrong password and an unknown user get the same 401', async () => {
    const wrong = await passwordLogin(http, 'canbo.snn', 'not-the-password');
    const unknown = await passwordLogin(http, 'nobody.here', PASSWORD);
    const adminWrong = await passwordLogin(http, 'admin', PASSWORD);
    for (const res of [wrong, unknown, adminWrong]) {
      expectUnauthenticated(res);
      expect(res.body).not.toHaveProperty('accessToken');
    }
    expect(unknown.body).toEqual(wrong.body);
    expect(adminWrong.body).toEqual(wrong.body);
    expect(wrong.body.message).toBe('Invalid username or password');
  });

  it('a malformed login body is 400 naming the field', async () => {
    const cases: Array<{ body: string | object; fields: string[] }> = [
      { body: {}, fields: ['password', 'username'] },
      { body: { username: 'admin' }, fields: ['password'] },
      { body: { password: TEST_ADMIN_PASSWORD }, fields: ['username'] },
      { body: { username: 42, password: TEST_ADMIN_PASSWORD }, fields: ['username'] },
      { body: { username: 'admin', password: ['x'] }, fields: ['password'] },
      { body: { username: '', password: TEST_ADMIN_PASSWORD }, fields: ['username'] },
      { body: { username: 'a'.repeat(65), password: TEST_ADMIN_PASSWORD }, fields: ['username'] },
      {
        body: { username: 'admin', password: TEST_ADMIN_PASSWORD, role: 'admin' },
        fields: ['role'],
      },
      // Malformed JSON names no field of its own; the contract only asks for `fields`.
      { body: '{"username": "admin", "password": ', fields: ['(request)'] },
    ];
    for (const c of cases) {
      const res = await http
        .post('/api/auth/login')
        .set('Content-Type', 'application/json')
        .send(typeof c.body === 'string' ? c.body : JSON.stringify(c.body));
      expect({ body: c.body, status: res.status, code: res.body.code }).toEqual({
        body: c.body,
        status: 400,
        code: 'VALIDATION_FAILED',
      });
      expect(res.body.statusCode).toBe(400);
      const paths = [...new Set(res.body.fields.map((f: { path: string }) => f.path))].sort();
      expect({ body: c.body, paths }).toEqual({ body: c.body, paths: c.fields });
    }
  });

  it('expiry follows the injected clock: valid at now + TTL − 1 s, refused at now + TTL', async () => {
    const ttl = h.config.tokenTtlSeconds;
    h.clock.set(TEST_NOW);
    const res = await passwordLogin(http, 'lanhdao.ubnd', PASSWORD).expect(200);
    const token: string = res.body.accessToken;
    await http.get('/api/plans').set(bearer(token)).expect(200);

    h.clock.advance((ttl - 1) * 1000);
    await http.get('/api/plans').set(bearer(token)).expect(200);

    h.clock.advance(1000);
    expect(h.clock.now().toISOString()).toBe(res.body.expiresAt);
    expectUnauthenticated(await http.get('/api/plans').set(bearer(token)), /expired/);

    h.clock.set(new Date(TEST_NOW.getTime() + 30 * 86_400_000));
    expectUnauthenticated(await http.get('/api/plans').set(bearer(token)), /expired/);

    // A fresh login at the new time works.
    const again = await passwordLogin(http, 'lanhdao.ubnd', PASSWORD).expect(200);
    await http.get('/api/plans').set(bearer(again.body.accessToken)).expect(200);
  });

  it('a token signed by this server with its own secret is accepted (control for the forgeries)', async () => {
    const token = signHmac(claimsFor(h, 'admin', 'admin'), loadJwtSecret(h.config));
    await http.get('/api/users').set(bearer(token)).expect(200);
  });

  it('one changed character in the payload is refused', async () => {
    const token = tok.kiemtoan;
    await http.get('/api/plans').set(bearer(token)).expect(200);
    const [header, payload, signature] = segments(token);
    for (const i of [0, Math.floor(payload.length / 2), payload.length - 2]) {
      const c = payload[i]!;
      const changed = payload.slice(0, i) + (c === 'A' ? 'B' : 'A') + payload.slice(i + 1);
      const res = await http.get('/api/plans').set(bearer(`${header}.${changed}.${signature}`));
      expectUnauthenticated(res, /invalid token/);
    }
  });

  it('claims rewritten to admin under the original signature are refused', async () => {
    const [header, , signature] = segments(tok.kiemtoan);
    const elevated = b64url({ ...claimsOf(tok.kiemtoan), sub: 'admin', role: 'admin' });
    const res = await http.get('/api/users').set(bearer(`${header}.${elevated}.${signature}`));
    expectUnauthenticated(res, /invalid token/);
  });

  it('a token signed with another key is refused', async () => {
    const forged = signHmac(
      claimsFor(h, 'admin', 'admin'),
      'another-secret-that-is-long-enough-0123456789',
    );
    expectUnauthenticated(await http.get('/api/users').set(bearer(forged)), /invalid token/);
    expectUnauthenticated(await http.get('/api/plans').set(bearer(forged)), /invalid token/);
  });

  it('alg "none" and algorithms other than HS256 are refused, even with the right key', async () => {
    const claims = claimsFor(h, 'admin', 'admin');
    const unsigned = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims)}.`;
    expectUnauthenticated(await http.get('/api/users').set(bearer(unsigned)));
    const noneWithSignature = signHmac(claims, loadJwtSecret(h.config), { alg: 'none' });
    expectUnauthenticated(await http.get('/api/users').set(bearer(noneWithSignature)));
    const hs512 = signHmac(claims, loadJwtSecret(h.config), { alg: 'HS512', typ: 'JWT' }, 'sha512');
    expectUnauthenticated(await http.get('/api/users').set(bearer(hs512)), /invalid token/);
  });

  it('a validly signed token of an unknown user is refused', async () => {
    const ghost = signHmac(claimsFor(h, 'ghost.user', 'admin'), loadJwtSecret(h.config));
    expectUnauthenticated(await http.get('/api/users').set(bearer(ghost)), /unknown or disabled/);
  });

  it('no Authorization header, Basic credentials or a malformed Bearer header are refused', async () => {
    expectUnauthenticated(await http.get('/api/plans'), /Bearer/);
    const basic = Buffer.from(`admin:${TEST_ADMIN_PASSWORD}`).toString('base64');
    expectUnauthenticated(await http.get('/api/users').set('Authorization', `Basic ${basic}`));
    for (const header of [
      'Bearer',
      'Bearer ',
      `Bearer ${tok.admin} extra`,
      `Token ${tok.admin}`,
      tok.admin,
      'Bearer not.a.jwt',
      'Bearer ....',
    ]) {
      const res = await http.get('/api/users').set('Authorization', header);
      expectUnauthenticated(res);
    }
    // The real token in the right form works (the refusals above are about the header).
    await http.get('/api/users').set(bearer(tok.admin)).expect(200);
  });

  it('only GET /api/health and POST /api/auth/login are open without a token', async () => {
    await http.get('/api/health').expect(200);
    for (const url of ['/api/plans', `/api/plans/${PLAN}`, '/api/obligations', '/api/users']) {
      expectUnauthenticated(await http.get(url));
    }
    expectUnauthenticated(await http.post(`/api/plans/${PLAN}/cycles`).send({ year: 2025 }));
    expectUnauthenticated(
      await http.post('/api/users').send({ username: 'x.y', password: 'x', role: 'admin' }),
    );
  });
});

describeEachDatabase('Configured token lifetime', (dialect) => {
  let h: TestHarness<NestExpressApplication>;
  let http: Http;

  beforeAll(async () => {
    h = await createTestHttpApp(dialect, { tokenTtlSeconds: 600 });
    http = request(h.app.getHttpServer());
    await seedUsers(h.app);
  });
  afterAll(async () => h?.close());

  it('the token lives tokenTtlSeconds on the injected clock', async () => {
    const res = await passwordLogin(http, 'kiemtoan', PASSWORD).expect(200);
    expect(res.body.expiresAt).toBe(new Date(TEST_NOW.getTime() + 600_000).toISOString());
    const token: string = res.body.accessToken;
    h.clock.advance(599_000);
    await http.get('/api/plans').set(bearer(token)).expect(200);
    h.clock.advance(1000);
    expectUnauthenticated(await http.get('/api/plans').set(bearer(token)), /expired/);
  });
});

describeEachDatabase('Disabled accounts', (dialect) => {
  let h: TestHarness<NestExpressApplication>;
  let http: Http;
  let tok: Record<TestUsername, string>;
  const patchUser = (as: TestUsername, name: string, body: unknown) =>
    http
      .patch(`/api/users/${encodeURIComponent(name)}`)
      .set(bearer(tok[as]))
      .send(body as object);

  beforeAll(async () => {
    h = await createTestHttpApp(dialect);
    http = request(h.app.getHttpServer());
    await seedUsers(h.app);
    tok = await loginAll(http);
  });
  afterAll(async () => h?.close());

  it('only the admin may disable an account, with a boolean, of a known user', async () => {
    const denied = await patchUser('tonghop.snn', 'canbo.snn', { disabled: true }).expect(403);
    expect(denied.body.code).toBe('FORBIDDEN');
    const bad = await patchUser('admin', 'canbo.snn', { disabled: 'yes' }).expect(400);
    expect(bad.body.fields.map((f: { path: string }) => f.path)).toContain('disabled');
    const unknown = await patchUser('admin', 'nobody.here', { disabled: true }).expect(404);
    expect(unknown.body.code).toBe('NOT_FOUND');
    await http.get('/api/obligations').set(bearer(tok['canbo.snn'])).expect(200);
  });

  it("disabling stops the user's existing token at once and refuses login; re-enabling restores both", async () => {
    const officer = tok['canbo.snn'];
    await http.get('/api/obligations').set(bearer(officer)).expect(200);

    const disabled = await patchUser('admin', 'canbo.snn', { disabled: true }).expect(200);
    expect(disabled.body).toMatchObject({ username: 'canbo.snn', disabled: true });
    expect(disabled.body).not.toHaveProperty('passwordHash');

    expectUnauthenticated(
      await http.get('/api/obligations').set(bearer(officer)),
      /unknown or disabled/,
    );
    const login = await passwordLogin(http, 'canbo.snn', PASSWORD);
    expectUnauthenticated(login, /^Invalid username or password$/);
    expect(login.body).not.toHaveProperty('accessToken');

    const users = await http.get('/api/users').set(bearer(tok.admin)).expect(200);
    expect(users.body.find((u: { username: string }) => u.username === 'canbo.snn')).toMatchObject({
      disabled: true,
    });
    // Other users are untouched.
    await http.get('/api/obligations').set(bearer(tok['canbo.sct'])).expect(200);

    const enabled = await patchUser('admin', 'canbo.snn', { disabled: false }).expect(200);
    expect(enabled.body).toMatchObject({ username: 'canbo.snn', disabled: false });
    await http.get('/api/obligations').set(bearer(officer)).expect(200);
    const again = await passwordLogin(http, 'canbo.snn', PASSWORD).expect(200);
    await http.get('/api/obligations').set(bearer(again.body.accessToken)).expect(200);
  });
});

describeEachDatabase('Login rate limit', (dialect) => {
  let h: TestHarness<NestExpressApplication>;
  let http: Http;

  beforeAll(async () => {
    h = await createTestHttpApp(dialect, { loginRateLimit: 5 });
    http = request(h.app.getHttpServer());
    await seedUsers(h.app);
  });
  afterAll(async () => h?.close());

  it('the 6th attempt within a minute is 429 RATE_LIMITED with Retry-After, even with the right password', async () => {
    for (let i = 1; i <= 5; i++) {
      const res = await passwordLogin(http, 'canbo.snn', `wrong-password-${i}`);
      expect({ attempt: i, status: res.status }).toEqual({ attempt: i, status: 401 });
      expect(res.headers['retry-after']).toBeUndefined();
    }
    const limited = await passwordLogin(http, 'canbo.snn', 'wrong-password-6');
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ statusCode: 429, code: 'RATE_LIMITED' });
    expect(typeof limited.body.message).toBe('string');
    const retryAfter = Number(limited.headers['retry-after']);
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);

    const correct = await passwordLogin(http, 'canbo.snn', PASSWORD);
    expect(correct.status).toBe(429);
    expect(correct.body.code).toBe('RATE_LIMITED');
    expect(correct.body).not.toHaveProperty('accessToken');
    expect(correct.headers['retry-after']).toMatch(/^\d+$/);
    const otherUser = await passwordLogin(http, 'admin', TEST_ADMIN_PASSWORD);
    expect(otherUser.status).toBe(429);

    // Only login is limited.
    await http.get('/api/health').expect(200);
  });
});

describeEachDatabase('Denied attempts are logged', (dialect) => {
  let h: TestHarness<NestExpressApplication>;
  let http: Http;
  let tok: Record<TestUsername, string>;
  let snnId: string;
  const logged: Array<{ level: string; message: string; context: unknown }> = [];
  const capture =
    (level: string) =>
    (message: unknown, ...rest: unknown[]) => {
      logged.push({ level, message: String(message), context: rest.at(-1) });
    };
  const capturingLogger: LoggerService = {
    log: capture('log'),
    warn: capture('warn'),
    error: capture('error'),
    debug: capture('debug'),
    verbose: capture('verbose'),
    fatal: capture('fatal'),
  };

  beforeAll(async () => {
    h = await createTestHttpApp(dialect);
    http = request(h.app.getHttpServer());
    await seedUsers(h.app);
    tok = await loginAll(http);
    await http.post(`/api/plans/${PLAN}/cycles`).set(bearer(tok.admin)).send({ year: 2025 });
    const list = await http
      .get('/api/obligations')
      .query({ planId: PLAN, year: 2025, agency: 'SO_NNPTNT' })
      .set(bearer(tok.admin))
      .expect(200);
    snnId = list.body.items[0].id;
    h.app.useLogger(capturingLogger);
  });
  afterAll(async () => {
    // Logger.overrideLogger is process-wide: put a console logger back for the next suites.
    h?.app.useLogger(new ConsoleLogger({ logLevels: ['error', 'warn'] }));
    await h?.close();
  });

  const warnings = () => logged.filter((l) => l.level === 'warn');

  it("an officer reading or acting on another agency's obligation is logged with user, route and reason", async () => {
    logged.length = 0;
    const read = await http.get(`/api/obligations/${snnId}`).set(bearer(tok['canbo.sct']));
    expect(read.status).toBe(403);
    expect(read.body.code).toBe('FORBIDDEN');
    const w = warnings();
    expect(w).toHaveLength(1);
    expect(w[0]!.context).toBe('HTTP');
    expect(w[0]!.message).toContain('canbo.sct');
    expect(w[0]!.message).toContain(`GET /api/obligations/${snnId}`);
    expect(w[0]!.message).toContain('may not');
    expect(w[0]!.message).toMatch(/^Denied GET \/api\/obligations\/\S+ user=canbo\.sct: /);

    const act = await http
      .post(`/api/obligations/${snnId}/events`)
      .set(bearer(tok['canbo.sct']))
      .send({ type: 'START_IMPLEMENTATION', payload: { planRef: '1/KH-SCT' } });
    expect(act.status).toBe(403);
    const last = warnings().at(-1)!;
    expect(last.message).toContain(`POST /api/obligations/${snnId}/events user=canbo.sct`);
    expect(last.message).toContain('may not');

    const history = await http
      .get(`/api/obligations/${snnId}/history`)
      .set(bearer(tok['canbo.sct']));
    expect(history.status).toBe(403);
    expect(warnings().at(-1)!.message).toContain(
      `GET /api/obligations/${snnId}/history user=canbo.sct`,
    );
  });

  it('a role refused a route and an anonymous request are logged too', async () => {
    logged.length = 0;
    await http.get('/api/users').set(bearer(tok.kiemtoan)).expect(403);
    expect(warnings().at(-1)!.message).toMatch(
      /^Denied GET \/api\/users user=kiemtoan: Role auditor may not/,
    );
    await http.get('/api/plans').expect(401);
    expect(warnings().at(-1)!.message).toMatch(/^Denied GET \/api\/plans user=anonymous: /);
    expect(warnings()).toHaveLength(2);
  });

  it('allowed requests are not logged as denied', async () => {
    logged.length = 0;
    await http.get(`/api/obligations/${snnId}`).set(bearer(tok['canbo.snn'])).expect(200);
    await http.get('/api/users').set(bearer(tok.admin)).expect(200);
    expect(warnings()).toEqual([]);
  });
});

describeEachDatabase('Security headers', (dialect) => {
  let h: TestHarness<NestExpressApplication>;
  let http: Http;

  beforeAll(async () => {
    h = await createTestHttpApp(dialect);
    http = request(h.app.getHttpServer());
  });
  afterAll(async () => h?.close());

  it("responses carry helmet's headers and no CORS header by default", async () => {
    const res = await http.get('/api/health').set('Origin', 'https://dondoc.example.vn');
    expect(res.status).toBe(200);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(res.headers['content-security-policy']).toEqual(expect.any(String));
    expect(res.headers['strict-transport-security']).toEqual(expect.any(String));
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers['access-control-allow-origin']).toBeUndefined();

    const denied = await http.get('/api/plans').set('Origin', 'https://evil.example');
    expect(denied.status).toBe(401);
    expect(denied.headers['x-content-type-options']).toBe('nosniff');
    expect(denied.headers['access-control-allow-origin']).toBeUndefined();

    const preflight = await http
      .options('/api/obligations')
      .set('Origin', 'https://dondoc.example.vn')
      .set('Access-Control-Request-Method', 'POST');
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describeEachDatabase('CORS with configured origins', (dialect) => {
  const ALLOWED = 'https://dondoc.example.vn';
  let h: TestHarness<NestExpressApplication>;
  let http: Http;

  beforeAll(async () => {
    h = await createTestHttpApp(dialect, { corsOrigins: [ALLOWED] });
    http = request(h.app.getHttpServer());
  });
  afterAll(async () => h?.close());

  it('echoes an allowed Origin and not another', async () => {
    const ok = await http.get('/api/health').set('Origin', ALLOWED).expect(200);
    expect(ok.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(ok.headers['x-content-type-options']).toBe('nosniff');

    for (const origin of [
      'https://evil.example',
      'http://dondoc.example.vn',
      'https://dondoc.example.vn.evil.example',
      'null',
    ]) {
      const res = await http.get('/api/health').set('Origin', origin).expect(200);
      expect({ origin, acao: res.headers['access-control-allow-origin'] }).toEqual({
        origin,
        acao: undefined,
      });
    }
  });

  it('answers a preflight from the allowed origin only', async () => {
    const ok = await http
      .options('/api/obligations')
      .set('Origin', ALLOWED)
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'authorization,content-type');
    expect(ok.status).toBeLessThan(300);
    expect(ok.headers['access-control-allow-origin']).toBe(ALLOWED);
    const other = await http
      .options('/api/obligations')
      .set('Origin', 'https://evil.example')
      .set('Access-Control-Request-Method', 'POST');
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });
});
