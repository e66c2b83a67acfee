import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplicationContext } from '@nestjs/common';
import { CycleService } from '../../src/cycles/cycle.service.js';
import { DomainError } from '../../src/core/errors.js';
import { Database } from '../../src/database/database.js';
import { CommandService } from '../../src/obligations/command.service.js';
import { ObligationQueryService } from '../../src/obligations/obligation-query.service.js';
import type { Caller } from '../../src/obligations/obligation-view.js';
import { describeEachDatabase } from '../support/databases.js';
import { createTestContext, type TestHarness } from '../support/test-app.js';

const PLAN = 'thanh-hoa-nq46';
const officer: Caller = { name: 'officer.snn', system: false };

async function rejection(p: Promise<unknown>): Promise<DomainError> {
  try {
    await p;
  } catch (e) {
    return e as DomainError;
  }
  throw new Error('expected the command to be rejected');
}

describeEachDatabase('command path', (dialect) => {
  let h: TestHarness<INestApplicationContext>;
  let commands: CommandService;
  let queries: ObligationQueryService;
  let db: Database;
  let ids: Record<string, string>;

  beforeAll(async () => {
    h = await createTestContext(dialect);
    commands = h.app.get(CommandService);
    queries = h.app.get(ObligationQueryService);
    db = h.app.get(Database);
    const opened = await h.app.get(CycleService).open(PLAN, 2025, { name: 'admin', system: false });
    ids = Object.fromEntries(opened.obligations.map((o) => [o.agencyCode, o.id]));
  });
  afterAll(async () => h?.close());

  const eventCount = (id: string) =>
    db.read(async (sql) => {
      const rows = await sql.query<{ n: unknown }>(
        'SELECT COUNT(*) AS n FROM obligation_events WHERE obligation_id = ?',
        [id],
      );
      return Number(rows[0]!.n);
    });

  it('opening a cycle creates one obligation per reporting agency, each with an opening event', async () => {
    const again = await h.app.get(CycleService).open(PLAN, 2025, { name: 'admin', system: false });
    expect(again.created).toBe(false);
    expect(again.obligations).toHaveLength(54);
    expect(Object.keys(ids)).toHaveLength(54);
    expect(await eventCount(ids.SO_NNPTNT!)).toBe(1);
    const hist = await queries.history(ids.SO_NNPTNT!);
    expect(hist[0]).toMatchObject({
      seq: 1,
      type: 'OBLIGATION_OPENED',
      actor: 'admin',
      stageAfter: 'plan_drafted',
    });
  });

  it('walks an obligation through its whole lifecycle, recording each event and its actor', async () => {
    const id = ids.SO_CONGTHUONG!;
    const steps: Array<[string, Record<string, unknown>, string]> = [
      ['START_IMPLEMENTATION', { planRef: '45/KH-SCT' }, 'implementing'],
      ['SUBMIT_REPORT', { reportRef: '210/BC-SCT' }, 'report_submitted'],
      ['AGGREGATE', {}, 'aggregated'],
      ['REPORT_TO_UBND', { consolidatedReportRef: '300/BC-SNN' }, 'reported_to_ubnd'],
    ];
    let version = 1;
    for (const [type, payload, stage] of steps) {
      const view = await commands.execute({
        obligationId: id,
        type,
        payload,
        expectedVersion: version,
        caller: officer,
      });
      version += 1;
      expect(view).toMatchObject({ stage, version });
    }
    const hist = await queries.history(id);
    expect(hist.map((e) => e.type)).toEqual(['OBLIGATION_OPENED', ...steps.map((s) => s[0])]);
    expect(hist.every((e, i) => e.seq === i + 1)).toBe(true);
    expect(hist[1]).toMatchObject({
      actor: 'officer.snn',
      payload: { planRef: '45/KH-SCT' },
      machineVersion: 'annual-report@1',
    });
  });

  it('two concurrent commands with the same expected version: exactly one wins, the other gets 409', async () => {
    const id = ids.SO_TUPHAP!;
    const send = () =>
      commands.execute({
        obligationId: id,
        type: 'START_IMPLEMENTATION',
        payload: { planRef: '1/KH' },
        expectedVersion: 1,
        caller: officer,
      });
    const results = await Promise.allSettled([send(), send()]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect((lost[0]!.reason as DomainError).code).toBe('VERSION_CONFLICT');
    expect((lost[0]!.reason as DomainError).details.currentVersion).toBe(2);
    expect(await eventCount(id)).toBe(2);
  });

  it('concurrent commands without an expected version apply one after the other, never lost', async () => {
    const id = ids.SO_KHCN!;
    await commands.execute({
      obligationId: id,
      type: 'START_IMPLEMENTATION',
      payload: { planRef: '2/KH' },
      caller: officer,
    });
    const extensions = Array.from({ length: 8 }, (_, i) =>
      commands.execute({
        obligationId: id,
        type: 'EXTEND_DEADLINE',
        payload: { newDueDate: `2025-11-${String(20 + i).padStart(2, '0')}`, basis: `CV ${i}` },
        caller: officer,
      }),
    );
    const settled = await Promise.allSettled(extensions);
    expect(settled.every((s) => s.status === 'fulfilled')).toBe(true);
    const view = await queries.get(id, officer);
    expect(view.version).toBe(10);
    expect(await eventCount(id)).toBe(10);
  });

  it('a rejected command changes nothing: stage, version and event count stay', async () => {
    const id = ids.SO_TAICHINH!;
    const before = await queries.get(id, officer);
    const err = await rejection(
      commands.execute({ obligationId: id, type: 'AGGREGATE', payload: {}, caller: officer }),
    );
    expect(err.code).toBe('EVENT_NOT_ALLOWED');
    expect(err.details).toMatchObject({ stage: 'plan_drafted' });
    expect(err.details.allowedEvents).toEqual([
      'START_IMPLEMENTATION',
      'EXTEND_DEADLINE',
      'WITHDRAW',
    ]);
    const bad = await rejection(
      commands.execute({
        obligationId: id,
        type: 'START_IMPLEMENTATION',
        payload: {},
        caller: officer,
      }),
    );
    expect(bad.code).toBe('VALIDATION_FAILED');
    const after = await queries.get(id, officer);
    expect(after).toEqual(before);
    expect(await eventCount(id)).toBe(1);
  });

  it('the scheduler-only events are refused to people', async () => {
    const err = await rejection(
      commands.execute({
        obligationId: ids.SO_YTE!,
        type: 'ESCALATE',
        payload: { level: 2 },
        caller: officer,
      }),
    );
    expect(err.code).toBe('FORBIDDEN');
    const sys = await commands.execute({
      obligationId: ids.SO_YTE!,
      type: 'ESCALATE',
      payload: { level: 2 },
      caller: { name: 'system:scheduler', system: true },
    });
    expect(sys.escalationLevel).toBe(2);
  });

  it('an Idempotency-Key replays the first answer and appends nothing; another request with it is refused', async () => {
    const id = ids.SO_GDDT!;
    const cmd = {
      obligationId: id,
      type: 'START_IMPLEMENTATION',
      payload: { planRef: '7/KH' },
      idempotencyKey: 'k-1',
      caller: officer,
    };
    const [a, b] = await Promise.all([commands.execute(cmd), commands.execute(cmd)]);
    expect(b).toEqual(a);
    const c = await commands.execute(cmd);
    expect(c).toEqual(a);
    expect(await eventCount(id)).toBe(2);
    const reused = await rejection(commands.execute({ ...cmd, payload: { planRef: 'other' } }));
    expect(reused.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await eventCount(id)).toBe(2);
  });

  it('backdating needs a reason, and the future is refused', async () => {
    const id = ids.SO_XAYDUNG!;
    const past = '2025-05-20T02:00:00.000Z';
    const noReason = await rejection(
      commands.execute({
        obligationId: id,
        type: 'START_IMPLEMENTATION',
        payload: { planRef: 'x' },
        effectiveAt: past,
        caller: officer,
      }),
    );
    expect(noReason.code).toBe('VALIDATION_FAILED');
    const future = await rejection(
      commands.execute({
        obligationId: id,
        type: 'START_IMPLEMENTATION',
        payload: { planRef: 'x' },
        effectiveAt: '2025-07-01T00:00:00Z',
        caller: officer,
      }),
    );
    expect(future.code).toBe('VALIDATION_FAILED');
    await commands.execute({
      obligationId: id,
      type: 'START_IMPLEMENTATION',
      payload: { planRef: 'x' },
      effectiveAt: past,
      reason: 'Công văn giấy nhận ngày 20/5',
      caller: officer,
    });
    const hist = await queries.history(id);
    expect(hist[1]).toMatchObject({
      effectiveAt: past,
      recordedAt: h.clock.now().toISOString(),
      reason: 'Công văn giấy nhận ngày 20/5',
    });
  });

  it('an unknown obligation is NOT_FOUND', async () => {
    const err = await rejection(
      commands.execute({
        obligationId: '00000000-0000-0000-0000-000000000000',
        type: 'AGGREGATE',
        payload: {},
        caller: officer,
      }),
    );
    expect(err.code).toBe('NOT_FOUND');
  });

  it('overdue follows the clock: on time before 15/11 00:00 ICT, overdue from then until submitted', async () => {
    const id = ids.H_NGASON!;
    h.clock.set(new Date('2025-11-14T16:59:59.000Z'));
    expect((await queries.get(id, officer)).overdue).toBe(false);
    h.clock.set(new Date('2025-11-14T17:00:00.000Z'));
    expect((await queries.get(id, officer)).overdue).toBe(true);
    const list = await queries.list({ planId: PLAN, year: 2025, overdue: true }, 1, 500, officer);
    expect(list.items.map((o) => o.id)).toContain(id);
    await commands.execute({
      obligationId: id,
      type: 'START_IMPLEMENTATION',
      payload: { planRef: 'a' },
      caller: officer,
    });
    const done = await commands.execute({
      obligationId: id,
      type: 'SUBMIT_REPORT',
      payload: { reportRef: 'b' },
      caller: officer,
    });
    expect(done.overdue).toBe(false);
  });

  describe('persist → restore → continue across a restart, at every stage', () => {
    it('a new application on the same database continues each obligation where it stopped', async () => {
      const script: Array<[string, Record<string, unknown>]> = [
        ['START_IMPLEMENTATION', { planRef: 'r1' }],
        ['SUBMIT_REPORT', { reportRef: 'r2' }],
        ['AGGREGATE', {}],
        ['REPORT_TO_UBND', { consolidatedReportRef: 'r3' }],
      ];
      const agencies = ['H_BATHUOC', 'H_CAMTHUY', 'H_DONGSON', 'H_HATRUNG'];
      // Stop each agency at a different stage.
      for (const [i, code] of agencies.entries()) {
        for (const [type, payload] of script.slice(0, i)) {
          await commands.execute({ obligationId: ids[code]!, type, payload, caller: officer });
        }
      }
      const second = await createTestContext(dialect, {
        dataDir: h.db.dataDir,
        databaseUrl: h.db.databaseUrl,
      });
      try {
        const c2 = second.app.get(CommandService);
        for (const [i, code] of agencies.entries()) {
          for (const [type, payload] of script.slice(i)) {
            await c2.execute({ obligationId: ids[code]!, type, payload, caller: officer });
          }
          const v = await second.app.get(ObligationQueryService).get(ids[code]!, officer);
          expect(v.stage).toBe('reported_to_ubnd');
          expect(v.version).toBe(5);
        }
      } finally {
        await second.app.close();
      }
    });
  });
});
