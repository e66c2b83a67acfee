/**
 * `dondoc simulate`, run as a user runs it (the built CLI as a child process). The user's data
 * folder is an empty temporary folder and DATABASE_URL points nowhere: the simulation must use
 * neither. TMPDIR is a folder of its own, so the test also sees the throwaway database go.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = path.join(ROOT, 'bin', 'dondoc.js');
const PLAN = 'thanh-hoa-nq46';

interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

type Status = 'IN_PROGRESS_ON_TIME' | 'IN_PROGRESS_OVERDUE' | 'DONE_ON_TIME' | 'DONE_LATE';

interface Tally {
  agencies: number;
  byStatus: Record<Status, number>;
  byLevel: Record<string, number>;
}

interface Simulation {
  timeline: Array<{
    date: string;
    events: Array<{ kind: string; level: number | null; agencies: string[] }>;
  }>;
  byAgency: Array<{
    code: string;
    group: string;
    kind: 'directed' | 'requested';
    status: Status;
    escalationLevel: number;
    submittedOn: string | null;
  }>;
  byGroup: Array<Tally & { group: string }>;
  totals: Tally;
}

let dataDir: string;
let tmpDir: string;

/** The environment without any dondoc/database setting of the caller's shell. */
function env(): NodeJS.ProcessEnv {
  const base = { ...process.env };
  for (const key of Object.keys(base)) {
    if (key.startsWith('DONDOC_') || key === 'DATABASE_URL' || key === 'PORT') delete base[key];
  }
  return {
    ...base,
    DONDOC_DATA_DIR: dataDir,
    // A database that does not exist: opening it would fail the run.
    DATABASE_URL: 'postgres://nobody:nothing@127.0.0.1:9/not-a-database',
    TMPDIR: tmpDir,
  };
}

function simulate(...args: string[]): Result {
  const r = spawnSync(process.execPath, [BIN, 'simulate', ...args], {
    cwd: ROOT,
    env: env(),
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function simulateJson(...args: string[]): { raw: string; body: Simulation } {
  const r = simulate('--plan', PLAN, '--year', '2025', '--json', ...args);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return { raw: r.stdout, body: JSON.parse(r.stdout) as Simulation };
}

const sum = (values: Record<string, number>) => Object.values(values).reduce((a, b) => a + b, 0);

beforeAll(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dondoc-sim-data-'));
  tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dondoc-sim-tmp-'));
});

afterAll(() => {
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.rmSync(tmpDir, { recursive: true, force: true });
});

// dist/ is built once by the Jest global setup (tests/global-setup.js).

describe('dondoc simulate', () => {
  // 2025: 53 agencies (the registry's roster: Đông Sơn merged into the city on 01/01/2025).
  it('is repeatable: the same seed and rate give the same JSON, and the totals add up to 53', () => {
    const first = simulateJson('--seed', '1', '--submit-rate', '0.7');
    const second = simulateJson('--seed', '1', '--submit-rate', '0.7');
    expect(second.raw).toBe(first.raw);

    const { totals, byAgency, byGroup, timeline } = first.body;
    expect(totals.agencies).toBe(53);
    expect(sum(totals.byStatus)).toBe(53);
    expect(sum(totals.byLevel)).toBe(53);
    expect(byAgency).toHaveLength(53);
    expect(byGroup.map((g) => g.group)).toEqual(['department', 'bank', 'district', 'requested']);
    expect(byGroup.reduce((n, g) => n + g.agencies, 0)).toBe(53);
    for (const status of Object.keys(totals.byStatus) as Status[]) {
      expect(byGroup.reduce((n, g) => n + g.byStatus[status], 0)).toBe(totals.byStatus[status]);
      expect(byAgency.filter((a) => a.status === status)).toHaveLength(totals.byStatus[status]);
    }
    // Some report on time, some late, some never.
    expect(totals.byStatus.DONE_ON_TIME).toBeGreaterThan(0);
    expect(totals.byStatus.DONE_LATE).toBeGreaterThan(0);
    expect(totals.byStatus.IN_PROGRESS_OVERDUE).toBeGreaterThan(0);
    // Every submission is in the timeline, on the agency's day.
    const submitted = timeline.flatMap((d) =>
      d.events.filter((e) => e.kind === 'SUBMIT_REPORT').flatMap((e) => e.agencies),
    );
    expect(submitted.sort()).toEqual(
      byAgency
        .filter((a) => a.submittedOn !== null)
        .map((a) => a.code)
        .sort(),
    );

    // Another seed makes other choices.
    expect(simulateJson('--seed', '2', '--submit-rate', '0.7').raw).not.toBe(first.raw);
  });

  it('with --submit-rate 0, directed agencies reach level 3 and requested bodies level 1, all overdue', () => {
    const { body } = simulateJson('--submit-rate', '0');
    expect(body.byAgency).toHaveLength(53);
    for (const agency of body.byAgency) {
      expect(agency.status).toBe('IN_PROGRESS_OVERDUE');
      expect(agency.escalationLevel).toBe(agency.kind === 'directed' ? 3 : 1);
    }
    expect(body.byAgency.filter((a) => a.kind === 'requested')).toHaveLength(6);
    expect(body.totals.byStatus.IN_PROGRESS_OVERDUE).toBe(53);
    const deadline = body.timeline.find((d) => d.date === '2025-11-15');
    expect(deadline?.events).toEqual([
      expect.objectContaining({ kind: 'DEADLINE_PASSED', level: 1 }),
    ]);
    expect(deadline?.events[0]?.agencies).toHaveLength(53);
  });

  it('with --submit-rate 1, every agency has reported: nobody is still in progress', () => {
    const { body } = simulateJson('--submit-rate', '1', '--seed', '7');
    expect(body.totals.byStatus.IN_PROGRESS_ON_TIME).toBe(0);
    expect(body.totals.byStatus.IN_PROGRESS_OVERDUE).toBe(0);
    expect(body.totals.byStatus.DONE_ON_TIME + body.totals.byStatus.DONE_LATE).toBe(53);
    for (const agency of body.byAgency) expect(agency.status).toMatch(/^DONE_/);
  });

  it('prints a Vietnamese timeline by day and a table by agency group', () => {
    const r = simulate('--plan', PLAN, '--year', '2025', '--submit-rate', '0');
    expect(r.stderr).toBe(''); // no progress bar: stderr is not a terminal
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('16/10/2025  nhắc hạn lần 1 → 53 cơ quan');
    expect(r.stdout).toContain('15/11/2025  quá hạn (cấp 1) → 53 cơ quan');
    expect(r.stdout).toMatch(/22\/11\/2025 {2}đôn đốc cấp 2 → 47 cơ quan: SO_TTTT, .*… \(\+\d+\)/);
    expect(r.stdout).toContain('Đang thực hiện quá hạn');
    expect(r.stdout).toMatch(/department\s+bank\s+district\s+requested\s+Tổng/);
    expect(r.stdout).toMatch(/Số cơ quan\s+20\s+1\s+26\s+6\s+53/);
    expect(r.stdout).not.toMatch(/password|mật khẩu/i);
  });

  it('rejects bad input with exit 2 (usage) or 1 (unknown plan)', () => {
    const rate = simulate('--plan', PLAN, '--year', '2025', '--submit-rate', '1.5');
    expect(rate.status).toBe(2);
    expect(rate.stderr).toContain('--submit-rate');
    expect(rate.stderr).toContain('expected a probability from 0 to 1');
    expect(rate.stdout).toBe('');

    const seed = simulate('--plan', PLAN, '--year', '2025', '--seed', 'abc');
    expect(seed.status).toBe(2);
    expect(seed.stderr).toContain('expected an integer');

    const year = simulate('--plan', PLAN, '--year', '2023');
    expect(year.status).toBe(2);
    expect(year.stderr).toContain('error: invalid --year: 2023 is outside the cycles');

    const plan = simulate('--plan', 'no-such-plan', '--year', '2025');
    expect(plan.status).toBe(1);
    expect(plan.stderr).toContain('not found: Unknown plan "no-such-plan"');
    expect(plan.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it("leaves the user's data folder empty and removes its throwaway database", () => {
    expect(fs.readdirSync(dataDir)).toEqual([]);
    expect(fs.readdirSync(tmpDir)).toEqual([]);
  });
});
