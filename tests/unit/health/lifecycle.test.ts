import { describe, expect, it } from '@jest/globals';
import { EventEmitter } from 'node:events';
import type { NextFunction, Request, Response } from 'express';
import { LifecycleService } from '../../../src/health/lifecycle.service.js';

/** Just enough of an Express response for the middleware. */
function fakeResponse() {
  const res = new EventEmitter() as EventEmitter & {
    headersSent: boolean;
    headers: Record<string, string>;
    statusCode: number;
    body: unknown;
  };
  Object.assign(res, { headersSent: false, headers: {}, statusCode: 200, body: undefined });
  const api = Object.assign(res, {
    setHeader: (k: string, v: string) => void (res.headers[k.toLowerCase()] = v),
    status: (code: number) => ((res.statusCode = code), api),
    json: (body: unknown) => ((res.body = body), (res.headersSent = true), res.emit('finish')),
  });
  return api;
}

function send(lifecycle: LifecycleService, path: string) {
  const res = fakeResponse();
  let passed = false;
  lifecycle.middleware(
    { path } as Request,
    res as unknown as Response,
    (() => (passed = true)) as NextFunction,
  );
  return { res, passed };
}

describe('the lifecycle: draining, requests in flight, background jobs', () => {
  it('counts a request from its arrival until its answer is written or its connection drops', () => {
    const lifecycle = new LifecycleService();
    const a = send(lifecycle, '/api/obligations');
    const b = send(lifecycle, '/api/obligations');
    expect([a.passed, b.passed, lifecycle.requestsInFlight]).toEqual([true, true, 2]);
    a.res.emit('finish');
    b.res.emit('close');
    b.res.emit('finish');
    expect(lifecycle.requestsInFlight).toBe(0);
  });

  it('while draining, refuses new requests with 503 except liveness and readiness', () => {
    const lifecycle = new LifecycleService();
    const before = send(lifecycle, '/api/obligations');
    lifecycle.startDraining();
    // The accepted request goes on, and its answer will close the connection.
    expect(before.res.headers.connection).toBe('close');
    const refused = send(lifecycle, '/api/obligations');
    expect(refused.passed).toBe(false);
    expect(refused.res.statusCode).toBe(503);
    expect(refused.res.body).toMatchObject({ code: 'SHUTTING_DOWN' });
    expect(send(lifecycle, '/api/health/live').passed).toBe(true);
    expect(send(lifecycle, '/api/health/ready').passed).toBe(true);
  });

  it('idle() waits for requests and jobs, and gives up after the timeout', async () => {
    const lifecycle = new LifecycleService();
    let release!: () => void;
    const job = lifecycle.runJob(() => new Promise<string>((r) => (release = () => r('done'))));
    const request = send(lifecycle, '/api/admin/sweep');
    lifecycle.startDraining();
    expect(await lifecycle.idle(50)).toBe(false);
    let idle = false;
    const waiting = lifecycle.idle(5000).then((v) => (idle = v));
    release();
    expect(await job).toBe('done');
    await new Promise((r) => setImmediate(r));
    expect(idle).toBe(false); // the request is still open
    request.res.emit('finish');
    await waiting;
    expect(idle).toBe(true);
  });

  it('starts no background job once draining', async () => {
    const lifecycle = new LifecycleService();
    lifecycle.startDraining();
    let ran = false;
    expect(await lifecycle.runJob(async () => (ran = true))).toBeNull();
    expect(ran).toBe(false);
  });
});
