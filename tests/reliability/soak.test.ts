/**
 * Soak (issue 9 item 5): consecutive cycle years on one database and one virtual clock, across
 * the 2025 reorganisation, with reports on time, late and never (seeded), so the escalation ladder
 * climbs every year. At the end the audit trail verifies, every escalation that came due fired
 * exactly once, and the heap after a forced garbage collection stays flat from year to year.
 *
 * Plans: the Thanh Hóa plan (54 obligations in 2024, 53 in 2025, 21 from 2026 after the
 * reorganisation) and the fixture plan `soak-load` (tests/fixtures/soak, 39 synthetic units from
 * 2026, four of them merged into a fifth on 2029-01-01), so every year has 53 to 60 obligations.
 *
 * CI: 3 years (2024-2026). `DONDOC_SOAK=1` (npm run test:soak): 10 years (2024-2033);
 * `SOAK_YEARS=n` sets the number of years, `SOAK_SEED` the seed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { INestApplicationContext } from '@nestjs/common';
import { VerifyService, type VerifyReport } from '../../src/audit/verify.service.js';
import { PACKAGE_ROOT } from '../../src/config/app-config.js';
import { describeEachDatabase } from '../support/databases.js';
import { createTestContext, type TestHarness } from '../support/test-app.js';
import { checkLadder, type LadderCheck } from './soak-checks.js';
import { runSoak, type SoakRun, type SoakYear } from './soak-run.js';

const LONG = process.env.DONDOC_SOAK === '1';
const YEARS = Number(process.env.SOAK_YEARS ?? (LONG ? 10 : 3));
const SEED = Number(process.env.SOAK_SEED ?? 20240101);
const FIRST_YEAR = 2024;
const MB = 1024 * 1024;
/** The heap may grow this much from the second year to the last (JIT, caches) without failing. */
const HEAP_SLACK = { ratio: 1.5, bytes: 24 * MB };

/** The real workflows folder plus the soak fixture plan and its registry. */
function soakWorkflows(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dondoc-soak-workflows-'));
  fs.cpSync(path.join(PACKAGE_ROOT, 'workflows'), dir, { recursive: true });
  fs.cpSync(path.join(PACKAGE_ROOT, 'tests', 'fixtures', 'soak', 'workflows'), dir, {
    recursive: true,
  });
  return dir;
}

function yearLine(y: SoakYear): string {
  const opened = Object.values(y.opened).reduce((a, b) => a + b, 0);
  const f = y.fired;
  return [
    String(y.year),
    `${opened} (${Object.entries(y.opened)
      .map(([plan, n]) => `${plan} ${n}`)
      .join(', ')})`.padEnd(40),
    String(y.events).padStart(6),
    `${f.REMIND}/${f.DEADLINE_PASSED}/${f.ESCALATE}`.padStart(12),
    (y.heapUsed / MB).toFixed(1).padStart(8),
    (y.rss / MB).toFixed(0).padStart(6),
    (y.ms / 1000).toFixed(1).padStart(7),
  ].join('  ');
}

describeEachDatabase(`soak: ${YEARS} cycle years from ${FIRST_YEAR}`, (dialect) => {
  let h: TestHarness<INestApplicationContext>;
  let workflowsDir: string;
  let run: SoakRun;
  let verify: VerifyReport;
  let ladder: LadderCheck;

  beforeAll(async () => {
    workflowsDir = soakWorkflows();
    h = await createTestContext(dialect, { workflowsDir });
  });
  afterAll(async () => {
    await h?.close();
    if (workflowsDir) fs.rmSync(workflowsDir, { recursive: true, force: true });
  });

  it(
    'runs every year: cycles open on 1 January, agencies act, the sweep fires the ladder, the successions apply',
    async () => {
      run = await runSoak(h.app, h.clock, { firstYear: FIRST_YEAR, years: YEARS, seed: SEED });
      const started = performance.now();
      verify = await h.app.get(VerifyService).verify();
      const verifyMs = performance.now() - started;
      ladder = await checkLadder(h.app, run);
      const total = (k: keyof SoakYear['fired']) => run.years.reduce((n, y) => n + y.fired[k], 0);
      process.stdout.write(
        [
          `soak [${dialect}] ${YEARS} years from ${FIRST_YEAR}, seed ${SEED}: ${(run.ms / 1000).toFixed(1)} s`,
          'year  obligations opened                          events  rem/dp/esc   heap MB  rss MB  time s',
          ...run.years.map(yearLine),
          `behaviours ${JSON.stringify(run.behaviours)}; returned ${run.returned}; ` +
            `reported to UBND ${run.reportedToUbnd}; actions skipped (agency ended) ${run.skippedAgencyEnded}`,
          `successions ${run.successions.map((s) => `${s.date}: ${s.transfers} transferred, ${s.undecided} undecided`).join('; ')}`,
          `fired: ${total('REMIND')} reminders, ${total('DEADLINE_PASSED')} deadline passed, ${total('ESCALATE')} escalations; ` +
            `ladder expected ${ladder.expected}, recorded ${ladder.fired}, timer rows fired ${ladder.firedTimerRows}`,
          `verify: ok ${verify.ok}, ${verify.obligations} obligations, ${verify.events} events, ` +
            `${verify.ledgerEntries} ledger entries, ${verify.problems.length} problems, ${(verifyMs / 1000).toFixed(1)} s`,
          '',
        ].join('\n'),
      );
      expect(run.years.map((y) => y.year)).toEqual(
        Array.from({ length: YEARS }, (_, i) => FIRST_YEAR + i),
      );
      // The real roster as of 1 January: 54, 53, then 21 plus the fixture's units (about 60).
      for (const y of run.years) {
        const opened = Object.values(y.opened).reduce((a, b) => a + b, 0);
        expect(opened).toBeGreaterThanOrEqual(y.year === 2025 ? 53 : 54);
        expect(opened).toBeLessThanOrEqual(60);
        expect(y.fired.ESCALATE).toBeGreaterThan(0);
        expect(y.fired.DEADLINE_PASSED).toBeGreaterThan(0);
      }
      expect(run.years[0]!.opened).toEqual({ 'thanh-hoa-nq46': 54 });
      if (YEARS >= 2) expect(run.years[1]!.opened).toEqual({ 'thanh-hoa-nq46': 53 });
      if (YEARS >= 3) {
        expect(run.years[2]!.opened).toEqual({ 'thanh-hoa-nq46': 21, 'soak-load': 39 });
        // The reorganisation: Đông Sơn (1/1), the departments (1/3), the districts (1/7/2025).
        expect(run.successions.map((s) => s.date)).toEqual(
          expect.arrayContaining(['2025-01-01', '2025-03-01', '2025-07-01']),
        );
        expect(run.successions.find((s) => s.date === '2025-03-01')!.transfers).toBeGreaterThan(0);
      }
      const merged = run.years.find((y) => y.year === 2029);
      if (merged) {
        // The fixture's merger: four units into a fifth, their open obligations with them.
        expect(merged.opened).toEqual({ 'thanh-hoa-nq46': 21, 'soak-load': 35 });
        expect(run.successions.find((s) => s.date === '2029-01-01')!.transfers).toBeGreaterThan(0);
      }
    },
    30 * 60_000,
  );

  it('the whole audit trail verifies', () => {
    expect(verify).toMatchObject({ ok: true, problems: [] });
    const opened = run.years.reduce(
      (n, y) => n + Object.values(y.opened).reduce((a, b) => a + b, 0),
      0,
    );
    expect(verify.obligations).toBe(opened);
    expect(verify.events).toBe(run.years.reduce((n, y) => n + y.events, 0));
  });

  it('every escalation step that came due while a report was owed fired exactly once, on time', () => {
    expect(ladder.missing).toEqual([]);
    expect(ladder.duplicated).toEqual([]);
    expect(ladder.unexpected).toEqual([]);
    expect(ladder.late).toEqual([]);
    expect(ladder.fired).toBe(ladder.expected);
    expect(ladder.firedTimerRows).toBe(ladder.fired);
  });

  it('the heap after garbage collection stays flat from the second year to the last', () => {
    if (run.years.length < 3) return;
    const second = run.years[1]!.heapUsed;
    const last = run.years.at(-1)!.heapUsed;
    expect(last).toBeLessThanOrEqual(second * HEAP_SLACK.ratio + HEAP_SLACK.bytes);
  });
});
