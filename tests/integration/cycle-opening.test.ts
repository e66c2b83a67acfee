import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { INestApplicationContext } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CycleScheduler } from '../../src/cycles/cycle-scheduler.service.js';
import { CycleService } from '../../src/cycles/cycle.service.js';
import { ObligationQueryService } from '../../src/obligations/obligation-query.service.js';
import { auditor } from '../support/callers.js';
import { describeEachDatabase } from '../support/databases.js';
import { createTestContext, type TestHarness } from '../support/test-app.js';

describeEachDatabase('yearly cycle opening', (dialect) => {
  let h: TestHarness<INestApplicationContext>;

  beforeAll(async () => {
    h = await createTestContext(dialect, {}, { scheduler: true });
  });
  afterAll(async () => h?.close());

  const cycleYears = async () => {
    const list = await h.app
      .get(ObligationQueryService)
      .list({ planId: 'thanh-hoa-nq46' }, 1, 500, auditor);
    return [...new Set(list.items.map((o) => o.year))].sort();
  };

  it('the cron job fires at 00:05 on 1 January, Asia/Ho_Chi_Minh', () => {
    const job = h.app.get(SchedulerRegistry).getCronJob('open-yearly-cycles');
    const next = job.nextDate().setZone('Asia/Ho_Chi_Minh');
    expect({ month: next.month, day: next.day, hour: next.hour, minute: next.minute }).toEqual({
      month: 1,
      day: 1,
      hour: 0,
      minute: 5,
    });
  });

  it('Given 31/12 in Hà Nội, the current cycle is that year; at 00:05 on 1/1 the job opens the new year', async () => {
    h.clock.set(new Date('2025-12-31T16:59:00.000Z')); // 31/12/2025 23:59 ICT (already 1/1 nowhere else)
    await h.app.get(CycleService).openCurrentCycles(auditor);
    expect(await cycleYears()).toEqual([2025]);
    h.clock.set(new Date('2025-12-31T17:05:00.000Z')); // 01/01/2026 00:05 ICT
    await h.app.get(CycleScheduler).openYearlyCycles();
    expect(await cycleYears()).toEqual([2025, 2026]);
    const list = await h.app
      .get(ObligationQueryService)
      .list({ planId: 'thanh-hoa-nq46', year: 2026 }, 1, 500, auditor);
    // The 2026 roster (registry as of 01/01/2026): no district, the 2025 departments.
    expect(list.total).toBe(21);
    expect(list.items[0]?.dueAt).toBe('2026-11-14T17:00:00.000Z');
  });

  it('running the job again changes nothing', async () => {
    await h.app.get(CycleScheduler).openYearlyCycles();
    const list = await h.app
      .get(ObligationQueryService)
      .list({ planId: 'thanh-hoa-nq46' }, 1, 500, auditor);
    expect(list.total).toBe(53 + 21);
  });
});
