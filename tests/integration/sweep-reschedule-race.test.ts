/**
 * A deadline that moves while the sweep is firing: the sweep claims a due timer, then (before it
 * fires) an extension moves the timer past now. The timer must not fire early; it waits for its
 * new time and fires once then.
 */
import { afterAll, beforeAll, expect, it, jest } from '@jest/globals';
import type { INestApplicationContext } from '@nestjs/common';
import { CycleService } from '../../src/cycles/cycle.service.js';
import { Database } from '../../src/database/database.js';
import { CommandService } from '../../src/obligations/command.service.js';
import { SweepService } from '../../src/timers/sweep.service.js';
import { TimerRepository } from '../../src/timers/timer.repository.js';
import { admin, aggregator } from '../support/callers.js';
import { describeEachDatabase } from '../support/databases.js';
import { createTestContext, type TestHarness } from '../support/test-app.js';

const at = (iso: string) => Date.parse(iso);

describeEachDatabase('a deadline moved between claim and fire', (dialect) => {
  let h: TestHarness<INestApplicationContext>;
  let target: string;

  beforeAll(async () => {
    h = await createTestContext(dialect);
    const opened = await h.app.get(CycleService).open('thanh-hoa-nq46', 2025, admin);
    target = opened.obligations.find((o) => o.agencyCode === 'SO_CONGTHUONG')!.id;
  });
  afterAll(async () => h?.close());

  const timersOf = () =>
    h.app.get(Database).read((sql) => TimerRepository.forObligation(sql, target));

  it('Given the first reminder is claimed, when the deadline moves a month later before it fires, then it does not fire until its new time', async () => {
    const sweeps = h.app.get(SweepService);
    const claim = sweeps.claim.bind(sweeps);
    // 16/10 00:00 ICT: every first reminder is due. Right after the claim commits, the aggregator
    // extends Sở Công Thương to 15/12: its first reminder moves to 16/11 00:00 ICT (30 days before the end of 15/12).
    const now = at('2025-10-15T17:00:00.000Z');
    h.clock.set(new Date(now));
    const spy = jest.spyOn(sweeps, 'claim').mockImplementationOnce(async (timers, when) => {
      const claimed = await claim(timers, when);
      await h.app.get(CommandService).execute({
        obligationId: target,
        type: 'EXTEND_DEADLINE',
        payload: { newDueDate: '2025-12-15', basis: 'Công văn 7/UBND-KTTC' },
        caller: aggregator,
      });
      return claimed;
    });
    const fired = await sweeps.sweep(now);
    spy.mockRestore();
    expect(fired).toHaveLength(52); // everyone's first reminder but the extended one
    expect(fired.some((f) => f.obligationId === target)).toBe(false);
    const reminder = (await timersOf()).find((t) => t.kind === 'REMIND' && t.level === 1)!;
    expect(reminder).toMatchObject({ firedAt: null, cancelledAt: null });
    expect(new Date(reminder.dueAt).toISOString()).toBe('2025-11-15T17:00:00.000Z');

    // At its new time it fires, once.
    const later = await sweeps.sweep(at('2025-11-15T17:00:00.000Z'));
    expect(later.filter((f) => f.obligationId === target)).toEqual([
      { obligationId: target, type: 'REMIND', level: 1 },
    ]);
    const again = (await timersOf()).find((t) => t.kind === 'REMIND' && t.level === 1)!;
    expect(again.firedAt).toBe(at('2025-11-15T17:00:00.000Z'));
  });
});
