/**
 * Durable deadlines and escalation, as the year unfolds (Given/When/Then), on every database.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { INestApplicationContext } from '@nestjs/common';
import { CycleService } from '../../src/cycles/cycle.service.js';
import { Database } from '../../src/database/database.js';
import { CommandService } from '../../src/obligations/command.service.js';
import { ObligationQueryService } from '../../src/obligations/obligation-query.service.js';
import { SweepService, CLAIM_LEASE_MS } from '../../src/timers/sweep.service.js';
import { TimerRepository } from '../../src/timers/timer.repository.js';
import { UsersService } from '../../src/users/users.service.js';
import { admin, aggregator, auditor, officerOf } from '../support/callers.js';
import { describeEachDatabase } from '../support/databases.js';
import { createTestContext, type TestHarness } from '../support/test-app.js';

const PLAN = 'thanh-hoa-nq46';
const at = (iso: string) => Date.parse(iso);

describeEachDatabase('escalation (đôn đốc)', (dialect) => {
  let h: TestHarness<INestApplicationContext>;
  let ids: Record<string, string>;

  const history = async (code: string) =>
    (await h.app.get(ObligationQueryService).history(ids[code]!, auditor)).map(
      (e) => `${e.type}${e.payload.level ?? ''}`,
    );
  const sweepAt = (iso: string) => {
    h.clock.set(new Date(iso));
    return h.app.get(SweepService).sweep();
  };
  const firedFor = (
    fired: Array<{ obligationId: string; type: string; level: number }>,
    code: string,
  ) => fired.filter((f) => f.obligationId === ids[code]).map((f) => `${f.type}${f.level}`);

  beforeAll(async () => {
    h = await createTestContext(dialect);
    await h.app
      .get(UsersService)
      .create({ username: 'lanhdao.ubnd', password: 'mat-khau-dai', role: 'leader' });
    await h.app.get(UsersService).create({
      username: 'canbo.sct',
      password: 'mat-khau-dai',
      role: 'officer',
      agencyCode: 'SO_CONGTHUONG',
    });
    const opened = await h.app.get(CycleService).open(PLAN, 2025, admin);
    ids = Object.fromEntries(opened.obligations.map((o) => [o.agencyCode, o.id]));
    // Agencies that behave differently in the scenario:
    const cmd = h.app.get(CommandService);
    await cmd.execute({
      obligationId: ids.SO_TUPHAP!,
      type: 'START_IMPLEMENTATION',
      payload: { planRef: '1/KH-STP' },
      caller: officerOf('SO_TUPHAP'),
    });
    await cmd.execute({
      obligationId: ids.SO_YTE!,
      type: 'START_IMPLEMENTATION',
      payload: { planRef: '2/KH-SYT' },
      caller: officerOf('SO_YTE'),
    });
  });
  afterAll(async () => h?.close());

  it('Given the cycle is open on 1/6, when nothing is due yet, then the sweep fires nothing', async () => {
    expect(await sweepAt('2025-06-01T03:00:00.000Z')).toEqual([]);
  });

  it('When 16/10 00:00 ICT comes, then every obligation gets its first reminder, once', async () => {
    const fired = await sweepAt('2025-10-15T17:00:00.000Z');
    // 53: the 2025 roster (Đông Sơn merged into the city on 01/01/2025).
    expect(fired).toHaveLength(53);
    expect(new Set(fired.map((f) => `${f.type}${f.level}`))).toEqual(new Set(['REMIND1']));
    expect(await sweepAt('2025-10-15T17:00:30.000Z')).toEqual([]);
    expect(await history('SO_CONGTHUONG')).toEqual(['OBLIGATION_OPENED', 'REMIND1']);
  });

  it('Given Sở Tư pháp submits on 10/11, then its pending reminders and escalations are cancelled', async () => {
    h.clock.set(new Date('2025-11-10T02:00:00.000Z'));
    await h.app.get(CommandService).execute({
      obligationId: ids.SO_TUPHAP!,
      type: 'SUBMIT_REPORT',
      payload: { reportRef: '88/BC-STP' },
      caller: officerOf('SO_TUPHAP'),
    });
    const timers = await h.app
      .get(Database)
      .read((sql) => TimerRepository.forObligation(sql, ids.SO_TUPHAP!));
    expect(timers.filter((t) => t.firedAt === null).every((t) => t.cancelledAt !== null)).toBe(
      true,
    );
  });

  it('Given the aggregator extends Sở Y tế to 30/11, then its steps move with the deadline', async () => {
    await h.app.get(CommandService).execute({
      obligationId: ids.SO_YTE!,
      type: 'EXTEND_DEADLINE',
      payload: { newDueDate: '2025-11-30', basis: 'Công văn 123/SNN-KH' },
      caller: aggregator,
    });
    const timers = await h.app
      .get(Database)
      .read((sql) => TimerRepository.forObligation(sql, ids.SO_YTE!));
    const passed = timers.find((t) => t.kind === 'DEADLINE_PASSED')!;
    expect(new Date(passed.dueAt).toISOString()).toBe('2025-11-30T17:00:00.000Z'); // 01/12 00:00 ICT
  });

  it('When the deadline passes (15/11 00:00 ICT), then the rest are overdue at level 1, after their last reminders', async () => {
    const fired = await sweepAt('2025-11-14T17:00:00.000Z');
    expect(firedFor(fired, 'SO_CONGTHUONG')).toEqual(['REMIND2', 'REMIND3', 'DEADLINE_PASSED1']);
    expect(firedFor(fired, 'HOI_NONGDAN_TINH')).toEqual(['REMIND2', 'REMIND3', 'DEADLINE_PASSED1']);
    expect(firedFor(fired, 'SO_TUPHAP')).toEqual([]);
    expect(firedFor(fired, 'SO_YTE')).toEqual([]); // its steps moved too: reminders 23/11 and 28/11
    const view = await h.app.get(ObligationQueryService).get(ids.SO_CONGTHUONG!, auditor);
    expect(view).toMatchObject({ overdue: true, escalationLevel: 1 });
  });

  it('When five working days pass (22/11 00:00 ICT), then directed agencies go to level 2, requested bodies do not', async () => {
    expect(await sweepAt('2025-11-21T16:59:59.000Z')).toEqual([]);
    const fired = await sweepAt('2025-11-21T17:00:00.000Z');
    expect(firedFor(fired, 'SO_CONGTHUONG')).toEqual(['ESCALATE2']);
    expect(firedFor(fired, 'HOI_NONGDAN_TINH')).toEqual([]);
  });

  it('When ten working days pass, then level 3 notifies UBND tỉnh (the leader)', async () => {
    const fired = await sweepAt('2025-11-28T17:00:00.000Z');
    expect(firedFor(fired, 'SO_CONGTHUONG')).toEqual(['ESCALATE3']);
    const view = await h.app.get(ObligationQueryService).get(ids.SO_CONGTHUONG!, auditor);
    expect(view.escalationLevel).toBe(3);
    const rows = await h.app
      .get(Database)
      .read((sql) => TimerRepository.forObligation(sql, ids.SO_CONGTHUONG!));
    expect(rows.find((t) => t.level === 3 && t.kind === 'ESCALATE')?.recipients).toEqual(
      expect.arrayContaining(['lanhdao.ubnd', 'canbo.sct']),
    );
  });

  it('Then the year reads, in order, for a directed agency and for a requested body', async () => {
    expect(await history('SO_CONGTHUONG')).toEqual([
      'OBLIGATION_OPENED',
      'REMIND1',
      'REMIND2',
      'REMIND3',
      'DEADLINE_PASSED1',
      'ESCALATE2',
      'ESCALATE3',
    ]);
    expect(await history('HOI_NONGDAN_TINH')).toEqual([
      'OBLIGATION_OPENED',
      'REMIND1',
      'REMIND2',
      'REMIND3',
      'DEADLINE_PASSED1',
    ]);
    expect(await history('SO_TUPHAP')).toEqual([
      'OBLIGATION_OPENED',
      'START_IMPLEMENTATION',
      'REMIND1',
      'SUBMIT_REPORT',
    ]);
  });

  it('Given a report returned after the deadline, then the chase resumes where it stopped', async () => {
    h.clock.set(new Date('2025-12-01T02:00:00.000Z'));
    await h.app.get(CommandService).execute({
      obligationId: ids.SO_TUPHAP!,
      type: 'RETURN_REPORT',
      payload: { reason: 'Thiếu biểu số liệu' },
      caller: aggregator,
    });
    const fired = await sweepAt('2025-12-01T02:00:01.000Z');
    expect(firedFor(fired, 'SO_TUPHAP')).toEqual([
      'REMIND2',
      'REMIND3',
      'DEADLINE_PASSED1',
      'ESCALATE2',
      'ESCALATE3',
    ]);
  });
});

describeEachDatabase('escalation: exactly once', (dialect) => {
  let a: TestHarness<INestApplicationContext>;
  let b: TestHarness<INestApplicationContext>;

  beforeAll(async () => {
    a = await createTestContext(dialect);
    // A second application on the same database: its own connection, like another process.
    b = await createTestContext(dialect, { dataDir: a.db.dataDir, databaseUrl: a.db.databaseUrl });
    await a.app.get(CycleService).open(PLAN, 2025, admin);
  });
  afterAll(async () => {
    await b?.app.close();
    await a?.close();
  });

  const eventCounts = () =>
    a.app.get(Database).read(async (sql) => {
      const rows = await sql.query<{ type: string; n: unknown }>(
        `SELECT type, COUNT(*) AS n FROM obligation_events GROUP BY type ORDER BY type`,
      );
      return Object.fromEntries(rows.map((r) => [r.type, Number(r.n)]));
    });

  it('a crash between claim and fire: the claim lapses and the timer fires once, later', async () => {
    const now = at('2025-10-15T17:00:00.000Z');
    const due = await a.app.get(Database).read((sql) => TimerRepository.findDue(sql, now, 10));
    const claimed = await a.app.get(SweepService).claim(due, now); // … and the process dies here
    expect(claimed).toHaveLength(10);
    const during = await b.app.get(SweepService).sweep(now);
    expect(during).toHaveLength(43); // the other 43 first reminders; the 10 claimed ones wait
    expect(await b.app.get(SweepService).sweep(now + CLAIM_LEASE_MS - 1)).toEqual([]);
    const after = await b.app.get(SweepService).sweep(now + CLAIM_LEASE_MS + 1);
    expect(after.map((f) => f.obligationId).sort()).toEqual(
      claimed.map((t) => t.obligationId).sort(),
    );
    expect((await eventCounts()).REMIND).toBe(53);
  });

  it('two sweeps at once, from two connections, after a long downtime: each step fires once, in order', async () => {
    const now = at('2025-12-31T17:00:00.000Z');
    const [x, y] = await Promise.all([
      a.app.get(SweepService).sweep(now),
      b.app.get(SweepService).sweep(now),
    ]);
    const all = [...x, ...y].map((f) => `${f.obligationId}:${f.type}${f.level}`);
    expect(new Set(all).size).toBe(all.length);
    // 47 directed: REMIND2, REMIND3, DEADLINE_PASSED, ESCALATE2, ESCALATE3; 6 requested: 3 steps.
    expect(all.length).toBe(47 * 5 + 6 * 3);
    expect(await eventCounts()).toEqual({
      DEADLINE_PASSED: 53,
      ESCALATE: 94,
      OBLIGATION_OPENED: 53,
      REMIND: 159,
    });
    const rows = await a.app
      .get(Database)
      .read((sql) =>
        sql.query<{ obligation_id: string; type: string; seq: number }>(
          `SELECT obligation_id, type, seq FROM obligation_events ORDER BY obligation_id, seq`,
        ),
      );
    const byObligation = new Map<string, string[]>();
    for (const r of rows)
      byObligation.set(r.obligation_id, [...(byObligation.get(r.obligation_id) ?? []), r.type]);
    for (const types of byObligation.values()) {
      const firstEscalation = types.indexOf('ESCALATE');
      if (firstEscalation >= 0)
        expect(types.indexOf('DEADLINE_PASSED')).toBeLessThan(firstEscalation);
      expect(types.lastIndexOf('REMIND')).toBeLessThan(types.indexOf('DEADLINE_PASSED'));
    }
  });
});
