/**
 * Shutdown while the minute's timer sweep runs: the sweep finishes and commits every timer it
 * fires before the database closes, and the process would exit 0.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from '../../src/app.module.js';
import { VirtualClock } from '../../src/clock/clocks.js';
import { CycleService } from '../../src/cycles/cycle.service.js';
import { Database } from '../../src/database/database.js';
import { installGracefulShutdown } from '../../src/health/graceful-shutdown.js';
import { TimerScheduler } from '../../src/timers/timer-scheduler.service.js';
import { admin } from '../support/callers.js';
import { describeEachDatabase } from '../support/databases.js';
import { createTestContext, type TestHarness } from '../support/test-app.js';

describeEachDatabase('shutdown during a timer sweep', (dialect) => {
  let h: TestHarness<INestApplicationContext>;
  let reopened: INestApplicationContext | undefined;

  beforeAll(async () => {
    h = await createTestContext(dialect, {}, { scheduler: true });
    await h.app.get(CycleService).open('thanh-hoa-nq46', 2025, admin);
  });
  afterAll(async () => {
    await reopened?.close();
    await h?.db.drop();
  });

  it('waits for the running sweep, then closes the database; every fired timer is committed', async () => {
    h.clock.set(new Date('2025-11-16T03:00:00.000Z'));
    let sweepDone = false;
    const sweeping = h.app
      .get(TimerScheduler)
      .sweepEveryMinute()
      .then(() => (sweepDone = true));
    const exits: number[] = [];
    const shutdown = installGracefulShutdown(
      h.app,
      { shutdownTimeoutMs: 30_000 },
      { exit: (code) => exits.push(code), signals: [] },
    );
    await shutdown('SIGTERM');
    expect(sweepDone).toBe(true);
    expect(exits).toEqual([0]);
    await sweeping;

    reopened = await NestFactory.createApplicationContext(
      AppModule.register(h.config, { clock: new VirtualClock(h.clock.now()), scheduler: false }),
      { logger: ['error'] },
    );
    const [row] = await reopened.get(Database).read((sql) =>
      sql.query<{ fired: unknown; due: unknown }>(
        `SELECT SUM(CASE WHEN fired_at IS NOT NULL THEN 1 ELSE 0 END) AS fired,
                SUM(CASE WHEN fired_at IS NULL AND cancelled_at IS NULL AND due_at <= ? THEN 1 ELSE 0 END) AS due
         FROM timers`,
        [h.clock.now().getTime()],
      ),
    );
    expect({ fired: Number(row!.fired), due: Number(row!.due) }).toEqual({ fired: 53 * 4, due: 0 }); // the 2025 roster: 53;
  });
});
