/** Two sweeping processes on one database: every due timer fires exactly once between them. */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { INestApplicationContext } from '@nestjs/common';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { CycleService } from '../../src/cycles/cycle.service.js';
import { Database } from '../../src/database/database.js';
import { admin } from '../support/callers.js';
import { describeEachDatabase } from '../support/databases.js';
import { createTestContext, TEST_ADMIN_PASSWORD, type TestHarness } from '../support/test-app.js';

const BIN = path.resolve('bin/dondoc.js');

function sweepProcess(
  env: NodeJS.ProcessEnv,
  at: string,
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, 'sweep', '--at', at, '--json', '--as', 'admin'], {
      env,
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

describeEachDatabase('two sweeping processes', (dialect) => {
  let h: TestHarness<INestApplicationContext>;

  beforeAll(async () => {
    h = await createTestContext(dialect);
    await h.app.get(CycleService).open('thanh-hoa-nq46', 2025, admin);
  });
  afterAll(async () => h?.close());

  it('after a downtime past every step, two concurrent sweeps fire each (obligation, kind, level) once', async () => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DONDOC_DATA_DIR: h.db.dataDir,
      DONDOC_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
    };
    delete env.DATABASE_URL;
    if (h.db.databaseUrl) env.DATABASE_URL = h.db.databaseUrl;
    const [a, b] = await Promise.all([
      sweepProcess(env, '2025-12-31T17:00:00Z'),
      sweepProcess(env, '2025-12-31T17:00:00Z'),
    ]);
    expect([a.code, b.code, a.err, b.err]).toEqual([0, 0, '', '']);
    const firedA = (
      JSON.parse(a.out) as { fired: Array<{ obligationId: string; type: string; level: number }> }
    ).fired;
    const firedB = (JSON.parse(b.out) as { fired: typeof firedA }).fired;
    const keys = [...firedA, ...firedB].map((f) => `${f.obligationId}:${f.type}:${f.level}`);
    expect(new Set(keys).size).toBe(keys.length);
    // 2025 (Đông Sơn merged into the city): 53 × 3 reminders + 53 deadline passes + 47 directed ×
    // 2 escalations.
    expect(keys.length).toBe(53 * 3 + 53 + 47 * 2);
    const [row] = await h.app
      .get(Database)
      .read((sql) =>
        sql.query<{ n: unknown }>(
          `SELECT COUNT(*) AS n FROM obligation_events WHERE type <> 'OBLIGATION_OPENED'`,
        ),
      );
    expect(Number(row!.n)).toBe(keys.length);
    const [pending] = await h.app
      .get(Database)
      .read((sql) =>
        sql.query<{ n: unknown }>('SELECT COUNT(*) AS n FROM timers WHERE fired_at IS NULL'),
      );
    expect(Number(pending!.n)).toBe(0);
  }, 60_000);
});
