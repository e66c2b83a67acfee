/**
 * The hash chains under concurrent writers: two sweeping processes and two processes sending
 * commands (the built CLI) to the same obligations at once; afterwards both chains verify, the
 * ledger positions run 1..N without gaps, and the CLI's own verify and checkpoint agree.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { INestApplicationContext } from '@nestjs/common';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { VerifyService } from '../../src/audit/verify.service.js';
import { CycleService } from '../../src/cycles/cycle.service.js';
import { Database } from '../../src/database/database.js';
import { CommandService } from '../../src/obligations/command.service.js';
import { UsersService } from '../../src/users/users.service.js';
import { admin, officerOf } from '../support/callers.js';
import { describeEachDatabase } from '../support/databases.js';
import { createTestContext, TEST_ADMIN_PASSWORD, type TestHarness } from '../support/test-app.js';

const BIN = path.resolve('bin/dondoc.js');
const PLAN = 'thanh-hoa-nq46';
/** Agencies whose obligations both command processes extend, interleaved. */
const AGENCIES = ['SO_CONGTHUONG', 'SO_TUPHAP', 'SO_XAYDUNG', 'SO_TAICHINH'];
const COMMANDS_PER_PROCESS = 8;

interface Run {
  code: number | null;
  out: string;
  err: string;
}

function cli(env: NodeJS.ProcessEnv, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

/** One writer: its commands one after another, each a CLI process. */
async function commandLane(
  env: NodeJS.ProcessEnv,
  as: string,
  ids: string[],
  day: number,
): Promise<Run[]> {
  const runs: Run[] = [];
  for (let i = 0; i < COMMANDS_PER_PROCESS; i++) {
    const payload = {
      newDueDate: `2025-12-${String(day + i).padStart(2, '0')}`,
      basis: `Công văn ${as} số ${i + 1}`,
    };
    runs.push(
      await cli(env, [
        'advance',
        ids[i % ids.length]!,
        'EXTEND_DEADLINE',
        '--payload',
        JSON.stringify(payload),
        '--as',
        as,
      ]),
    );
  }
  return runs;
}

describeEachDatabase('audit chains under concurrent writer processes', (dialect) => {
  let h: TestHarness<INestApplicationContext>;
  let env: NodeJS.ProcessEnv;
  let ids: string[];

  beforeAll(async () => {
    h = await createTestContext(dialect);
    const opened = await h.app.get(CycleService).open(PLAN, 2025, admin);
    const byAgency = Object.fromEntries(opened.obligations.map((o) => [o.agencyCode, o.id]));
    ids = AGENCIES.map((a) => byAgency[a]!);
    // Submitted reports: their timers are cancelled, so the sweeps leave them to the commands.
    const commands = h.app.get(CommandService);
    for (const [i, id] of ids.entries()) {
      const caller = officerOf(AGENCIES[i]!);
      await commands.execute({
        obligationId: id,
        type: 'START_IMPLEMENTATION',
        payload: { planRef: `${i}/KH` },
        caller,
      });
      await commands.execute({
        obligationId: id,
        type: 'SUBMIT_REPORT',
        payload: { reportRef: `${i}/BC` },
        caller,
      });
    }
    const users = h.app.get(UsersService);
    const password = 'mat-khau-thu-nghiem';
    await users.create({
      username: 'tonghop.snn',
      role: 'aggregator',
      agencyCode: 'SO_NNPTNT',
      password,
    });
    await users.create({ username: 'kiemtoan', role: 'auditor', password });
    env = {
      ...process.env,
      DONDOC_DATA_DIR: h.db.dataDir,
      DONDOC_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
      DONDOC_OPEN_CURRENT_CYCLE: 'false',
    };
    delete env.DATABASE_URL;
    delete env.DONDOC_AUDIT_KEY;
    if (h.db.databaseUrl) env.DATABASE_URL = h.db.databaseUrl;
  });
  afterAll(async () => h?.close());

  it('two sweeps and two command writers at once: both chains verify, positions 1..N', async () => {
    const at = '2025-12-31T17:00:00Z';
    const [sweepA, sweepB, laneA, laneB] = await Promise.all([
      cli(env, ['sweep', '--at', at, '--json', '--as', 'admin']),
      cli(env, ['sweep', '--at', at, '--json', '--as', 'admin']),
      commandLane(env, 'admin', ids, 1),
      commandLane(env, 'tonghop.snn', [...ids].reverse(), 11),
    ]);
    for (const run of [sweepA, sweepB, ...laneA, ...laneB]) {
      expect([run.code, run.err]).toEqual([0, '']);
    }
    const fired = [sweepA, sweepB].flatMap(
      (r) => (JSON.parse(r.out) as { fired: unknown[] }).fired,
    );
    expect(fired.length).toBeGreaterThan(100);

    const [ledger] = await h.app.get(Database).read((sql) =>
      sql.query<{ n: unknown; lo: unknown; hi: unknown; events: unknown }>(
        `SELECT COUNT(*) AS n, MIN(position) AS lo, MAX(position) AS hi,
             (SELECT COUNT(*) FROM obligation_events) AS events FROM ledger`,
      ),
    );
    const expected = 53 + ids.length * 2 + fired.length + 2 * COMMANDS_PER_PROCESS;
    expect([ledger!.n, ledger!.lo, ledger!.hi, ledger!.events].map(Number)).toEqual([
      expected,
      1,
      expected,
      expected,
    ]);
    const report = await h.app.get(VerifyService).verify();
    expect(report).toMatchObject({ ok: true, events: expected, ledgerEntries: expected });
    // Each extended obligation: opened, started, submitted, then all 16 extensions in some order.
    const [perObligation] = await h.app
      .get(Database)
      .read((sql) =>
        sql.query<{ n: unknown }>(
          `SELECT COUNT(*) AS n FROM obligation_events WHERE type = 'EXTEND_DEADLINE'`,
        ),
      );
    expect(Number(perObligation!.n)).toBe(2 * COMMANDS_PER_PROCESS);
  }, 180_000);

  it('dondoc audit checkpoint and dondoc audit verify --checkpoint: OK, exit 0; tampering: exit 1', async () => {
    const file = path.join(h.db.dataDir, 'checkpoint.json');
    const forbidden = await cli(env, ['audit', 'checkpoint', '--as', 'tonghop.snn']);
    expect(forbidden.code).toBe(1);
    expect(forbidden.err).toContain('needs role admin or auditor');
    const signed = await cli(env, ['audit', 'checkpoint', '--out', file, '--as', 'kiemtoan']);
    expect([signed.code, signed.err]).toEqual([0, '']);
    const doc = JSON.parse(fs.readFileSync(file, 'utf8')) as { position: number };
    expect(signed.out).toContain(`ledger position ${doc.position}`);

    const ok = await cli(env, ['audit', 'verify', '--checkpoint', file]);
    expect([ok.code, ok.err]).toEqual([0, '']);
    expect(ok.out).toMatch(
      /^OK: 53 obligation\(s\), \d+ event\(s\), \d+ ledger entries, 1 checkpoint\(s\) verified\.\n$/,
    );

    const [first] = await h.app
      .get(Database)
      .read((sql) =>
        sql.query<{ obligation_id: string }>(
          'SELECT obligation_id FROM obligation_events WHERE seq = 2 ORDER BY id LIMIT 1',
        ),
      );
    const id = first!.obligation_id;
    const db = h.app.get(Database);
    await db.write((tx) =>
      tx.execute('UPDATE obligation_events SET reason = ? WHERE obligation_id = ? AND seq = 2', [
        'sửa lén',
        id,
      ]),
    );
    try {
      const bad = await cli(env, ['audit', 'verify', '--plan', PLAN, '--year', '2025']);
      expect(bad.code).toBe(1);
      expect(bad.out).toContain(`HASH_MISMATCH obligation ${id} seq 2: `);
      expect(bad.err).toBe(
        'error: the audit trail does not verify: 1 problem(s) (HASH_MISMATCH)\n',
      );
      const json = await cli(env, ['audit', 'verify', '--json']);
      expect(json.code).toBe(1);
      expect(JSON.parse(json.out)).toMatchObject({
        ok: false,
        problems: [{ obligationId: id, seq: 2, kind: 'HASH_MISMATCH' }],
      });
    } finally {
      await db.write((tx) =>
        tx.execute(
          'UPDATE obligation_events SET reason = NULL WHERE obligation_id = ? AND seq = 2',
          [id],
        ),
      );
    }
    const missing = await cli(env, [
      'audit',
      'verify',
      '--checkpoint',
      path.join(h.db.dataDir, 'nope.json'),
    ]);
    expect(missing.code).toBe(2);
  }, 60_000);
});
