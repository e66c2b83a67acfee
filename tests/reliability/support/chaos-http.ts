/**
 * HTTP as a client of a server that may die under it: every request either gets an answer
 * (a status and a whole body) or does not (refused, reset, closed mid-body, timed out). Requests
 * that got no answer are repeated, unchanged, until one does.
 */
import { createHmac } from 'node:crypto';
import { TEST_JWT_SECRET } from '../../support/server-process.js';

export type Attempt<T> =
  { answered: true; status: number; body: T } | { answered: false; reason: string };

/** One request; never throws for a network failure. */
export async function attempt<T = unknown>(
  url: string,
  method: string,
  route: string,
  token: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Attempt<T>> {
  try {
    const res = await fetch(`${url}${route}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    return { answered: true, status: res.status, body: (text ? JSON.parse(text) : null) as T };
  } catch (error) {
    const e = error as { name?: string; cause?: { code?: string; name?: string } };
    return { answered: false, reason: e.cause?.code ?? e.cause?.name ?? e.name ?? 'error' };
  }
}

export interface Persisted<T> {
  status: number;
  body: T;
  /** Attempts that got no answer before this one. */
  unanswered: number;
  /** Of those, how many had reached a server that then died (not simply refused). */
  lost: number;
}

/**
 * Repeats the same request until the server answers with anything but 503, waiting a little
 * between tries (the server is restarting). Throws when `signal` aborts (the test is over) or
 * after `deadlineMs` without an answer.
 */
export async function untilAnswered<T = unknown>(
  send: () => Promise<Attempt<T>>,
  signal?: AbortSignal,
  deadlineMs = 120_000,
): Promise<Persisted<T>> {
  const started = Date.now();
  let unanswered = 0;
  let lost = 0;
  for (let wait = 10; ; wait = Math.min(wait * 2, 100)) {
    signal?.throwIfAborted();
    const result = await send();
    if (result.answered && result.status !== 503) {
      return { status: result.status, body: result.body, unanswered, lost };
    }
    unanswered += 1;
    if (!result.answered && result.reason !== 'ECONNREFUSED') lost += 1;
    if (Date.now() - started > deadlineMs) {
      throw new Error(`no answer for ${deadlineMs} ms (last: ${JSON.stringify(result)})`);
    }
    await new Promise((r) => setTimeout(r, wait));
  }
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * An HS256 access token for `username`, signed with the JWT secret the test gives the server,
 * valid over the whole simulated period. The test moves the virtual clock by days, which would
 * expire a token from POST /api/auth/login (at most 24 h) at every step.
 */
export function mintToken(username: string, role: string): string {
  const iat = Math.floor(Date.parse('2025-01-01T00:00:00Z') / 1000);
  const exp = Math.floor(Date.parse('2027-01-01T00:00:00Z') / 1000);
  const unsigned = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: username, role, iat, exp })}`;
  const signature = createHmac('sha256', TEST_JWT_SECRET).update(unsigned).digest('base64url');
  return `${unsigned}.${signature}`;
}
