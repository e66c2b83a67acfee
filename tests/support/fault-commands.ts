/**
 * Commands for database fault tests: each is an EXTEND_DEADLINE carrying its Idempotency-Key in
 * its `basis`, so the history shows whether (and how many times) a command was applied.
 */
import { randomUUID } from 'node:crypto';
import { api, type ServerProcess } from './server-process.js';

export const PLAN = 'thanh-hoa-nq46';

export interface Answer {
  status: number;
  body: Record<string, unknown> | null;
  retryAfter: string | null;
  /** Milliseconds from sending to the answer. */
  ms: number;
}

/** Opens the 2025 cycle at 1 June 2025 (virtual clock) and returns its obligation ids. */
export async function openCycle(server: ServerProcess, token: string): Promise<string[]> {
  await api(server, token, 'POST', '/api/admin/clock', { now: '2025-06-01T03:00:00Z' });
  const opened = await api<{ obligations: Array<{ id: string }> }>(
    server,
    token,
    'POST',
    `/api/plans/${PLAN}/cycles`,
    { year: 2025 },
  );
  if (opened.status !== 201) throw new Error(`open cycle: ${opened.status}`);
  return opened.body.obligations.map((o) => o.id);
}

export interface FaultCommand {
  obligationId: string;
  key: string;
}

export function newCommand(obligationId: string): FaultCommand {
  return { obligationId, key: `fault-${randomUUID()}` };
}

/** Sends `command` once (a retry is the same call again: same key, same body). */
export async function send(
  server: Pick<ServerProcess, 'url'>,
  token: string,
  command: FaultCommand,
  timeoutMs = 30_000,
): Promise<Answer> {
  const started = performance.now();
  const res = await fetch(`${server.url}/api/obligations/${command.obligationId}/events`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      'idempotency-key': command.key,
    },
    body: JSON.stringify({
      type: 'EXTEND_DEADLINE',
      payload: { newDueDate: '2025-12-31', basis: `Công văn ${command.key}` },
    }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  return {
    status: res.status,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : null,
    retryAfter: res.headers.get('retry-after'),
    ms: performance.now() - started,
  };
}

/** How many times each key appears in the histories of `obligationIds`. */
export async function appliedKeys(
  server: ServerProcess,
  token: string,
  obligationIds: string[],
): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const id of obligationIds) {
    const history = await api<Array<{ type: string; payload: { basis?: string } }>>(
      server,
      token,
      'GET',
      `/api/obligations/${id}/history`,
    );
    if (history.status !== 200) throw new Error(`history ${id}: ${history.status}`);
    for (const e of history.body) {
      const key = /fault-[0-9a-f-]+/.exec(e.payload?.basis ?? '')?.[0];
      if (key) counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return counts;
}

/** `GET /api/audit/verify` for the whole database. */
export async function auditVerify(
  server: ServerProcess,
  token: string,
): Promise<{ ok: boolean; obligations: number; events: number; problems: unknown[] }> {
  const res = await api<{ ok: boolean; obligations: number; events: number; problems: unknown[] }>(
    server,
    token,
    'GET',
    '/api/audit/verify',
  );
  if (res.status !== 200) throw new Error(`audit verify: ${res.status}`);
  return res.body;
}

/** Polls readiness until it answers `status` (true) or `timeoutMs` passes (false). */
export async function waitForReadiness(
  server: Pick<ServerProcess, 'url'>,
  status: 200 | 503,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const res = await fetch(`${server.url}/api/health/ready`, {
      signal: AbortSignal.timeout(10_000),
    }).catch(() => null);
    if (res?.status === status) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

/** Sends every command at once (they join one write batch on SQLite); answers in order. */
export function sendAll(
  server: Pick<ServerProcess, 'url'>,
  token: string,
  commands: FaultCommand[],
): Promise<Answer[]> {
  return Promise.all(commands.map((c) => send(server, token, c)));
}

/** Sends one command to each of the first `n` obligations, all acknowledged; returns them. */
export async function acknowledged(
  server: ServerProcess,
  token: string,
  obligationIds: string[],
  n: number,
): Promise<FaultCommand[]> {
  const commands = obligationIds.slice(0, n).map(newCommand);
  const answers = await sendAll(server, token, commands);
  const failed = answers.filter((a) => a.status !== 200);
  if (failed.length) throw new Error(`not acknowledged: ${JSON.stringify(failed[0])}`);
  return commands;
}
