/**
 * `dondoc agencies list|apply-succession`, run as a user runs them (the built CLI as a child
 * process, on a fresh SQLite folder), and the server refusing to start on a bad registry.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';

const ROOT = process.cwd();
const BIN = path.join(ROOT, 'bin', 'dondoc.js');
const PLAN = 'thanh-hoa-nq46';
/** Generous: each run builds the application; CI machines can be busy. */
const RUN_TIMEOUT = 120_000;

function baseEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env)) {
    if (key.startsWith('DONDOC_') || key === 'DATABASE_URL' || key === 'PORT') delete env[key];
  }
  return env;
}

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dondoc-agencies-cli-'));
const env = { DONDOC_DATA_DIR: dataDir, DONDOC_ADMIN_PASSWORD: 'mat-khau-quan-tri' };

function dondoc(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { ...baseEnv(), ...env },
    encoding: 'utf8',
    timeout: RUN_TIMEOUT,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// dist/ is built once by the Jest global setup (tests/global-setup.js).
describe('dondoc agencies', () => {
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('validate: a registry file without a database; a broken one lists every problem (exit 1)', () => {
    const ok = dondoc('agencies', 'validate', 'workflows/agencies/thanh-hoa.yaml');
    expect([ok.status, ok.stderr]).toEqual([0, '']);
    expect(ok.stdout).toBe(
      'OK: thanh-hoa — 57 agency record(s); succession dates: 2025-01-01, 2025-03-01, 2025-07-01\n',
    );
    const file = 'tests/fixtures/agencies/broken/several-problems.yaml';
    const bad = dondoc('agencies', 'validate', file);
    expect(bad.status).toBe(1);
    expect(bad.stderr.trim().split('\n')).toEqual([
      `error: ${file}: at timeZone: expected a valid IANA time zone such as Asia/Ho_Chi_Minh, found string "Asia/Hanoi_Typo"`,
      `error: ${file}: at agencies[0].code: expected an UPPER_SNAKE code such as SO_NNPTNT, found string "so_a"`,
      `error: ${file}: at agencies[0].successors[0].basis: expected non-empty text, found string ""`,
      `error: ${file}: at agencies[0].successors[0].code: expected an agency code defined in agencies[], found unknown code "SO_B"`,
    ]);
  }, 150_000);

  it('list --date: the agencies valid that day', () => {
    const r = dondoc('agencies', 'list', '--date', '2026-01-01');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(
      /^thanh-hoa\s+SO_NNMT\s+Sở Nông nghiệp và Môi trường\s+department\s+2025-03-01 – …/m,
    );
    expect(r.stdout).not.toMatch(/\bH_BATHUOC\b/);
    expect(r.stdout.trim().split('\n').at(-1)).toBe('21 agencies valid on 2026-01-01');
  }, 150_000);

  it('apply-succession refuses bad flags (exit 2) before touching anything', () => {
    const bad = dondoc('agencies', 'apply-succession', '--date', '2025-02-30', '--dry-run');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('expected a real civil date YYYY-MM-DD such as 2025-03-01');
    const noUser = dondoc('agencies', 'apply-succession', '--date', '2025-03-01');
    expect(noUser.status).toBe(2);
    expect(noUser.stderr).toContain('this command changes data: pass --as <username>');
  }, 300_000);

  it('a date on which nothing ends is a usage error naming the succession dates', () => {
    const r = dondoc('agencies', 'apply-succession', '--date', '2025-03-02', '--dry-run');
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe(
      "error: invalid --date: expected a succession date (the day after an agency's validTo): 2025-01-01, 2025-03-01, 2025-07-01; found 2025-03-02",
    );
  }, 150_000);

  it('transfers the 2025 cycle’s obligations on 01/3/2025 and lists Sở Ngoại vụ as undecided', () => {
    expect(dondoc('cycle', 'open', '--plan', PLAN, '--year', '2025', '--as', 'admin').status).toBe(
      0,
    );
    const dry = dondoc('agencies', 'apply-succession', '--date', '2025-03-01', '--dry-run');
    expect(dry.status).toBe(0);
    expect(dry.stdout).toContain('Would transfer 8 open obligation(s):');
    expect(dry.stdout).toMatch(/SO_LDTBXH\s+SO_GDDT\s+plan \(task II\.2\.1\)/);
    expect(dry.stdout).toContain('Dry run: nothing was changed.');
    const run = dondoc('agencies', 'apply-succession', '--date', '2025-03-01', '--as', 'admin');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('Transferred 8 open obligation(s):');
    expect(run.stdout).toMatch(/SO_NNPTNT\s+SO_NNMT\s+registry/);
    expect(run.stdout).toContain('Not decided: 1 open obligation(s)');
    expect(run.stdout).toMatch(/SO_NGOAIVU\s+NO_SUCCESSOR/);
    const list = dondoc('obligations', 'list', '--agency', 'SO_NNMT', '--json');
    expect((JSON.parse(list.stdout) as { total: number }).total).toBe(2);
  }, 600_000);
});

describe('starting the server with a broken agency registry', () => {
  it('refuses to start, naming the registry file and the path inside it', () => {
    const workflows = fs.mkdtempSync(path.join(os.tmpdir(), 'dondoc-workflows-'));
    fs.cpSync(path.join(ROOT, 'workflows'), workflows, { recursive: true });
    const file = path.join(workflows, 'agencies', 'thanh-hoa.yaml');
    fs.writeFileSync(
      file,
      fs.readFileSync(file, 'utf8').replace('date: "2025-01-01"', 'date: "2025-01-02"'),
    );
    const r = spawnSync(process.execPath, [path.join(ROOT, 'dist', 'main.js')], {
      env: {
        ...baseEnv(),
        DONDOC_DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'dondoc-start-')),
        DONDOC_WORKFLOWS_DIR: workflows,
      },
      encoding: 'utf8',
      timeout: RUN_TIMEOUT,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${file} at agencies[`);
    expect(r.stderr).toContain(
      'expected the day after validTo 2024-12-31 (2025-01-01), found 2025-01-02',
    );
  }, 150_000);
});
