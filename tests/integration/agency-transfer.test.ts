/**
 * TRANSFER: an open obligation moves to another agency (a successor) with its history, on both
 * databases. Permissions follow the agency; the audit trail still verifies and replays.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { INestApplicationContext } from '@nestjs/common';
import { ReplayQueryService } from '../../src/audit/replay-query.service.js';
import { VerifyService } from '../../src/audit/verify.service.js';
import type { Caller } from '../../src/core/access/caller.js';
import { DomainError } from '../../src/core/errors.js';
import { CycleService } from '../../src/cycles/cycle.service.js';
import { Database, jsonValue } from '../../src/database/database.js';
import { CommandService, type Command } from '../../src/obligations/command.service.js';
import { ObligationQueryService } from '../../src/obligations/obligation-query.service.js';
import { SweepService } from '../../src/timers/sweep.service.js';
import { UsersService } from '../../src/users/users.service.js';
import { admin, aggregator, auditor, officerOf } from '../support/callers.js';
import { describeEachDatabase } from '../support/databases.js';
import { createTestContext, type TestHarness } from '../support/test-app.js';

const PLAN = 'thanh-hoa-nq46';
const BASIS = 'Nghị định số 45/2025/NĐ-CP; Quyết định của UBND tỉnh (thử)';

/** The error a promise rejects with (fails the test when it resolves). */
async function refusal(p: Promise<unknown>): Promise<DomainError> {
  const outcome = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(outcome).toBeInstanceOf(DomainError);
  return outcome as DomainError;
}

describeEachDatabase('TRANSFER moves an obligation to another agency', (dialect) => {
  let h: TestHarness<INestApplicationContext>;
  let commands: CommandService;
  let queries: ObligationQueryService;
  let ids: Record<string, string>;
  const send = (caller: Caller, cmd: Omit<Command, 'caller'>) =>
    commands.execute({ ...cmd, caller });
  const transfer = (id: string, toAgency: string, extra: Partial<Command> = {}) =>
    send(admin, {
      obligationId: id,
      type: 'TRANSFER',
      payload: { toAgency, basis: BASIS },
      ...extra,
    });

  beforeAll(async () => {
    h = await createTestContext(dialect);
    commands = h.app.get(CommandService);
    queries = h.app.get(ObligationQueryService);
    h.clock.set(new Date('2025-02-20T03:00:00.000Z'));
    const opened = await h.app.get(CycleService).open(PLAN, 2025, admin);
    ids = Object.fromEntries(opened.obligations.map((o) => [o.agencyCode, o.id]));
    await send(officerOf('SO_NNPTNT'), {
      obligationId: ids.SO_NNPTNT!,
      type: 'START_IMPLEMENTATION',
      payload: { planRef: '12/KH-SNN' },
    });
  });
  afterAll(async () => h?.close());

  it('Given 20/02/2025, Sở NN&MT does not exist yet: the transfer is refused with 422 and nothing changes', async () => {
    const before = await queries.history(ids.SO_NNPTNT!, auditor);
    const err = await refusal(transfer(ids.SO_NNPTNT!, 'SO_NNMT'));
    expect(err.code).toBe('AGENCY_NOT_VALID');
    expect(err.message).toBe(
      "SO_NNMT is not valid on 2025-02-20 (the transfer's effective date) in agency registry thanh-hoa",
    );
    expect(err.details).toMatchObject({
      toAgency: 'SO_NNMT',
      fromAgency: 'SO_NNPTNT',
      validity: [{ validFrom: '2025-03-01', validTo: null }],
    });
    expect(await queries.history(ids.SO_NNPTNT!, auditor)).toEqual(before);
    expect((await queries.get(ids.SO_NNPTNT!, auditor)).agencyCode).toBe('SO_NNPTNT');
  });

  it('On 05/03/2025 the obligation moves to Sở NN&MT: same id, same history, one more event', async () => {
    h.clock.set(new Date('2025-03-05T03:00:00.000Z'));
    const view = await transfer(ids.SO_NNPTNT!, 'SO_NNMT', { expectedVersion: 2 });
    expect(view).toMatchObject({
      id: ids.SO_NNPTNT,
      agencyCode: 'SO_NNMT',
      originAgencyCode: 'SO_NNPTNT',
      agencyName: 'Sở Nông nghiệp và Môi trường',
      stage: 'implementing',
      version: 3,
    });
    const history = await queries.history(ids.SO_NNPTNT!, auditor);
    expect(history.map((e) => [e.seq, e.type, e.actor])).toEqual([
      [1, 'OBLIGATION_OPENED', 'admin'],
      [2, 'START_IMPLEMENTATION', 'officer.so_nnptnt'],
      [3, 'TRANSFER', 'admin'],
    ]);
    expect(history[2]!.payload).toEqual({
      toAgency: 'SO_NNMT',
      basis: BASIS,
      fromAgency: 'SO_NNPTNT',
    });
    expect(history[2]!.prevHash).toBe(history[1]!.hash);
    expect(history[1]!.prevHash).toBe(history[0]!.hash);
  });

  it('the old agency’s officers can no longer act or read; the new agency’s can', async () => {
    const id = ids.SO_NNPTNT!;
    const denied = await refusal(
      send(officerOf('SO_NNPTNT'), {
        obligationId: id,
        type: 'SUBMIT_REPORT',
        payload: { reportRef: '1/BC-SNN' },
      }),
    );
    expect(denied.code).toBe('FORBIDDEN');
    expect((await refusal(queries.get(id, officerOf('SO_NNPTNT')))).code).toBe('FORBIDDEN');
    const mine = await queries.list({ planId: PLAN, year: 2025 }, 1, 100, officerOf('SO_NNMT'));
    expect(mine.items.map((o) => o.id)).toEqual([id]);
    expect(mine.items[0]!.allowedEvents).toEqual(['SUBMIT_REPORT']);
    const submitted = await send(officerOf('SO_NNMT'), {
      obligationId: id,
      type: 'SUBMIT_REPORT',
      payload: { reportRef: '25/BC-SNNMT' },
    });
    expect(submitted).toMatchObject({ stage: 'report_submitted', version: 4 });
  });

  it('two agencies merging into one: Sở TN&MT’s obligation joins Sở NN&PTNT’s at Sở NN&MT', async () => {
    await transfer(ids.SO_TNMT!, 'SO_NNMT');
    const list = await queries.list(
      { planId: PLAN, year: 2025, agencyCode: 'SO_NNMT' },
      1,
      10,
      auditor,
    );
    expect(list.items.map((o) => o.id).sort()).toEqual([ids.SO_NNPTNT, ids.SO_TNMT].sort());
    expect((await h.app.get(CycleService).open(PLAN, 2025, admin)).created).toBe(false);
    expect((await queries.list({ planId: PLAN, year: 2025 }, 1, 100, auditor)).total).toBe(53);
  });

  it('the audit trail verifies, and a replay as of a time before the transfer still works', async () => {
    const report = await h.app.get(VerifyService).verify({ planId: PLAN, year: 2025 });
    expect(report).toMatchObject({ ok: true, obligations: 53, problems: [] });
    const state = await h.app
      .get(ReplayQueryService)
      .stateAt(ids.SO_NNPTNT!, { at: '2025-03-01T00:00:00+07:00' }, auditor);
    expect(state).toMatchObject({ stage: 'implementing', eventsApplied: 2 });
  });

  it('refuses an unknown agency, an agency that has ended, and the agency it already belongs to', async () => {
    const id = ids.SO_CONGTHUONG!;
    const before = await queries.history(id, auditor);
    const unknown = await refusal(transfer(id, 'SO_KHONGCO'));
    expect(unknown).toMatchObject({
      code: 'AGENCY_NOT_VALID',
      message: 'SO_KHONGCO is not in agency registry thanh-hoa',
    });
    const ended = await refusal(transfer(id, 'SO_KHDT'));
    expect(ended).toMatchObject({
      code: 'AGENCY_NOT_VALID',
      message:
        "SO_KHDT is not valid on 2025-03-05 (the transfer's effective date) in agency registry thanh-hoa",
    });
    const same = await refusal(transfer(id, 'SO_CONGTHUONG'));
    expect(same.message).toBe('The obligation already belongs to SO_CONGTHUONG');
    const malformed = await refusal(transfer(id, 'so công thương'));
    expect(malformed.code).toBe('VALIDATION_FAILED');
    expect(await queries.history(id, auditor)).toEqual(before);
  });

  it('only an administrator transfers; a backdated transfer needs a reason', async () => {
    const id = ids.SO_KHDT!;
    const cmd = {
      obligationId: id,
      type: 'TRANSFER',
      payload: { toAgency: 'SO_TAICHINH', basis: BASIS },
    };
    expect((await refusal(send(aggregator, cmd))).code).toBe('FORBIDDEN');
    expect((await refusal(send(officerOf('SO_KHDT'), cmd))).code).toBe('FORBIDDEN');
    const noReason = await refusal(
      send(admin, { ...cmd, effectiveAt: '2025-03-01T00:00:00+07:00' }),
    );
    expect(noReason).toMatchObject({ code: 'VALIDATION_FAILED' });
    const view = await send(admin, {
      ...cmd,
      effectiveAt: '2025-03-01T00:00:00+07:00',
      reason: 'Sở KH&ĐT hợp nhất vào Sở Tài chính từ 01/3/2025',
    });
    expect(view.agencyCode).toBe('SO_TAICHINH');
    const last = (await queries.history(id, auditor)).at(-1)!;
    expect(last).toMatchObject({
      type: 'TRANSFER',
      effectiveAt: '2025-02-28T17:00:00.000Z',
      reason: 'Sở KH&ĐT hợp nhất vào Sở Tài chính từ 01/3/2025',
    });
  });

  it('reminders after a transfer go to the new agency’s officers, who can be created for it', async () => {
    const users = h.app.get(UsersService);
    const password = 'mat-khau-thu-nghiem';
    await users.create({
      username: 'canbo.snn',
      role: 'officer',
      agencyCode: 'SO_NNPTNT',
      password,
    });
    await users.create({
      username: 'canbo.snnmt',
      role: 'officer',
      agencyCode: 'SO_NNMT',
      password,
    });
    // SO_TNMT's obligation was transferred to SO_NNMT above; its report is not in yet.
    const fired = await h.app.get(SweepService).sweep(Date.parse('2025-10-15T17:00:00.000Z'));
    expect(fired).toContainEqual({ obligationId: ids.SO_TNMT, type: 'REMIND', level: 1 });
    const inbox = await h.app
      .get(Database)
      .read((sql) =>
        sql.query<{ recipient: string; message: unknown }>(
          `SELECT recipient, message FROM notification_outbox WHERE obligation_id = ? AND channel = 'inbox'`,
          [ids.SO_TNMT],
        ),
      );
    expect(inbox.map((r) => r.recipient)).toEqual(['canbo.snnmt']);
    expect(jsonValue<Record<string, unknown>>(inbox[0]!.message)).toMatchObject({
      agencyCode: 'SO_NNMT',
      agencyName: 'Sở Nông nghiệp và Môi trường',
    });
  });

  it('a closed obligation cannot be transferred', async () => {
    const id = ids.SO_GTVT!;
    await send(admin, { obligationId: id, type: 'WITHDRAW', payload: { basis: 'Thử' } });
    const err = await refusal(transfer(id, 'SO_XAYDUNG'));
    expect(err).toMatchObject({ code: 'EVENT_NOT_ALLOWED', details: { stage: 'withdrawn' } });
  });
});
