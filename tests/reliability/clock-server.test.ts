/**
 * Clock faults through the built server (issue 9, item 3): `node dist/main.js` with a virtual
 * clock that an administrator moves back and forth across the deadline through
 * `POST /api/admin/clock`, sweeping through `POST /api/admin/sweep` (while the server's own
 * minute job also sweeps); the history read over HTTP shows each step once, in order, effective
 * at its due instant and recorded when it fired.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { freshDatabase, type TestDatabase } from '../support/databases.js';
import { api, loginOn, startServer, type ServerProcess } from '../support/server-process.js';

const PLAN = 'thanh-hoa-nq46';
const DEADLINE = Date.parse('2025-11-14T17:00:00.000Z'); // 15/11/2025 00:00 ICT
const MIN = 60_000;
const HOUR = 60 * MIN;

interface Fired {
  obligationId: string;
  type: string;
  level: number;
}
interface HistoryEntry {
  seq: number;
  type: string;
  payload: { level?: number };
  effectiveAt: string;
  recordedAt: string;
}

describe('clock jumps on the running server [sqlite]', () => {
  let db: TestDatabase;
  let server: ServerProcess;
  let token: string;

  const setClock = async (ms: number) => {
    const res = await api(server, token, 'POST', '/api/admin/clock', {
      now: new Date(ms).toISOString(),
    });
    expect(res.status).toBe(200);
  };
  const sweep = async () => {
    const res = await api<{ fired: Fired[] }>(server, token, 'POST', '/api/admin/sweep');
    expect(res.status).toBe(200);
    return res.body.fired;
  };
  const steps = (fired: Fired[]) => [...new Set(fired.map((f) => `${f.type}${f.level}`))].sort();

  beforeAll(async () => {
    db = await freshDatabase('sqlite');
    server = await startServer(db);
    token = await loginOn(server);
  });
  afterAll(async () => {
    await server?.stop();
    await db?.drop();
  });

  it('jumps 1 min before → 2 h after → 1 h before → 3 h after the deadline: the deadline step fires once, never early', async () => {
    await setClock(Date.parse('2025-06-01T03:00:00.000Z'));
    const opened = await api(server, token, 'POST', `/api/plans/${PLAN}/cycles`, { year: 2025 });
    expect(opened.status).toBe(201);

    await setClock(DEADLINE - MIN);
    const before = [...(await sweep()), ...(await sweep())];
    expect(steps(before)).not.toContain('DEADLINE_PASSED1');

    await setClock(DEADLINE + 2 * HOUR);
    const [x, y] = await Promise.all([sweep(), sweep()]);
    const after = [...x, ...y].filter((f) => f.type === 'DEADLINE_PASSED');
    expect(after.length).toBeLessThanOrEqual(53); // the minute job may have fired some of them

    await setClock(DEADLINE - HOUR);
    expect(await sweep()).toEqual([]);
    await setClock(DEADLINE + 3 * HOUR);
    expect(await Promise.all([sweep(), sweep()])).toEqual([[], []]);

    const escalations = await api<Array<{ kind: string; level: number; firedAt: string }>>(
      server,
      token,
      'GET',
      `/api/escalations?planId=${PLAN}&year=2025`,
    );
    const deadlineSteps = escalations.body.filter((e) => e.kind === 'DEADLINE_PASSED');
    expect(deadlineSteps).toHaveLength(53);
    for (const e of deadlineSteps) {
      expect(Date.parse(e.firedAt)).toBeGreaterThanOrEqual(DEADLINE);
      expect(Date.parse(e.firedAt)).toBeLessThanOrEqual(DEADLINE + 2 * HOUR);
    }

    const list = await api<{ items: Array<{ id: string }> }>(
      server,
      token,
      'GET',
      `/api/obligations?planId=${PLAN}&year=2025&agency=SO_CONGTHUONG`,
    );
    const id = list.body.items[0]!.id;
    const history = await api<HistoryEntry[]>(
      server,
      token,
      'GET',
      `/api/obligations/${id}/history`,
    );
    expect(history.body.map((e) => `${e.type}${e.payload.level ?? ''}`)).toEqual([
      'OBLIGATION_OPENED',
      'REMIND1',
      'REMIND2',
      'REMIND3',
      'DEADLINE_PASSED1',
    ]);
    const passed = history.body.at(-1)!;
    expect(passed.effectiveAt).toBe(new Date(DEADLINE).toISOString());
    expect(Date.parse(passed.recordedAt)).toBeGreaterThanOrEqual(DEADLINE);
    expect(Date.parse(passed.recordedAt)).toBeLessThanOrEqual(DEADLINE + 2 * HOUR);
    const state = await api<{ overdue: boolean; escalationLevel: number }>(
      server,
      token,
      'GET',
      `/api/obligations/${id}/state?at=${new Date(DEADLINE - 1).toISOString()}`,
    );
    expect(state.body).toMatchObject({ overdue: false, escalationLevel: 0 });
    expect(server.output()).not.toContain('Timer sweep failed');
  });
});
