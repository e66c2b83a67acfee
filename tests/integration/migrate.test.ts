/**
 * Machine-version migration (issue 5): a 2025 cycle opened on annual-report@1 with obligations in
 * every stage, judged and migrated to annual-report@2 (which adds report_verified), through the
 * service, HTTP and the built CLI.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { INestApplicationContext } from '@nestjs/common';
import request from 'supertest';
import { eventHash, GENESIS_HASH, ledgerHash } from '../../src/core/audit/event-hash.js';
import { replay } from '../../src/core/audit/replay.js';
import type { Caller } from '../../src/core/access/caller.js';
import { DomainError } from '../../src/core/errors.js';
import { CycleService } from '../../src/cycles/cycle.service.js';
import { Database, intValue } from '../../src/database/database.js';
import { MigrationService, type MigrationReport } from '../../src/migration/migration.service.js';
import { CommandService } from '../../src/obligations/command.service.js';
import { toHistoryEntry } from '../../src/obligations/obligation-query.service.js';
import {
  ObligationRepository,
  type EventRecord,
  type ObligationRecord,
} from '../../src/obligations/obligation.repository.js';
import { admin, aggregator, auditor, officerOf } from '../support/callers.js';
import { describeEachDatabase } from '../support/databases.js';
import { login, seedUsers } from '../support/http-auth.js';
import {
  createTestContext,
  createTestHttpApp,
  TEST_ADMIN_PASSWORD,
  type TestHarness,
} from '../support/test-app.js';

const PLAN = 'thanh-hoa-nq46';
const V1 = 'annual-report@1';
const V2 = 'annual-report@2';

/** The agencies put in each stage before migrating (the other 47 stay in plan_drafted). */
const SETUP: Record<string, Array<[string, Record<string, unknown>]>> = {
  SO_TUPHAP: [['START_IMPLEMENTATION', { planRef: '1/KH' }]],
  SO_CONGTHUONG: [
    ['START_IMPLEMENTATION', { planRef: '2/KH' }],
    ['SUBMIT_REPORT', { reportRef: '2/BC' }],
  ],
  SO_NNPTNT: [
    ['START_IMPLEMENTATION', { planRef: '3/KH' }],
    ['SUBMIT_REPORT', { reportRef: '3/BC' }],
    ['AGGREGATE', {}],
  ],
  SO_KHCN: [
    ['START_IMPLEMENTATION', { planRef: '4/KH' }],
    ['SUBMIT_REPORT', { reportRef: '4/BC' }],
    ['AGGREGATE', {}],
    ['REPORT_TO_UBND', { consolidatedReportRef: '4/BC-TH' }],
  ],
  SO_TAICHINH: [['WITHDRAW', { basis: 'QĐ 5/QĐ-UBND' }]],
  // A report returned once and submitted again: report_submitted, with a longer history.
  SO_XAYDUNG: [
    ['START_IMPLEMENTATION', { planRef: '6/KH' }],
    ['EXTEND_DEADLINE', { newDueDate: '2025-12-01', basis: 'CV 6/UBND' }],
    ['SUBMIT_REPORT', { reportRef: '6/BC' }],
    ['RETURN_REPORT', { reason: 'Thiếu số liệu' }],
    ['SUBMIT_REPORT', { reportRef: '6/BC-2' }],
  ],
};

function callerFor(type: string, agencyCode: string): Caller {
  if (type === 'START_IMPLEMENTATION' || type === 'SUBMIT_REPORT') return officerOf(agencyCode);
  if (type === 'WITHDRAW') return admin;
  return aggregator;
}

/** Opens the 2025 cycle on v1 and advances the SETUP agencies; returns id by agency code. */
async function seed(app: INestApplicationContext): Promise<Record<string, string>> {
  const opened = await app.get(CycleService).open(PLAN, 2025, admin);
  const ids = Object.fromEntries(opened.obligations.map((o) => [o.agencyCode, o.id]));
  const commands = app.get(CommandService);
  for (const [agency, steps] of Object.entries(SETUP)) {
    for (const [type, payload] of steps) {
      await commands.execute({
        obligationId: ids[agency]!,
        type,
        payload,
        caller: callerFor(type, agency),
      });
    }
  }
  return ids;
}

async function rejection(p: Promise<unknown>): Promise<DomainError> {
  try {
    await p;
  } catch (e) {
    return e as DomainError;
  }
  throw new Error('expected a rejection');
}

describeEachDatabase('machine-version migration', (dialect) => {
  let h: TestHarness<NestExpressApplication>;
  let db: Database;
  let migrations: MigrationService;
  let ids: Record<string, string>;
  let before: Map<string, { o: ObligationRecord; events: EventRecord[] }>;

  const load = (id: string) =>
    db.read(async (sql) => ({
      o: (await ObligationRepository.find(sql, id))!,
      events: await ObligationRepository.history(sql, id),
    }));
  const totalEvents = () =>
    db.read(async (sql) => {
      const [r] = await sql.query<{ n: unknown }>('SELECT COUNT(*) AS n FROM obligation_events');
      return intValue(r!.n);
    });
  const byAgency = (r: MigrationReport, agency: string) =>
    r.items.find((i) => i.agencyCode === agency);

  beforeAll(async () => {
    h = await createTestHttpApp(dialect);
    db = h.app.get(Database);
    migrations = h.app.get(MigrationService);
    ids = await seed(h.app);
    before = new Map();
    for (const id of Object.values(ids)) before.set(id, await load(id));
  });
  afterAll(async () => h?.close());

  it('the setup: every stage present, all on v1', async () => {
    const stages = Object.fromEntries(
      Object.keys(SETUP).map((a) => [a, before.get(ids[a]!)!.o.stage]),
    );
    expect(stages).toEqual({
      SO_TUPHAP: 'implementing',
      SO_CONGTHUONG: 'report_submitted',
      SO_NNPTNT: 'aggregated',
      SO_KHCN: 'reported_to_ubnd',
      SO_TAICHINH: 'withdrawn',
      SO_XAYDUNG: 'report_submitted',
    });
    expect([...before.values()].every(({ o }) => o.machineVersion === V1)).toBe(true);
  });

  it('plan: every open obligation judged; aggregated is invalid; closed ones not listed', async () => {
    const eventsBefore = await totalEvents();
    const r = await migrations.plan({ to: V2 });
    expect(r.dryRun).toBe(true);
    expect(r.totals).toEqual({
      candidates: 51,
      unchanged: 50,
      changesStage: 0,
      invalid: 1,
      migrated: 0,
    });
    expect(byAgency(r, 'SO_KHCN')).toBeUndefined();
    expect(byAgency(r, 'SO_TAICHINH')).toBeUndefined();
    expect(byAgency(r, 'SO_NNPTNT')).toMatchObject({
      obligationId: ids.SO_NNPTNT,
      stage: 'aggregated',
      machineVersion: V1,
      verdict: 'invalid',
      failedSeq: 4,
      reason: `event 4 (AGGREGATE) is not accepted in stage report_submitted under ${V2}`,
      migrated: false,
    });
    for (const [agency, stage] of [
      ['SO_TUPHAP', 'implementing'],
      ['SO_CONGTHUONG', 'report_submitted'],
      ['SO_XAYDUNG', 'report_submitted'],
      ['SO_NOIVU', 'plan_drafted'],
    ] as const) {
      expect(byAgency(r, agency)).toMatchObject({
        stage,
        verdict: 'unchanged',
        stageAfter: stage,
        reason: null,
      });
    }
    // Filters, and nothing changed.
    expect((await migrations.plan({ to: V2, year: 2026 })).items).toHaveLength(0);
    expect((await migrations.plan({ to: V2, planId: 'other' })).items).toHaveLength(0);
    expect((await migrations.plan({ to: V2, planId: PLAN, year: 2025 })).totals.candidates).toBe(
      51,
    );
    expect((await migrations.plan({ to: V1 })).items).toHaveLength(0); // all already on v1
    expect(await totalEvents()).toBe(eventsBefore);
  });

  it('refuses an unknown version (listing the known ones) and a caller who is not admin', async () => {
    const unknown = await rejection(migrations.plan({ to: 'annual-report@9' }));
    expect(unknown.code).toBe('VALIDATION_FAILED');
    expect(JSON.stringify(unknown.details)).toContain(`${V1}, ${V2}`);
    for (const caller of [aggregator, auditor, officerOf('SO_TUPHAP')]) {
      expect((await rejection(migrations.migrate({ to: V2 }, caller))).code).toBe('FORBIDDEN');
    }
    expect((await load(ids.SO_TUPHAP!)).o.machineVersion).toBe(V1);
  });

  it('migrate: MIGRATED recorded on each clean obligation, chained to its previous event', async () => {
    const r = await migrations.migrate({ to: V2 }, admin);
    expect(r.dryRun).toBe(false);
    expect(r.totals).toEqual({
      candidates: 51,
      unchanged: 50,
      changesStage: 0,
      invalid: 1,
      migrated: 50,
    });
    expect(byAgency(r, 'SO_NNPTNT')).toMatchObject({ verdict: 'invalid', migrated: false });

    for (const item of r.items.filter((i) => i.migrated)) {
      const prior = before.get(item.obligationId)!;
      const { o, events } = await load(item.obligationId);
      expect(o.machineVersion).toBe(V2);
      expect(o.version).toBe(prior.o.version + 1);
      expect(o.stage).toBe(prior.o.stage);
      expect(o.snapshot).toEqual(prior.o.snapshot);
      expect(o.dueAt).toBe(prior.o.dueAt);
      expect(events).toHaveLength(prior.events.length + 1);
      const previous = events.at(-2)!;
      const migrated = events.at(-1)!;
      expect(migrated).toMatchObject({
        seq: o.version,
        type: 'MIGRATED',
        payload: { from: V1, to: V2 },
        actor: 'admin',
        reason: null,
        stageAfter: o.stage,
        machineVersion: V2,
        prevHash: previous.hash,
      });
      expect(migrated.effectiveAt).toBeGreaterThanOrEqual(previous.effectiveAt);
      // The stored hash is the hash of the stored fields.
      expect(migrated.hash).toBe(
        eventHash({
          ...migrated,
          effectiveAt: new Date(migrated.effectiveAt).toISOString(),
          recordedAt: new Date(migrated.recordedAt).toISOString(),
        }),
      );
      // The older events are untouched.
      expect(events.slice(0, -1)).toEqual(prior.events);
    }
  });

  it('the ledger stays one valid chain, with one link per MIGRATED event', async () => {
    const { ledger, events } = await db.read(async (sql) => ({
      ledger: await sql.query<Record<string, unknown>>('SELECT * FROM ledger ORDER BY position'),
      events: await sql.query<{ n: unknown }>(
        `SELECT COUNT(*) AS n FROM obligation_events WHERE type = 'MIGRATED'`,
      ),
    }));
    expect(intValue(events[0]!.n)).toBe(50);
    let prev = GENESIS_HASH;
    ledger.forEach((row, i) => {
      expect(intValue(row.position)).toBe(i + 1);
      expect(row.prev_hash).toBe(prev);
      expect(row.hash).toBe(ledgerHash(i + 1, String(row.event_hash), prev));
      prev = String(row.hash);
    });
    expect(ledger).toHaveLength(await totalEvents());
  });

  it('the invalid one and the closed ones are untouched', async () => {
    for (const agency of ['SO_NNPTNT', 'SO_KHCN', 'SO_TAICHINH']) {
      expect(await load(ids[agency]!)).toEqual(before.get(ids[agency]!));
    }
  });

  it('after migration a report_submitted obligation refuses AGGREGATE (422) and accepts VERIFY_REPORT', async () => {
    await seedUsers(h.app);
    const http = request(h.app.getHttpServer());
    const token = await login(http, 'tonghop.snn');
    const id = ids.SO_CONGTHUONG!;
    const send = (type: string) =>
      http
        .post(`/api/obligations/${id}/events`)
        .set('Authorization', `Bearer ${token}`)
        .send({ type, payload: {} });

    const view = await http.get(`/api/obligations/${id}`).set('Authorization', `Bearer ${token}`);
    expect(view.body).toMatchObject({ machineVersion: V2, stage: 'report_submitted' });
    expect(view.body.allowedEvents).toContain('VERIFY_REPORT');
    expect(view.body.allowedEvents).not.toContain('AGGREGATE');

    const refused = await send('AGGREGATE');
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ code: 'EVENT_NOT_ALLOWED', stage: 'report_submitted' });

    const verified = await send('VERIFY_REPORT');
    expect(verified.status).toBe(200);
    expect(verified.body).toMatchObject({ stage: 'report_verified', machineVersion: V2 });
    const aggregated = await send('AGGREGATE');
    expect(aggregated.status).toBe(200);
    expect(aggregated.body.stage).toBe('aggregated');

    const { events } = await load(id);
    expect(events.slice(-3).map((e) => [e.type, e.machineVersion, e.stageAfter])).toEqual([
      ['MIGRATED', V2, 'report_submitted'],
      ['VERIFY_REPORT', V2, 'report_verified'],
      ['AGGREGATE', V2, 'aggregated'],
    ]);
  });

  it("pure replay of every obligation's whole history reproduces its stored snapshot", async () => {
    for (const id of Object.values(ids)) {
      const { o, events } = await load(id);
      const r = replay(events.map(toHistoryEntry));
      expect(r.machineVersion).toBe(o.machineVersion);
      expect(r.state?.stage).toBe(o.stage);
      expect(r.state?.context).toEqual(o.snapshot.context);
      expect(r.eventsApplied).toBe(events.length);
    }
  });

  it('a second run does nothing: only the invalid one is still a candidate', async () => {
    const eventsBefore = await totalEvents();
    const r = await migrations.migrate({ to: V2 }, admin);
    expect(r.totals).toEqual({
      candidates: 1,
      unchanged: 0,
      changesStage: 0,
      invalid: 1,
      migrated: 0,
    });
    expect(r.items[0]).toMatchObject({ agencyCode: 'SO_NNPTNT', verdict: 'invalid' });
    expect(await totalEvents()).toBe(eventsBefore);
  });
});

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = path.join(ROOT, 'bin', 'dondoc.js');

// The built CLI (dist/ is built by the Jest global setup) on a database seeded in-process.
describeEachDatabase('dondoc migrate', (dialect) => {
  let h: TestHarness<INestApplicationContext>;
  let env: NodeJS.ProcessEnv;
  let ids: Record<string, string>;

  const dondoc = (...args: string[]) => {
    const clean = Object.fromEntries(
      Object.entries(process.env).filter(
        ([k]) => !k.startsWith('DONDOC_') && k !== 'DATABASE_URL' && k !== 'PORT',
      ),
    );
    const r = spawnSync(process.execPath, [BIN, 'migrate', ...args], {
      cwd: ROOT,
      env: { ...clean, ...env },
      encoding: 'utf8',
      timeout: 60_000,
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  beforeAll(async () => {
    h = await createTestContext(dialect);
    ids = await seed(h.app);
    await seedUsers(h.app);
    // The CLI opens the database itself; the in-process app lets go of it first.
    await h.app.close();
    env = {
      DONDOC_DATA_DIR: h.db.dataDir,
      DONDOC_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
      ...(h.db.databaseUrl ? { DATABASE_URL: h.db.databaseUrl } : {}),
    };
  });
  afterAll(async () => h?.db.drop());

  it('an unknown version is a usage error (exit 2) listing the known versions', () => {
    const r = dondoc('--to', 'annual-report@9', '--dry-run');
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim()).toBe(
      `error: unknown machine version "annual-report@9"; known versions: ${V1}, ${V2}`,
    );
  });

  it('--dry-run needs no --as and prints the table and totals', () => {
    const r = dondoc('--to', V2, '--dry-run');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^PLAN\s+YEAR\s+AGENCY\s+STAGE\s+VERSION\s+VERDICT\s+REASON$/);
    const nnptnt = lines.find((l) => l.includes('SO_NNPTNT'))!;
    expect(nnptnt).toMatch(/aggregated\s+annual-report@1\s+invalid\s+event 4 \(AGGREGATE\)/);
    expect(lines.find((l) => l.includes('SO_CONGTHUONG'))).toMatch(
      /report_submitted\s+annual-report@1\s+unchanged$/,
    );
    expect(lines.at(-1)).toBe(
      `Dry run: 51 open obligation(s) on another version; 50 would migrate to ${V2} unchanged, 0 would change stage, 1 invalid. Nothing was changed.`,
    );
    const json = JSON.parse(dondoc('--to', V2, '--dry-run', '--json').stdout) as MigrationReport;
    expect(json.totals).toMatchObject({ candidates: 51, unchanged: 50, invalid: 1, migrated: 0 });
  });

  it('a migration needs --as (exit 2) and role admin (exit 1)', () => {
    const none = dondoc('--to', V2);
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/pass --as <username>/);
    const notAdmin = dondoc('--to', V2, '--as', 'tonghop.snn');
    expect(notAdmin.status).toBe(1);
    expect(notAdmin.stderr.trim()).toBe(
      'error: forbidden: migrate needs role admin (you are aggregator)',
    );
  });

  it('migrates as admin, then has nothing left to migrate', () => {
    const r = dondoc('--to', V2, '--year', '2025', '--as', 'admin', '--json');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as MigrationReport;
    expect(report.totals).toEqual({
      candidates: 51,
      unchanged: 50,
      changesStage: 0,
      invalid: 1,
      migrated: 50,
    });
    expect(report.items.find((i) => i.obligationId === ids.SO_TUPHAP)?.migrated).toBe(true);

    const again = dondoc('--to', V2, '--as', 'admin');
    expect(again.status).toBe(0);
    expect(again.stdout.trim().split('\n').at(-1)).toBe(
      `Migrated 0 of 1 open obligation(s) to ${V2}; not migrated: 0 would change stage, 1 invalid.`,
    );
    expect(again.stdout).toMatch(/SO_NNPTNT\s+aggregated\s+annual-report@1\s+invalid\s+no\s+/);
  });
});
