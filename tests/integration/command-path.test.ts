import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { INestApplicationContext } from '@nestjs/common';
import { CycleService } from '../../src/cycles/cycle.service.js';
import { DomainError } from '../../src/core/errors.js';
import { Database } from '../../src/database/database.js';
import { CommandService } from '../../src/obligations/command.service.js';
import { ObligationQueryService } from '../../src/obligations/obligation-query.service.js';
import { ObligationRepository } from '../../src/obligations/obligation.repository.js';
import type { Caller } from '../../src/core/access/caller.js';
import type { Command } from '../../src/obligations/command.service.js';
import { admin, aggregator, officerOf, scheduler } from '../support/callers.js';
import { describeEachDatabase } from '../support/databases.js';
import { createTestContext, type TestHarness } from '../support/test-app.js';

const PLAN = 'thanh-hoa-nq46';

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
  let agencyOf: Record<string, string>;

  /** Who would send this event in real life: the agency's officer, the aggregator, or admin. */
  const defaultCaller = (type: string, obligationId: string): Caller => {
    if (type === 'START_IMPLEMENTATION' || type === 'SUBMIT_REPORT')
      return officerOf(agencyOf[obligationId] ?? 'SO_NNPTNT');
    if (type === 'WITHDRAW') return admin;
    if (['REMIND', 'DEADLINE_PASSED', 'ESCALATE'].includes(type)) return scheduler;
    return aggregator;
  };
  type Cmd = Omit<Command, 'caller'> & { caller?: Caller };
  const run = (cmd: Cmd) =>
    commands.execute({ ...cmd, caller: cmd.caller ?? defaultCaller(cmd.type, cmd.obligationId) });

  beforeAll(async () => {
    h = await createTestContext(dialect);
    commands = h.app.get(CommandService);
    queries = h.app.get(ObligationQueryService);
    db = h.app.get(Database);
    const opened = await h.app.get(CycleService).open(PLAN, 2025, admin);
    ids = Object.fromEntries(opened.obligations.map((o) => [o.agencyCode, o.id]));
    agencyOf = Object.fromEntries(opened.obligations.map((o) => [o.id, o.agencyCode]));
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
    const again = await h.app.get(CycleService).open(PLAN, 2025, admin);
    expect(again.created).toBe(false);
    // 53: the 2025 roster (Đông Sơn merged into the city on 01/01/2025).
    expect(again.obligations).toHaveLength(53);
    expect(Object.keys(ids)).toHaveLength(53);
    expect(await eventCount(ids.SO_NNPTNT!)).toBe(1);
    const hist = await queries.history(ids.SO_NNPTNT!, aggregator);
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
      const view = await run({
        obligationId: id,
        type,
        payload,
        expectedVersion: version,
      });
      version += 1;
      expect(view).toMatchObject({ stage, version });
    }
    const hist = await queries.history(id, aggregator);
    expect(hist.map((e) => e.type)).toEqual(['OBLIGATION_OPENED', ...steps.map((s) => s[0])]);
    expect(hist.every((e, i) => e.seq === i + 1)).toBe(true);
    expect(hist[1]).toMatchObject({
      actor: 'officer.so_congthuong',
      payload: { planRef: '45/KH-SCT' },
      machineVersion: 'annual-report@1',
    });
  });

  it('two concurrent commands with the same expected version: exactly one wins, the other gets 409', async () => {
    const id = ids.SO_TUPHAP!;
    const send = () =>
      run({
        obligationId: id,
        type: 'START_IMPLEMENTATION',
        payload: { planRef: '1/KH' },
        expectedVersion: 1,
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
    await run({
      obligationId: id,
      type: 'START_IMPLEMENTATION',
      payload: { planRef: '2/KH' },
    });
    const extensions = Array.from({ length: 8 }, (_, i) =>
      run({
        obligationId: id,
        type: 'EXTEND_DEADLINE',
        payload: { newDueDate: `2025-11-${String(20 + i).padStart(2, '0')}`, basis: `CV ${i}` },
      }),
    );
    const settled = await Promise.allSettled(extensions);
    expect(settled.every((s) => s.status === 'fulfilled')).toBe(true);
    const view = await queries.get(id, aggregator);
    expect(view.version).toBe(10);
    expect(await eventCount(id)).toBe(10);
  });

  it('a rejected command changes nothing: stage, version and event count stay', async () => {
    const id = ids.SO_TAICHINH!;
    const before = await queries.get(id, aggregator);
    const err = await rejection(run({ obligationId: id, type: 'AGGREGATE', payload: {} }));
    expect(err.code).toBe('EVENT_NOT_ALLOWED');
    expect(err.details).toMatchObject({ stage: 'plan_drafted' });
    // The aggregator may send only EXTEND_DEADLINE now; the officer's START_IMPLEMENTATION is not theirs.
    expect(err.details.allowedEvents).toEqual(['EXTEND_DEADLINE']);
    const bad = await rejection(
      run({
        obligationId: id,
        type: 'START_IMPLEMENTATION',
        payload: {},
      }),
    );
    expect(bad.code).toBe('VALIDATION_FAILED');
    const after = await queries.get(id, aggregator);
    expect(after).toEqual(before);
    expect(await eventCount(id)).toBe(1);
  });

  it('the scheduler-only events are refused to people', async () => {
    const err = await rejection(
      run({
        obligationId: ids.SO_YTE!,
        type: 'ESCALATE',
        payload: { level: 2 },
        caller: admin,
      }),
    );
    expect(err.code).toBe('FORBIDDEN');
    const sys = await run({
      obligationId: ids.SO_YTE!,
      type: 'ESCALATE',
      payload: { level: 2 },
      caller: scheduler,
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
    };
    const [a, b] = await Promise.all([run(cmd), run(cmd)]);
    expect(b).toEqual(a);
    const c = await run(cmd);
    expect(c).toEqual(a);
    expect(await eventCount(id)).toBe(2);
    const reused = await rejection(run({ ...cmd, payload: { planRef: 'other' } }));
    expect(reused.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await eventCount(id)).toBe(2);
  });

  it('only the aggregator may backdate, with a reason; the future is refused', async () => {
    const id = ids.SO_XAYDUNG!;
    await run({ obligationId: id, type: 'START_IMPLEMENTATION', payload: { planRef: 'x' } });
    h.clock.advance(10 * 24 * 3600 * 1000);
    const past = '2025-06-04T02:00:00.000Z'; // the receipt date of a paper report
    const paper = {
      obligationId: id,
      type: 'SUBMIT_REPORT',
      payload: { reportRef: '15/BC-SXD' },
      effectiveAt: past,
    };
    const byOfficer = await rejection(
      run({ ...paper, reason: 'giấy', caller: officerOf('SO_XAYDUNG') }),
    );
    expect(byOfficer.code).toBe('FORBIDDEN');
    const noReason = await rejection(run({ ...paper, caller: aggregator }));
    expect(noReason.code).toBe('VALIDATION_FAILED');
    const future = await rejection(
      run({ ...paper, effectiveAt: '2025-07-01T00:00:00Z', caller: aggregator }),
    );
    expect(future.code).toBe('VALIDATION_FAILED');
    expect(await eventCount(id)).toBe(2);
    await run({ ...paper, reason: 'Báo cáo giấy nhận ngày 04/6', caller: aggregator });
    const hist = await queries.history(id, aggregator);
    expect(hist[2]).toMatchObject({
      type: 'SUBMIT_REPORT',
      actor: 'tonghop.snn',
      effectiveAt: past,
      recordedAt: h.clock.now().toISOString(),
      reason: 'Báo cáo giấy nhận ngày 04/6',
    });
  });

  it('an officer acts and reads only for their own agency; roles bound the events', async () => {
    const id = ids.SO_VHTTDL!;
    const other = officerOf('SO_YTE');
    const cross = await rejection(
      run({
        obligationId: id,
        type: 'START_IMPLEMENTATION',
        payload: { planRef: 'x' },
        caller: other,
      }),
    );
    expect(cross.code).toBe('FORBIDDEN');
    expect((await rejection(queries.get(id, other))).code).toBe('FORBIDDEN');
    expect((await rejection(queries.history(id, other))).code).toBe('FORBIDDEN');
    const own = await queries.list({ planId: PLAN, year: 2025 }, 1, 500, other);
    expect(own.items.map((o) => o.agencyCode)).toEqual(['SO_YTE']);
    expect((await rejection(queries.list({ agencyCode: 'SO_VHTTDL' }, 1, 50, other))).code).toBe(
      'FORBIDDEN',
    );
    const byAggregator = await rejection(
      run({
        obligationId: id,
        type: 'START_IMPLEMENTATION',
        payload: { planRef: 'x' },
        caller: aggregator,
      }),
    );
    expect(byAggregator.code).toBe('FORBIDDEN');
    const view = await queries.get(id, officerOf('SO_VHTTDL'));
    expect(view.allowedEvents).toEqual(['START_IMPLEMENTATION']);
    expect((await queries.get(id, aggregator)).allowedEvents).toEqual(['EXTEND_DEADLINE']);
    expect((await queries.get(id, admin)).allowedEvents).toEqual([
      'EXTEND_DEADLINE',
      'WITHDRAW',
      'TRANSFER',
    ]);
    expect(await eventCount(id)).toBe(1);
  });

  it('a row changed by another writer since this service committed it is read again, never trusted', async () => {
    const id = ids.SO_GTVT!;
    // Committed through execute: the service remembers the row at version 2 (implementing).
    await run({ obligationId: id, type: 'START_IMPLEMENTATION', payload: { planRef: 'KH-GTVT' } });
    // Another writer (here the same service inside a transaction it does not own, as the sweep
    // does) moves it on: report_submitted at version 3, which the remembered row does not know.
    const elsewhere = (cmd: Command) => db.write((tx) => commands.executeIn(tx, cmd));
    await elsewhere({
      obligationId: id,
      type: 'SUBMIT_REPORT',
      payload: { reportRef: 'BC-GTVT' },
      caller: officerOf('SO_GTVT'),
    });
    // Refused by the remembered stage, accepted by the current one: the current one decides.
    const aggregated = await run({ obligationId: id, type: 'AGGREGATE', payload: {} });
    expect(aggregated).toMatchObject({ stage: 'aggregated', version: 4 });
    // Accepted by the remembered stage, but the row moved (withdrawn at version 5): the
    // compare-and-set finds another version and the command is judged on the current row.
    await elsewhere({
      obligationId: id,
      type: 'WITHDRAW',
      payload: { basis: 'QĐ thu hồi' },
      caller: admin,
    });
    const err = await rejection(
      run({ obligationId: id, type: 'REPORT_TO_UBND', payload: { consolidatedReportRef: 'TH' } }),
    );
    expect(err.code).toBe('EVENT_NOT_ALLOWED');
    expect(err.details).toMatchObject({ stage: 'withdrawn' });
    const hist = await queries.history(id, aggregator);
    expect(hist.map((e) => [e.seq, e.type])).toEqual([
      [1, 'OBLIGATION_OPENED'],
      [2, 'START_IMPLEMENTATION'],
      [3, 'SUBMIT_REPORT'],
      [4, 'AGGREGATE'],
      [5, 'WITHDRAW'],
    ]);
    for (let i = 1; i < hist.length; i++) expect(hist[i]!.prevHash).toBe(hist[i - 1]!.hash);
  });

  it('the rows a cycle opening writes are remembered: the first command reads none, yet another writer is still noticed', async () => {
    const opened = await h.app.get(CycleService).open(PLAN, 2026, admin);
    const id = opened.obligations.find((o) => o.agencyCode === 'SO_TAICHINH')!.id;
    const moved = opened.obligations.find((o) => o.agencyCode === 'SO_XAYDUNG')!.id;
    // Another writer moves one of them on before this service sends anything.
    await db.write((tx) =>
      commands.executeIn(tx, {
        obligationId: moved,
        type: 'WITHDRAW',
        payload: { basis: 'QĐ thu hồi' },
        caller: admin,
      }),
    );
    const reads = jest.spyOn(ObligationRepository, 'findForCommand');
    try {
      const started = await run({
        obligationId: id,
        type: 'START_IMPLEMENTATION',
        payload: { planRef: 'KH-TC' },
        caller: officerOf('SO_TAICHINH'),
      });
      expect(started).toMatchObject({ stage: 'implementing', version: 2 });
      expect(reads).not.toHaveBeenCalled();
      // The remembered opening row is stale here: the compare-and-set sends it to a fresh read.
      const err = await rejection(
        run({
          obligationId: moved,
          type: 'START_IMPLEMENTATION',
          payload: { planRef: 'KH-XD' },
          caller: officerOf('SO_XAYDUNG'),
        }),
      );
      expect(err.code).toBe('EVENT_NOT_ALLOWED');
      expect(err.details).toMatchObject({ stage: 'withdrawn' });
      expect(reads).toHaveBeenCalledTimes(1);
    } finally {
      reads.mockRestore();
    }
    const hist = await queries.history(id, aggregator);
    expect(hist.map((e) => [e.seq, e.type])).toEqual([
      [1, 'OBLIGATION_OPENED'],
      [2, 'START_IMPLEMENTATION'],
    ]);
    expect(hist[1]!.prevHash).toBe(hist[0]!.hash);
  });

  it('an unknown obligation is NOT_FOUND', async () => {
    const err = await rejection(
      run({
        obligationId: '00000000-0000-0000-0000-000000000000',
        type: 'AGGREGATE',
        payload: {},
      }),
    );
    expect(err.code).toBe('NOT_FOUND');
  });

  it('overdue follows the clock: on time before 15/11 00:00 ICT, overdue from then until submitted', async () => {
    const id = ids.H_NGASON!;
    h.clock.set(new Date('2025-11-14T16:59:59.000Z'));
    expect((await queries.get(id, aggregator)).overdue).toBe(false);
    h.clock.set(new Date('2025-11-14T17:00:00.000Z'));
    expect((await queries.get(id, aggregator)).overdue).toBe(true);
    const list = await queries.list(
      { planId: PLAN, year: 2025, overdue: true },
      1,
      500,
      aggregator,
    );
    expect(list.items.map((o) => o.id)).toContain(id);
    await run({
      obligationId: id,
      type: 'START_IMPLEMENTATION',
      payload: { planRef: 'a' },
    });
    const done = await run({
      obligationId: id,
      type: 'SUBMIT_REPORT',
      payload: { reportRef: 'b' },
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
      const agencies = ['H_BATHUOC', 'H_CAMTHUY', 'H_HAULOC', 'H_HATRUNG'];
      // Stop each agency at a different stage.
      for (const [i, code] of agencies.entries()) {
        for (const [type, payload] of script.slice(0, i)) {
          await run({ obligationId: ids[code]!, type, payload });
        }
      }
      const second = await createTestContext(dialect, {
        dataDir: h.db.dataDir,
        databaseUrl: h.db.databaseUrl,
      });
      try {
        const c2 = second.app.get(CommandService);
        const run2 = (cmd: Cmd) =>
          c2.execute({ ...cmd, caller: cmd.caller ?? defaultCaller(cmd.type, cmd.obligationId) });
        for (const [i, code] of agencies.entries()) {
          for (const [type, payload] of script.slice(i)) {
            await run2({ obligationId: ids[code]!, type, payload });
          }
          const v = await second.app.get(ObligationQueryService).get(ids[code]!, aggregator);
          expect(v.stage).toBe('reported_to_ubnd');
          expect(v.version).toBe(5);
        }
      } finally {
        await second.app.close();
      }
    });
  });
});
