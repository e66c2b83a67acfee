/**
 * Graceful shutdown of a real server process: on SIGTERM it stops being ready and refuses new
 * requests with 503, but finishes what it accepted (a command, a timer sweep) before exiting 0;
 * what it answered 200 is in the database afterwards.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import net from 'node:net';
import { describeEachDatabase, freshDatabase, type TestDatabase } from '../support/databases.js';
import { api, loginOn, startServer, type ServerProcess } from '../support/server-process.js';

/** A request whose body is held back until `finish()`: the server has accepted it, not served it. */
function heldRequest(
  port: number,
  method: string,
  route: string,
  token: string,
  body: unknown,
): { finish(): void; response: Promise<{ status: number; headers: string; body: unknown }> } {
  const bytes = Buffer.from(JSON.stringify(body));
  const socket = net.connect(port, '127.0.0.1');
  socket.write(
    `${method} ${route} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${bytes.length}\r\n\r\n`,
  );
  socket.write(bytes.subarray(0, 1));
  let raw = '';
  socket.on('data', (d: Buffer) => (raw += d.toString()));
  const response = new Promise<{ status: number; headers: string; body: unknown }>((resolve) =>
    socket.on('close', () => {
      const split = raw.indexOf('\r\n\r\n');
      const headers = raw.slice(0, split);
      resolve({
        status: Number(/^HTTP\/1\.1 (\d{3})/.exec(headers)?.[1] ?? 0),
        headers,
        body: JSON.parse(raw.slice(split + 4) || 'null'),
      });
    }),
  );
  return { finish: () => void socket.write(bytes.subarray(1)), response };
}

/** The value of a metric line, from `GET /metrics` (loopback). */
async function metric(server: ServerProcess, name: string): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return Number(line?.split(' ')[1]);
}

describeEachDatabase('graceful shutdown of a server process', (dialect) => {
  let db: TestDatabase;
  let server: ServerProcess | undefined;

  beforeAll(async () => {
    db = await freshDatabase(dialect);
  });
  afterAll(async () => {
    if (server?.child.exitCode === null) server.child.kill('SIGKILL');
    await db?.drop();
  });

  it('SIGTERM: not ready, new requests 503, accepted work (a command, a sweep) finishes, exit 0', async () => {
    server = await startServer(db);
    const s = server;
    const token = await loginOn(s);
    await api(s, token, 'POST', '/api/admin/clock', { now: '2025-06-01T03:00:00Z' });
    const opened = await api<{ obligations: Array<{ id: string; agencyCode: string }> }>(
      s,
      token,
      'POST',
      '/api/plans/thanh-hoa-nq46/cycles',
      { year: 2025 },
    );
    expect(opened.status).toBe(201);
    const target = opened.body.obligations.find((o) => o.agencyCode === 'SO_TAICHINH')!;
    // 16 November: the deadline (15/11) and the 3 reminders of every obligation are due.
    await api(s, token, 'POST', '/api/admin/clock', { now: '2025-11-16T03:00:00Z' });

    // Two requests the server has accepted but cannot serve yet: their bodies are held back.
    const extend = heldRequest(s.port, 'POST', `/api/obligations/${target.id}/events`, token, {
      type: 'EXTEND_DEADLINE',
      payload: { newDueDate: '2025-12-31', basis: 'Công văn số 99/UBND-NN' },
    });
    const sweep = heldRequest(s.port, 'POST', '/api/admin/sweep', token, {});
    // Both are counted in flight (with the scrape itself: 3).
    for (let i = 0; i < 100 && (await metric(s, 'dondoc_http_requests_in_flight')) !== 3; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await metric(s, 'dondoc_http_requests_in_flight')).toBe(3);

    s.child.kill('SIGTERM');
    let ready = await fetch(`${s.url}/api/health/ready`);
    for (let i = 0; i < 100 && ready.status === 200; i++) {
      await new Promise((r) => setTimeout(r, 50));
      ready = await fetch(`${s.url}/api/health/ready`);
    }
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({
      code: 'NOT_READY',
      checks: { accepting: 'draining' },
    });
    expect((await fetch(`${s.url}/api/health/live`)).status).toBe(200);
    const refused = await fetch(`${s.url}/api/obligations?planId=thanh-hoa-nq46&year=2025`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('connection')).toBe('close');
    expect(await refused.json()).toMatchObject({ code: 'SHUTTING_DOWN' });
    expect((await api(s, token, 'POST', '/api/admin/sweep')).status).toBe(503);
    // Still running: it waits for what it accepted.
    await new Promise((r) => setTimeout(r, 300));
    expect(s.child.exitCode).toBeNull();

    extend.finish();
    const extended = await extend.response;
    expect(extended.status).toBe(200);
    expect(extended.body).toMatchObject({ id: target.id, version: 2, overdue: false });
    expect(extended.headers.toLowerCase()).toContain('connection: close');
    expect(s.child.exitCode).toBeNull();

    sweep.finish();
    const swept = await sweep.response;
    expect(swept.status).toBe(200);
    // Everyone's deadline pass and reminders, except the obligation whose deadline moved.
    expect((swept.body as { fired: unknown[] }).fired).toHaveLength(52 * 4);

    expect(await s.exited).toBe(0);
    expect(s.output()).toMatch(/SIGTERM: draining/);
    expect(s.output()).toMatch(/Stopped after \d+ ms/);

    // Everything answered 200 was committed: a new process sees it, and the chains verify.
    server = await startServer(db);
    const again = await loginOn(server);
    // The virtual clock resumes from the time set before the restart (it is stored).
    const clock = await api<{ now: string }>(server, again, 'GET', '/api/clock');
    expect(clock.body.now).toBe('2025-11-16T03:00:00.000Z');
    const history = await api<Array<{ type: string }>>(
      server,
      again,
      'GET',
      `/api/obligations/${target.id}/history`,
    );
    expect(history.body.map((e) => e.type)).toEqual(['OBLIGATION_OPENED', 'EXTEND_DEADLINE']);
    const escalations = await api<unknown[]>(
      server,
      again,
      'GET',
      '/api/escalations?planId=thanh-hoa-nq46&year=2025',
    );
    expect(escalations.body).toHaveLength(52 * 4);
    const verify = await api<{ ok: boolean; events: number }>(
      server,
      again,
      'GET',
      '/api/audit/verify',
    );
    expect(verify.body).toMatchObject({ ok: true, events: 53 + 1 + 52 * 4 });
    expect(await server.stop()).toBe(0);
  }, 90_000);
});
