/**
 * Clock faults (issue 9, item 3), on every database: the clock jumps back and forth across
 * deadlines while sweeps run again and at once (two applications on one database, like two
 * processes); claims lapse while the clock jumps; a downtime spans three escalation levels.
 * What must hold: no step fires before its due instant, none is skipped, none fires twice, and
 * each obligation's steps are recorded in level order, effective at their due instants.
 */
import { afterAll, beforeAll, expect, it, jest } from '@jest/globals';
import type { INestApplicationContext } from '@nestjs/common';
import { CycleService } from '../../src/cycles/cycle.service.js';
import { Database, intValue, jsonValue } from '../../src/database/database.js';
import { CommandService } from '../../src/obligations/command.service.js';
import { SweepService, type FiredTimer } from '../../src/timers/sweep.service.js';
import { TimerRepository } from '../../src/timers/timer.repository.js';
import { admin, aggregator, officerOf } from '../support/callers.js';
import { describeEachDatabase } from '../support/databases.js';
import { createTestContext, TEST_NOW, type TestHarness } from '../support/test-app.js';

// Hundreds of steps fire, one transaction each: PostgreSQL on a busy machine needs the time.
jest.setTimeout(120_000);

const PLAN = 'thanh-hoa-nq46';
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const WEBHOOK = 'http://127.0.0.1:9/clock-faults-hook';
const iso = (ms: number) => new Date(ms).toISOString();
/** A directed agency's steps in order; a requested body's are the first four. */
const LADDER = ['REMIND1', 'REMIND2', 'REMIND3', 'DEADLINE_PASSED1', 'ESCALATE2', 'ESCALATE3'];

interface StepEvent {
  obligationId: string;
  seq: number;
  step: string;
  effectiveAt: number;
  recordedAt: number;
}

interface TimerFact {
  obligationId: string;
  step: string;
  dueAt: number;
  firedAt: number | null;
  cancelledAt: number | null;
}

describeEachDatabase('clock faults', (dialect) => {
  let a: TestHarness<INestApplicationContext>;
  let b: TestHarness<INestApplicationContext>;
  const ids: Record<number, Record<string, string>> = {};

  const sql = () => a.app.get(Database);
  const sweeperA = () => a.app.get(SweepService);
  const sweeperB = () => b.app.get(SweepService);
  const label = (f: FiredTimer) => `${f.obligationId}:${f.type}${f.level}`;

  /** Sweeps from both applications at once, each at its own (jumping) clock. */
  async function sweepsAt(...nows: number[]): Promise<FiredTimer[]> {
    const runs = await Promise.all(
      nows.map((now, i) => (i % 2 === 0 ? sweeperA() : sweeperB()).sweep(now)),
    );
    return runs.flat();
  }

  async function timers(year: number): Promise<TimerFact[]> {
    const rows = await sql().read((q) =>
      q.query<Record<string, unknown>>(
        `SELECT t.obligation_id, t.kind, t.level, t.due_at, t.fired_at, t.cancelled_at
         FROM timers t JOIN obligations o ON o.id = t.obligation_id WHERE o.year = ?
         ORDER BY t.obligation_id, t.due_at, t.id`,
        [year],
      ),
    );
    return rows.map((r) => ({
      obligationId: String(r.obligation_id),
      step: `${String(r.kind)}${intValue(r.level)}`,
      dueAt: intValue(r.due_at),
      firedAt: r.fired_at == null ? null : intValue(r.fired_at),
      cancelledAt: r.cancelled_at == null ? null : intValue(r.cancelled_at),
    }));
  }

  /** The scheduler's events (REMIND, DEADLINE_PASSED, ESCALATE) of a cycle, by obligation and seq. */
  async function stepEvents(year: number): Promise<StepEvent[]> {
    const rows = await sql().read((q) =>
      q.query<Record<string, unknown>>(
        `SELECT e.obligation_id, e.seq, e.type, e.payload, e.effective_at, e.recorded_at
         FROM obligation_events e JOIN obligations o ON o.id = e.obligation_id
         WHERE o.year = ? AND e.actor = 'system:scheduler'
         ORDER BY e.obligation_id, e.seq`,
        [year],
      ),
    );
    return rows.map((r) => ({
      obligationId: String(r.obligation_id),
      seq: intValue(r.seq),
      step: `${String(r.type)}${jsonValue<{ level: number }>(r.payload).level}`,
      effectiveAt: intValue(r.effective_at),
      recordedAt: intValue(r.recorded_at),
    }));
  }

  /**
   * The invariants at the clock's `now`: every step recorded once and only for a fired timer, no
   * timer fired before it was due, none due and pending (skipped), every obligation's events in
   * seq order with non-decreasing effective times.
   */
  async function expectInvariants(year: number, now: number): Promise<void> {
    const ts = await timers(year);
    const events = await stepEvents(year);
    const keys = events.map((e) => `${e.obligationId}:${e.step}`);
    expect(new Set(keys).size).toBe(keys.length);
    const fired = ts.filter((t) => t.firedAt !== null);
    expect(keys.sort()).toEqual(fired.map((t) => `${t.obligationId}:${t.step}`).sort());
    expect(fired.filter((t) => t.firedAt! < t.dueAt)).toEqual([]);
    expect(
      ts.filter((t) => t.firedAt === null && t.cancelledAt === null && t.dueAt <= now),
    ).toEqual([]);
    const all = await sql().read((q) =>
      q.query<Record<string, unknown>>(
        `SELECT e.obligation_id, e.seq, e.effective_at FROM obligation_events e
         JOIN obligations o ON o.id = e.obligation_id WHERE o.year = ?
         ORDER BY e.obligation_id, e.seq`,
        [year],
      ),
    );
    let previous: { id: string; seq: number; at: number } | null = null;
    for (const r of all) {
      const cur = {
        id: String(r.obligation_id),
        seq: intValue(r.seq),
        at: intValue(r.effective_at),
      };
      if (previous?.id === cur.id) {
        expect(cur.seq).toBe(previous.seq + 1);
        expect(cur.at).toBeGreaterThanOrEqual(previous.at);
      } else {
        expect(cur.seq).toBe(1);
      }
      previous = cur;
    }
  }

  async function open(year: number, at: Date): Promise<void> {
    a.clock.set(at);
    const opened = await a.app.get(CycleService).open(PLAN, year, admin);
    ids[year] = Object.fromEntries(opened.obligations.map((o) => [o.agencyCode, o.id]));
  }

  /** The due instant of a step, the same for every obligation of the cycle still on its deadline. */
  async function dueOf(year: number, step: string, agency = 'SO_CONGTHUONG'): Promise<number> {
    const t = (await timers(year)).find(
      (x) => x.obligationId === ids[year]![agency] && x.step === step,
    );
    return t!.dueAt;
  }

  beforeAll(async () => {
    a = await createTestContext(dialect, { webhookUrls: [WEBHOOK] });
    b = await createTestContext(dialect, {
      dataDir: a.db.dataDir,
      databaseUrl: a.db.databaseUrl,
      webhookUrls: [WEBHOOK],
    });
    await open(2024, new Date('2024-06-01T03:00:00.000Z'));
    await open(2025, TEST_NOW);
    await open(2026, TEST_NOW);
  });
  afterAll(async () => {
    await b?.app.close();
    await a?.close();
  });

  it('Given the server was down from before the first reminder until past level 3, when the first sweeps run (two at once), then every step fires once, in level order, effective at its due instant', async () => {
    expect(await sweepsAt(Date.parse('2024-10-01T00:00:00Z'))).toEqual([]);
    const back = Date.parse('2025-01-10T01:00:00.000Z');
    const fired = await sweepsAt(back, back, back + MIN);
    expect(new Set(fired.map(label)).size).toBe(fired.length);
    const ts = await timers(2024);
    // Directed agencies: 3 reminders and levels 1–3; requested bodies: 3 reminders and level 1.
    expect(fired).toHaveLength(ts.length);
    await expectInvariants(2024, back + MIN);

    const events = await stepEvents(2024);
    const byObligation = new Map<string, StepEvent[]>();
    for (const e of events)
      byObligation.set(e.obligationId, [...(byObligation.get(e.obligationId) ?? []), e]);
    expect(byObligation.size).toBe(Object.keys(ids[2024]!).length);
    const lengths = new Set<number>();
    for (const [id, list] of byObligation) {
      const steps = list.map((e) => e.step);
      expect(steps).toEqual(LADDER.slice(0, steps.length)); // seq order is level order
      expect([4, 6]).toContain(steps.length);
      lengths.add(steps.length);
      for (const e of list) {
        const timer = ts.find((t) => t.obligationId === id && t.step === e.step)!;
        // Effective when it was due; recorded when the sweep caught up.
        expect(iso(e.effectiveAt)).toBe(iso(timer.dueAt));
        expect(e.recordedAt).toBeGreaterThanOrEqual(back);
        expect(timer.firedAt).toBe(e.recordedAt);
      }
    }
    expect([...lengths].sort()).toEqual([4, 6]);
    // The deadline passed at the deadline, not at the catch-up.
    const congThuong = byObligation.get(ids[2024]!.SO_CONGTHUONG!)!;
    expect(iso(congThuong.find((e) => e.step === 'DEADLINE_PASSED1')!.effectiveAt)).toBe(
      '2024-11-14T17:00:00.000Z',
    );

    // The outbox: one webhook row per step, written in the same order, sent at the catch-up time.
    const outbox = await sql().read((q) =>
      q.query<Record<string, unknown>>(
        `SELECT n.obligation_id, n.message, n.created_at FROM notification_outbox n
         JOIN obligations o ON o.id = n.obligation_id
         WHERE o.year = 2024 AND n.channel = 'webhook' ORDER BY n.id`,
      ),
    );
    expect(outbox).toHaveLength(events.length);
    const outboxBy = new Map<string, string[]>();
    for (const r of outbox) {
      const m = jsonValue<{ kind: string; level: number; firedAt: string }>(r.message);
      const id = String(r.obligation_id);
      outboxBy.set(id, [...(outboxBy.get(id) ?? []), `${m.kind}${m.level}`]);
      expect(Date.parse(m.firedAt)).toBe(intValue(r.created_at));
      expect(intValue(r.created_at)).toBeGreaterThanOrEqual(back);
    }
    for (const [id, list] of byObligation)
      expect(outboxBy.get(id)).toEqual(list.map((e) => e.step));

    // A later sweep, even with the clock set back to before the deadline, adds nothing.
    expect(await sweepsAt(back + HOUR, Date.parse('2024-11-01T00:00:00Z'))).toEqual([]);
  });

  it('Given sweeps run again and at once while the clock jumps across the deadline (1 min before, 2 h after, 1 h before, and on), then nothing fires early, twice, or not at all', async () => {
    const deadline = await dueOf(2025, 'DEADLINE_PASSED1');
    const level2 = await dueOf(2025, 'ESCALATE2');
    const level3 = await dueOf(2025, 'ESCALATE3');
    expect(iso(deadline)).toBe('2025-11-14T17:00:00.000Z');
    const of2025 = (fired: FiredTimer[]) =>
      fired.filter((f) => Object.values(ids[2025]!).includes(f.obligationId));
    const steps = (fired: FiredTimer[]) =>
      [...new Set(of2025(fired).map((f) => `${f.type}${f.level}`))].sort();

    // One minute before: the reminders, not the deadline.
    let fired = await sweepsAt(deadline - MIN, deadline - MIN, deadline - 2 * MIN);
    expect(steps(fired)).toEqual(['REMIND1', 'REMIND2', 'REMIND3']);
    expect(of2025(fired)).toHaveLength(53 * 3);
    await expectInvariants(2025, deadline - MIN);

    // Two hours after (one sweeper's clock already there, the other's still before): once each.
    fired = await sweepsAt(deadline + 2 * HOUR, deadline - MIN, deadline + 2 * HOUR, deadline);
    expect(steps(fired)).toEqual(['DEADLINE_PASSED1']);
    expect(of2025(fired)).toHaveLength(53);
    await expectInvariants(2025, deadline + 2 * HOUR);

    // Back to one hour before: nothing fires, nothing is undone; an officer acts meanwhile.
    expect(await sweepsAt(deadline - HOUR, deadline - HOUR)).toEqual([]);
    a.clock.set(new Date(deadline - HOUR));
    await a.app.get(CommandService).execute({
      obligationId: ids[2025]!.SO_TUPHAP!,
      type: 'START_IMPLEMENTATION',
      payload: { planRef: '7/KH-STP' },
      caller: officerOf('SO_TUPHAP'),
    });
    const tuphap = await sql().read((q) =>
      q.query<Record<string, unknown>>(
        `SELECT type, effective_at, recorded_at FROM obligation_events
         WHERE obligation_id = ? ORDER BY seq DESC LIMIT 1`,
        [ids[2025]!.SO_TUPHAP!],
      ),
    );
    // Never effective before the deadline event already recorded; recorded at the clock's time.
    expect(iso(intValue(tuphap[0]!.effective_at))).toBe(iso(deadline));
    expect(iso(intValue(tuphap[0]!.recorded_at))).toBe(iso(deadline - HOUR));
    await expectInvariants(2025, deadline - HOUR);

    // Forward to a minute before level 2, back past the deadline, then past level 2.
    expect(await sweepsAt(level2 - MIN, deadline + HOUR, level2 - MIN)).toEqual([]);
    fired = await sweepsAt(level2 + 3 * HOUR, deadline + HOUR, level2 + 3 * HOUR, level2);
    expect(steps(fired)).toEqual(['ESCALATE2']);
    expect(of2025(fired)).toHaveLength(47);
    await expectInvariants(2025, level2 + 3 * HOUR);

    // Back a day, then forward past level 3, twice.
    expect(await sweepsAt(level2 - DAY, level2 - DAY)).toEqual([]);
    fired = await sweepsAt(level3 + MIN, level3 + MIN, level2 - DAY);
    fired.push(...(await sweepsAt(level3 + 2 * MIN)));
    expect(steps(fired)).toEqual(['ESCALATE3']);
    expect(of2025(fired)).toHaveLength(47);
    await expectInvariants(2025, level3 + 2 * MIN);

    // Each step effective at its due instant (the officer's event came before level 2's).
    const ts = await timers(2025);
    for (const e of await stepEvents(2025)) {
      const due = ts.find((t) => t.obligationId === e.obligationId && t.step === e.step)!.dueAt;
      expect(e.effectiveAt).toBe(due);
    }
    const congThuong = (await stepEvents(2025))
      .filter((e) => e.obligationId === ids[2025]!.SO_CONGTHUONG)
      .map((e) => e.step);
    expect(congThuong).toEqual(LADDER);
  });

  it('Given a sweeper whose clock ran 2 h ahead claimed the first reminders and died, when the clock is set back, then another sweeper fires them at once (not 2 h later), once', async () => {
    const remind1 = await dueOf(2026, 'REMIND1');
    const ahead = remind1 + 2 * HOUR;
    const due = await sql().read((q) => TimerRepository.findDue(q, ahead, 1000));
    const claimed = await sweeperA().claim(due, ahead); // … and this process dies
    const n = Object.keys(ids[2026]!).length;
    expect(claimed).toHaveLength(n);
    // The clock is set back to the real time, one minute after the reminders were due.
    const fired = await sweeperB().sweep(remind1 + MIN);
    expect(fired).toHaveLength(n);
    // The first sweeper comes back with its old claims: they are fired already, nothing repeats.
    expect(await sweeperA().fireClaimed(claimed, ahead)).toEqual([]);
    expect(await sweepsAt(ahead, ahead + HOUR)).toEqual([]);
    await expectInvariants(2026, remind1 + MIN);
    for (const e of await stepEvents(2026)) expect(e.effectiveAt).toBe(remind1);
  });

  it('Given a claim that lapses while its sweeper is still firing (the clock jumps back 2 h, or forward 3 h), when another sweeper takes it over, then each step fires once', async () => {
    const n = Object.keys(ids[2026]!).length;
    for (const [step, jump] of [
      ['REMIND2', -2 * HOUR],
      ['REMIND3', 3 * HOUR],
    ] as const) {
      const dueAt = await dueOf(2026, step);
      const claimedAt = jump < 0 ? dueAt + 2 * HOUR + MIN : dueAt + MIN;
      const due = await sql().read((q) => TimerRepository.findDue(q, claimedAt, 1000));
      const claimed = await sweeperA().claim(due, claimedAt);
      expect(claimed).toHaveLength(n);
      const [x, y] = await Promise.all([
        sweeperA().fireClaimed(claimed, claimedAt),
        sweeperB().sweep(claimedAt + jump),
      ]);
      const all = [...x, ...y].map(label);
      expect(new Set(all).size).toBe(all.length);
      expect(all).toHaveLength(n);
      await expectInvariants(2026, claimedAt + jump);
    }
  });

  it('Given the deadline was moved after its timer was claimed, when the stale claim fires, then that step does not fire early; it fires once at the new deadline', async () => {
    const deadline = await dueOf(2026, 'DEADLINE_PASSED1');
    const due = await sql().read((q) => TimerRepository.findDue(q, deadline + MIN, 1000));
    const claimed = await sweeperA().claim(due, deadline + MIN);
    b.clock.set(new Date(deadline - HOUR));
    await b.app.get(CommandService).execute({
      obligationId: ids[2026]!.SO_YTE!,
      type: 'EXTEND_DEADLINE',
      payload: { newDueDate: '2026-11-30', basis: 'Công văn 9/SNN-KH' },
      caller: aggregator,
    });
    const fired = await sweeperA().fireClaimed(claimed, deadline + MIN);
    expect(fired.map((f) => f.obligationId)).not.toContain(ids[2026]!.SO_YTE);
    expect(fired).toHaveLength(Object.keys(ids[2026]!).length - 1);
    await expectInvariants(2026, deadline + MIN);
    const moved = await dueOf(2026, 'DEADLINE_PASSED1', 'SO_YTE');
    expect(iso(moved)).toBe('2026-11-30T17:00:00.000Z');
    // Meanwhile the others reach level 2 (22/11); Sở Y tế's deadline step waits for 01/12.
    const yte = (fired: FiredTimer[]) =>
      fired.filter((f) => f.obligationId === ids[2026]!.SO_YTE).map((f) => `${f.type}${f.level}`);
    expect(yte(await sweepsAt(moved - MIN, moved - MIN))).toEqual([]);
    expect(yte(await sweepsAt(moved, moved, moved - DAY))).toEqual(['DEADLINE_PASSED1']);
    await expectInvariants(2026, moved);
  });
});
