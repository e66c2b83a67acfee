/**
 * Verification of the audit trail, and each tampering made in the database itself being found
 * and named. One history is built once (a cycle opened, obligations advanced, a late sweep that
 * fires reminders, deadline passes and escalations); every case then works on its own copy of
 * that database (the SQLite file copied, or a PostgreSQL database created from it as template).
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { AppModule } from '../../src/app.module.js';
import { CheckpointService, type StoredCheckpoint } from '../../src/audit/checkpoint.service.js';
import {
  VerifyService,
  type VerifyFilter,
  type VerifyOptions,
  type VerifyReport,
} from '../../src/audit/verify.service.js';
import { VirtualClock } from '../../src/clock/clocks.js';
import { loadConfig } from '../../src/config/app-config.js';
import { eventHash, ledgerHash } from '../../src/core/audit/event-hash.js';
import type { Caller } from '../../src/core/access/caller.js';
import { applyEvent, type PersistedSnapshot } from '../../src/core/machine/obligation-engine.js';
import type { MachineEvent } from '../../src/core/machine/obligation-events.js';
import { CycleService } from '../../src/cycles/cycle.service.js';
import { Database, type Sql } from '../../src/database/database.js';
import { CommandService } from '../../src/obligations/command.service.js';
import { SweepService } from '../../src/timers/sweep.service.js';
import { admin, aggregator, officerOf } from '../support/callers.js';
import { describeEachDatabase, type TestDialect } from '../support/databases.js';
import { createTestContext, TEST_ADMIN_PASSWORD } from '../support/test-app.js';

const PLAN = 'thanh-hoa-nq46';
const AUDIT_KEY = 'khoa-kiem-toan-thu-nghiem-0123456789abcdef';
const LATE = Date.parse('2025-12-31T17:00:00Z');

/** Where a database lives, and how to throw it away. */
interface Db {
  dialect: TestDialect;
  dataDir: string;
  databaseUrl: string | null;
  drop(): Promise<void>;
}

async function pgAdmin<T>(work: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
  await c.connect();
  try {
    return await work(c);
  } finally {
    await c.end();
  }
}

const dbName = (url: string) => new URL(url).pathname.slice(1);

function sqliteFiles(dir: string): string[] {
  return fs.readdirSync(dir).filter((f) => f.startsWith('dondoc.sqlite'));
}

/** A copy of a closed database (nothing may be connected to it). */
async function copyOf(source: Db): Promise<Db> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dondoc-audit-'));
  const rmDir = () => fs.rmSync(dataDir, { recursive: true, force: true });
  if (source.dialect === 'sqlite') {
    for (const f of sqliteFiles(source.dataDir)) {
      fs.copyFileSync(path.join(source.dataDir, f), path.join(dataDir, f));
    }
    return { dialect: 'sqlite', dataDir, databaseUrl: null, drop: async () => rmDir() };
  }
  const name = `dondoc_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
  await pgAdmin((c) => c.query(`CREATE DATABASE ${name} TEMPLATE ${dbName(source.databaseUrl!)}`));
  const url = new URL(source.databaseUrl!);
  url.pathname = `/${name}`;
  return {
    dialect: 'postgres',
    dataDir,
    databaseUrl: url.toString(),
    drop: async () => {
      await pgAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
      rmDir();
    },
  };
}

/** Puts the contents of `backup` back in place of `target` (both closed): a restore. */
async function restore(target: Db, backup: Db): Promise<void> {
  if (target.dialect === 'sqlite') {
    for (const f of sqliteFiles(target.dataDir)) fs.rmSync(path.join(target.dataDir, f));
    for (const f of sqliteFiles(backup.dataDir)) {
      fs.copyFileSync(path.join(backup.dataDir, f), path.join(target.dataDir, f));
    }
    return;
  }
  const name = dbName(target.databaseUrl!);
  await pgAdmin(async (c) => {
    await c.query(`DROP DATABASE ${name} WITH (FORCE)`);
    await c.query(`CREATE DATABASE ${name} TEMPLATE ${dbName(backup.databaseUrl!)}`);
  });
}

async function openApp(db: Db, now = LATE): Promise<INestApplicationContext> {
  const config = {
    ...loadConfig({}),
    dataDir: db.dataDir,
    databaseUrl: db.databaseUrl,
    openCurrentCycleAtStart: false,
    adminPassword: TEST_ADMIN_PASSWORD,
    auditKey: AUDIT_KEY,
  };
  const app = await NestFactory.createApplicationContext(
    AppModule.register(config, { clock: new VirtualClock(new Date(now)), scheduler: false }),
    { logger: ['error'] },
  );
  await app.init();
  return app;
}

const where = (r: VerifyReport) => r.problems.map((p) => [p.kind, p.obligationId, p.seq]);

/**
 * Verifies in the server's thread and on two worker threads (small pages and ledger stretches,
 * so that jobs split obligations and the ledger at many boundaries); both must give the same
 * report, problems in the same order.
 */
async function verifyBoth(
  app: INestApplicationContext,
  filter: VerifyFilter = {},
  options: VerifyOptions = {},
): Promise<VerifyReport> {
  const verifier = app.get(VerifyService);
  const local = await verifier.verify(filter, { ...options, workers: 0 });
  const threaded = await verifier.verify(filter, {
    obligationPage: 5,
    ...options,
    workers: 2,
    workerThreshold: 0,
    ledgerStretch: 17,
  });
  expect(local.workers).toBe(0);
  expect(threaded).toEqual({ ...local, workers: 2 });
  return local;
}

describeEachDatabase('audit verification and tampering', (dialect) => {
  let base: Db;
  let ids: Record<string, string>;
  let eventCount: number;
  /** The obligation taken through its whole lifecycle: seqs 1–5, ending REPORT_TO_UBND. */
  let done: string;
  /** One left in `implementing`, with the late sweep's events after its START_IMPLEMENTATION. */
  let open: string;
  const copies: Db[] = [];

  /** A fresh copy of the history, opened; `work` gets the app; everything is closed after. */
  async function withCopy<T>(work: (app: INestApplicationContext, db: Db) => Promise<T>) {
    const db = await copyOf(base);
    copies.push(db);
    const app = await openApp(db);
    try {
      return await work(app, db);
    } finally {
      await app.close();
    }
  }

  const tamper = <T>(app: INestApplicationContext, work: (tx: Sql) => Promise<T>) =>
    app.get(Database).write(work);

  beforeAll(async () => {
    const h = await createTestContext(dialect, { auditKey: AUDIT_KEY });
    base = { dialect, dataDir: h.db.dataDir, databaseUrl: h.db.databaseUrl, drop: h.db.drop };
    try {
      const opened = await h.app.get(CycleService).open(PLAN, 2025, admin);
      ids = Object.fromEntries(opened.obligations.map((o) => [o.agencyCode, o.id]));
      done = ids.SO_CONGTHUONG!;
      open = ids.SO_TUPHAP!;
      const commands = h.app.get(CommandService);
      const send = (id: string, type: string, payload: object, caller: Caller) =>
        commands.execute({ obligationId: id, type, payload, caller });
      const sct = officerOf('SO_CONGTHUONG');
      await send(done, 'START_IMPLEMENTATION', { planRef: '45/KH-SCT' }, sct);
      await send(done, 'SUBMIT_REPORT', { reportRef: '210/BC-SCT' }, sct);
      await send(done, 'AGGREGATE', {}, aggregator);
      await send(done, 'REPORT_TO_UBND', { consolidatedReportRef: '300/BC-SNN' }, aggregator);
      await send(open, 'START_IMPLEMENTATION', { planRef: '12/KH-STP' }, officerOf('SO_TUPHAP'));
      const snn = ids.SO_NNPTNT!;
      await send(snn, 'START_IMPLEMENTATION', { planRef: '7/KH' }, officerOf('SO_NNPTNT'));
      await send(snn, 'SUBMIT_REPORT', { reportRef: '9/BC' }, officerOf('SO_NNPTNT'));
      await send(
        ids.SO_XAYDUNG!,
        'EXTEND_DEADLINE',
        { newDueDate: '2025-11-28', basis: 'Công văn 15/UBND' },
        aggregator,
      );
      h.clock.set(new Date(LATE));
      const fired = await h.app.get(SweepService).sweep(LATE);
      expect(fired.length).toBeGreaterThan(100);
      const report = await h.app.get(VerifyService).verify();
      // 53: the 2025 roster (Đông Sơn merged into the city on 01/01/2025).
      expect(report).toMatchObject({ ok: true, obligations: 53, problems: [], problemCount: 0 });
      eventCount = report.events;
      expect(report.ledgerEntries).toBe(eventCount);
      expect(eventCount).toBe(53 + 8 + fired.length); // opened, 8 commands, the sweep
    } finally {
      await h.app.close(); // the database stays: every case copies it
    }
  }, 120_000);

  afterAll(async () => {
    for (const db of copies) await db.drop();
    await base?.drop();
  });

  it('an untouched history verifies: ok, with the counts; a filter still checks the whole ledger', async () => {
    await withCopy(async (app) => {
      expect(await verifyBoth(app)).toEqual({
        ok: true,
        obligations: 53,
        events: eventCount,
        ledgerEntries: eventCount,
        checkpoints: 0,
        workers: 0,
        problems: [],
        problemCount: 0,
        truncated: false,
      });
      const filtered = await verifyBoth(app, { planId: PLAN, year: 2025 });
      expect(filtered).toMatchObject({ ok: true, obligations: 53, ledgerEntries: eventCount });
      const other = await verifyBoth(app, { planId: PLAN, year: 2026 });
      expect(other).toMatchObject({ ok: true, obligations: 0, events: 0 });
      expect(other.ledgerEntries).toBe(eventCount);
      // Small pages exercise the paging of both passes, by id and along each filter's index.
      for (const f of [{ planId: PLAN, year: 2025 }, { planId: PLAN }, { year: 2025 }]) {
        expect(await verifyBoth(app, f, { obligationPage: 7 })).toMatchObject({
          ok: true,
          obligations: 53,
          events: eventCount,
        });
      }
      expect(await verifyBoth(app, {}, { obligationPage: 7, ledgerPage: 13 })).toMatchObject({
        ok: true,
        obligations: 53,
        events: eventCount,
      });
    });
  });

  it('(1) one character of a payload changed → HASH_MISMATCH at that obligation and seq', async () => {
    await withCopy(async (app) => {
      const changed = await tamper(app, (tx) =>
        tx.execute(
          dialect === 'postgres'
            ? `UPDATE obligation_events SET payload = replace(payload::text, '45/KH', '46/KH')::jsonb
               WHERE obligation_id = ? AND seq = 2`
            : `UPDATE obligation_events SET payload = replace(payload, '45/KH', '46/KH')
               WHERE obligation_id = ? AND seq = 2`,
          [done],
        ),
      );
      expect(changed).toBe(1);
      const report = await verifyBoth(app);
      expect(report.ok).toBe(false);
      expect(report.problems.filter((p) => p.kind === 'HASH_MISMATCH')).toEqual([
        {
          kind: 'HASH_MISMATCH',
          obligationId: done,
          seq: 2,
          detail: "the event's fields do not hash to its hash",
        },
      ]);
      // The changed planRef also no longer replays to the stored context.
      expect(where(report)).toEqual([
        ['HASH_MISMATCH', done, 2],
        ['REPLAY_MISMATCH', done, 5],
      ]);
    });
  });

  it("(2) an obligation's last event deleted (its ledger entry stays) → MISSING_TAIL, and REPLAY_MISMATCH", async () => {
    await withCopy(async (app) => {
      await tamper(app, (tx) =>
        tx.execute('DELETE FROM obligation_events WHERE obligation_id = ? AND seq = 5', [done]),
      );
      const report = await verifyBoth(app);
      expect(where(report)).toEqual([
        ['REPLAY_MISMATCH', done, 4],
        ['MISSING_TAIL', done, 5],
      ]);
      expect(report.problems[0]!.detail).toContain('version: stored 5, the history ends at seq 4');
      expect(report.events).toBe(eventCount - 1);
    });
  });

  it('(3) two events swapped → HASH_MISMATCH at both seqs, LEDGER_MISMATCH and REPLAY_MISMATCH', async () => {
    await withCopy(async (app) => {
      await tamper(app, async (tx) => {
        const swap = 'UPDATE obligation_events SET seq = ? WHERE obligation_id = ? AND seq = ?';
        await tx.execute(swap, [-2, done, 2]);
        await tx.execute(swap, [2, done, 3]);
        await tx.execute(swap, [3, done, -2]);
      });
      const report = await verifyBoth(app);
      expect(report.ok).toBe(false);
      expect(where(report)).toEqual(
        expect.arrayContaining([
          ['HASH_MISMATCH', done, 2],
          ['HASH_MISMATCH', done, 3],
          ['REPLAY_MISMATCH', done, 2],
          ['LEDGER_MISMATCH', done, 2],
          ['LEDGER_MISMATCH', done, 3],
        ]),
      );
      expect(report.problems.every((p) => p.obligationId === done)).toBe(true);
    });
  });

  it('(4) a snapshot edited → REPLAY_MISMATCH at that obligation and its last seq', async () => {
    await withCopy(async (app) => {
      await tamper(app, (tx) =>
        tx.execute(
          dialect === 'postgres'
            ? `UPDATE obligations SET snapshot = jsonb_set(snapshot, '{value}', '"aggregated"')
               WHERE id = ?`
            : `UPDATE obligations SET snapshot = json_set(snapshot, '$.value', 'aggregated')
               WHERE id = ?`,
          [done],
        ),
      );
      const report = await verifyBoth(app);
      expect(where(report)).toEqual([['REPLAY_MISMATCH', done, 5]]);
      expect(report.problems[0]!.detail).toContain('snapshot stage');
    });
  });

  it('(5) an event inserted with a recomputed chain and snapshot but no ledger entry → LEDGER_MISMATCH', async () => {
    await withCopy(async (app) => {
      const seq = await tamper(app, async (tx) => {
        const [last] = await tx.query<Record<string, unknown>>(
          'SELECT seq, hash FROM obligation_events WHERE obligation_id = ? ORDER BY seq DESC LIMIT 1',
          [open],
        );
        const [o] = await tx.query<Record<string, unknown>>(
          'SELECT snapshot, machine_version FROM obligations WHERE id = ?',
          [open],
        );
        const snapshot = (
          typeof o!.snapshot === 'string' ? JSON.parse(o!.snapshot) : o!.snapshot
        ) as PersistedSnapshot;
        const at = LATE - 3_600_000;
        const event = {
          obligationId: open,
          seq: Number(last!.seq) + 1,
          type: 'SUBMIT_REPORT',
          payload: { reportRef: '99/BC-GIA' },
          actor: 'officer.so_tuphap',
          reason: null,
          effectiveAt: new Date(at).toISOString(),
          recordedAt: new Date(at).toISOString(),
          machineVersion: String(o!.machine_version),
          prevHash: String(last!.hash),
        };
        const next = applyEvent(event.machineVersion, snapshot, {
          type: 'SUBMIT_REPORT',
          payload: event.payload,
          effectiveAt: event.effectiveAt,
          actor: event.actor,
        } as MachineEvent);
        await tx.execute(
          `INSERT INTO obligation_events (obligation_id, seq, type, payload, actor, reason,
             effective_at, recorded_at, stage_after, machine_version, prev_hash, hash)
           VALUES (?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?)`,
          [
            open,
            event.seq,
            event.type,
            JSON.stringify(event.payload),
            event.actor,
            at,
            at,
            next.stage,
            event.machineVersion,
            event.prevHash,
            eventHash(event),
          ],
        );
        await tx.execute(
          'UPDATE obligations SET stage = ?, snapshot = ?, version = ? WHERE id = ?',
          [next.stage, JSON.stringify(next.snapshot), event.seq, open],
        );
        return event.seq;
      });
      const report = await verifyBoth(app);
      expect(where(report)).toEqual([['LEDGER_MISMATCH', open, seq]]);
      expect(report.problems[0]!.detail).toBe('the event has no entry in the ledger');
    });
  });

  it('(6) the database rolled back to an older copy while a newer checkpoint is held → MISSING_TAIL', async () => {
    const db = await copyOf(base);
    copies.push(db);
    let app = await openApp(db);
    const older = await app.get(CheckpointService).create();
    await app.close();
    const backup = await copyOf(db);
    copies.push(backup);

    app = await openApp(db, LATE + 60_000);
    let newer: StoredCheckpoint;
    try {
      const commands = app.get(CommandService);
      const snn = ids.SO_NNPTNT!;
      await commands.execute({ obligationId: snn, type: 'AGGREGATE', caller: aggregator });
      await commands.execute({
        obligationId: snn,
        type: 'REPORT_TO_UBND',
        payload: { consolidatedReportRef: '301/BC-SNN' },
        caller: aggregator,
      });
      newer = await app.get(CheckpointService).create();
      expect(newer.position).toBe(older.position + 2);
      expect(await verifyBoth(app, {}, { checkpoint: [older, newer] })).toMatchObject({
        ok: true,
        checkpoints: 2,
      });
    } finally {
      await app.close();
    }

    await restore(db, backup);
    app = await openApp(db);
    try {
      // Without the checkpoint the older copy is consistent in itself…
      expect((await verifyBoth(app)).ok).toBe(true);
      expect((await verifyBoth(app, {}, { checkpoint: older })).ok).toBe(true);
      // …but the newer checkpoint kept outside shows it is a rollback.
      const report = await verifyBoth(app, {}, { checkpoint: newer });
      expect(where(report)).toEqual([['MISSING_TAIL', null, null]]);
      expect(report.problems[0]!.detail).toMatch(
        new RegExp(
          `^database is older than the checkpoint of ${newer.createdAt} .*` +
            `the ledger ends at position ${older.position}, the checkpoint covers ${newer.position}`,
        ),
      );
      // A checkpoint whose facts were edited (or signed with another key) is named too.
      const forged = { ...newer, position: older.position };
      expect(where(await verifyBoth(app, {}, { checkpoint: forged }))).toEqual([
        ['LEDGER_MISMATCH', null, null],
      ]);
    } finally {
      await app.close();
    }
  }, 60_000);

  it('the newest event rewritten with the ledger recomputed → only a checkpoint catches it', async () => {
    await withCopy(async (app) => {
      const cp = await app.get(CheckpointService).create();
      const rewritten = await tamper(app, async (tx) => {
        const [l] = await tx.query<Record<string, unknown>>(
          'SELECT position, event_id, prev_hash FROM ledger ORDER BY position DESC LIMIT 1',
        );
        const [e] = await tx.query<Record<string, unknown>>(
          'SELECT * FROM obligation_events WHERE id = ?',
          [l!.event_id],
        );
        const recordedAt = Number(e!.recorded_at) + 1; // a different moment, nothing else
        const hash = eventHash({
          obligationId: String(e!.obligation_id),
          seq: Number(e!.seq),
          type: String(e!.type),
          payload: typeof e!.payload === 'string' ? JSON.parse(e!.payload) : e!.payload,
          actor: String(e!.actor),
          reason: e!.reason == null ? null : String(e!.reason),
          effectiveAt: new Date(Number(e!.effective_at)).toISOString(),
          recordedAt: new Date(recordedAt).toISOString(),
          machineVersion: String(e!.machine_version),
          prevHash: String(e!.prev_hash),
        });
        const position = Number(l!.position);
        await tx.execute('UPDATE obligation_events SET recorded_at = ?, hash = ? WHERE id = ?', [
          recordedAt,
          hash,
          l!.event_id,
        ]);
        await tx.execute('UPDATE ledger SET event_hash = ?, hash = ? WHERE position = ?', [
          hash,
          ledgerHash(position, hash, String(l!.prev_hash)),
          position,
        ]);
        return { obligationId: String(e!.obligation_id), seq: Number(e!.seq) };
      });
      expect((await verifyBoth(app)).ok).toBe(true);
      const report = await verifyBoth(app, {}, { checkpoint: cp });
      expect(where(report)).toEqual([['LEDGER_MISMATCH', rewritten.obligationId, rewritten.seq]]);
      expect(report.problems[0]!.detail).toBe(
        `ledger entry ${cp.position} does not have the hash of the checkpoint of ` +
          `${cp.createdAt} (position ${cp.position})`,
      );
    });
  });

  it('checkpoints are listed newest first and found by id or as the latest', async () => {
    await withCopy(async (app) => {
      const checkpoints = app.get(CheckpointService);
      expect(await checkpoints.find('latest')).toBeNull();
      expect(await checkpoints.createIfLedgerMoved()).toMatchObject({ position: eventCount });
      expect(await checkpoints.createIfLedgerMoved()).toBeNull();
      const second = await checkpoints.create();
      expect(second).toMatchObject({
        position: eventCount,
        eventCount,
        createdAt: new Date(LATE).toISOString(),
        algorithm: 'HMAC-SHA256',
      });
      expect((await checkpoints.list()).map((c) => c.id)).toEqual([second.id, second.id - 1]);
      expect(await checkpoints.find(second.id)).toEqual(second);
      expect(await checkpoints.find('latest')).toEqual(second);
      expect(checkpoints.verifyCheckpointDocument(second)).toBe(true);
    });
  });
});
