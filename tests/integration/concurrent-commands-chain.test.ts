/**
 * Commands on one obligation at the same time (no expectedVersion), e.g. an officer's command
 * while the timer sweep fires a reminder: each waits for the one before it, and each event's
 * prevHash names the hash of the event before it. On PostgreSQL the waiting command must read the
 * newest event after it got the lock, not the one its statement saw before waiting.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { INestApplicationContext } from '@nestjs/common';
import { VerifyService } from '../../src/audit/verify.service.js';
import { CycleService } from '../../src/cycles/cycle.service.js';
import { CommandService } from '../../src/obligations/command.service.js';
import { admin, aggregator } from '../support/callers.js';
import { describeEachDatabase } from '../support/databases.js';
import { createTestContext, type TestHarness } from '../support/test-app.js';

describeEachDatabase('concurrent commands on one obligation', (dialect) => {
  let h: TestHarness<INestApplicationContext>;
  let target: string;

  beforeAll(async () => {
    h = await createTestContext(dialect);
    const opened = await h.app.get(CycleService).open('thanh-hoa-nq46', 2025, admin);
    target = opened.obligations.find((o) => o.agencyCode === 'SO_XAYDUNG')!.id;
  });
  afterAll(async () => h?.close());

  it('Given eight extensions sent at once, then all apply, one after another, and the hash chain verifies', async () => {
    const commands = h.app.get(CommandService);
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        commands.execute({
          obligationId: target,
          type: 'EXTEND_DEADLINE',
          payload: { newDueDate: `2025-12-${String(10 + i)}`, basis: `Công văn ${i}/UBND` },
          caller: aggregator,
        }),
      ),
    );
    expect(answers.map((a) => a.version).sort((x, y) => x - y)).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
    const report = await h.app.get(VerifyService).verify();
    expect(report).toMatchObject({ ok: true, problems: [] });
  });
});
