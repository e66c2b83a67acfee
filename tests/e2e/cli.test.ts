/**
 * The built `dondoc` CLI, run as a child process exactly as a user runs it (`node bin/dondoc.js`),
 * on a fresh SQLite data folder (and one round on PostgreSQL when TEST_DATABASE_URL is set).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { freshDatabase, type TestDatabase } from '../support/databases.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = path.join(ROOT, 'bin', 'dondoc.js');
const PLAN = 'thanh-hoa-nq46';

interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** The environment without any dondoc/database setting of the caller's shell. */
function baseEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env)) {
    if (key.startsWith('DONDOC_') || key === 'DATABASE_URL' || key === 'PORT') delete env[key];
  }
  return env;
}

/** Runs the CLI; `input` is written to its standard input (e.g. for --password-stdin). */
function dondoc(args: string[], env: NodeJS.ProcessEnv, input?: string): Result {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { ...baseEnv(), ...env },
    encoding: 'utf8',
    timeout: 30_000,
    input,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface ListedObligation {
  id: string;
  agencyCode: string;
  stage: string;
  version: number;
}

interface ListedUser {
  username: string;
  role: string;
  agencyCode: string | null;
  disabled: boolean;
}

function listJson(env: NodeJS.ProcessEnv, ...filters: string[]): ListedObligation[] {
  const r = dondoc(['obligations', 'list', '--json', ...filters], env);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const body = JSON.parse(r.stdout) as { items: ListedObligation[]; total: number };
  expect(body.total).toBe(body.items.length);
  return body.items;
}

function usersJson(env: NodeJS.ProcessEnv): ListedUser[] {
  const r = dondoc(['user', 'list', '--json'], env);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const body = JSON.parse(r.stdout) as { items: ListedUser[]; total: number };
  expect(body.total).toBe(body.items.length);
  return body.items;
}

const ADMIN_PASSWORD = 'admin-password-for-tests';
const OFFICER_PASSWORD = 'officer-password-1';
const WRITE_NEEDS_USER = 'this command changes data: pass --as <username> (or set DONDOC_CLI_USER)';

// dist/ is built once by the Jest global setup (tests/global-setup.js).

describe('dondoc plan validate', () => {
  it('accepts the embedded plan and names its size', () => {
    const r = dondoc(['plan', 'validate', 'workflows/thanh-hoa-nq46/plan.yaml'], {});
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual([
      'OK: thanh-hoa-nq46 — 54 agencies, 13 tasks',
      `Agrees with agency registry thanh-hoa (${path.join('workflows', 'agencies', 'thanh-hoa.yaml')}).`,
    ]);
  });

  it('lists the problems of a broken plan with file and path, and exits 1', () => {
    const file = 'tests/fixtures/plans/broken/unknown-agency-reference.yaml';
    const r = dondoc(['plan', 'validate', file], {});
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(file);
    expect(r.stderr).toContain('tasks[0].lead.agencies[0]');
    expect(r.stderr).toContain('SO_TUPHAP_TINH');
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
});

describe('dondoc on SQLite', () => {
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  let id: string;

  beforeAll(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dondoc-cli-'));
    // The first start creates `admin` with this password, so nothing random is printed.
    env = { DONDOC_DATA_DIR: dataDir, DONDOC_ADMIN_PASSWORD: ADMIN_PASSWORD };
  });

  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  // 53: the 2025 roster (Đông Sơn merged into the city on 01/01/2025).
  it('opens a cycle once as admin: 53 obligations, then "already open" with the same count', () => {
    const first = dondoc(['cycle', 'open', '--plan', PLAN, '--year', '2025', '--as', 'admin'], env);
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/Opened cycle 2025 of plan thanh-hoa-nq46: 53 obligations/);
    expect(first.stdout).not.toMatch(/password/i);

    // DONDOC_CLI_USER stands in for --as.
    const second = dondoc(['cycle', 'open', '--plan', PLAN, '--year', '2025'], {
      ...env,
      DONDOC_CLI_USER: 'admin',
    });
    expect(second.status).toBe(0);
    expect(second.stdout).toMatch(/already open: 53 obligations/);
    expect(listJson(env, '--year', '2025')).toHaveLength(53);
  });

  it('refuses a write without --as (exit 2) and changes nothing', () => {
    const r = dondoc(['cycle', 'open', '--plan', PLAN, '--year', '2026'], env);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim()).toBe(`error: ${WRITE_NEEDS_USER}`);
    expect(listJson(env, '--year', '2026')).toHaveLength(0);

    const blank = dondoc(['cycle', 'open', '--plan', PLAN, '--year', '2026'], {
      ...env,
      DONDOC_CLI_USER: '',
    });
    expect(blank.status).toBe(2);
    expect(blank.stderr).toContain(WRITE_NEEDS_USER);
    expect(listJson(env, '--year', '2026')).toHaveLength(0);
  });

  it('refuses an unknown user (exit 1)', () => {
    const r = dondoc(['cycle', 'open', '--plan', PLAN, '--year', '2026', '--as', 'nobody'], env);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe('error: unknown or disabled user nobody');
    expect(listJson(env, '--year', '2026')).toHaveLength(0);
  });

  it('adds officers as admin: the password from stdin or DONDOC_NEW_PASSWORD', () => {
    const snn = dondoc(
      [
        'user',
        'add',
        'officer.snn',
        '--role',
        'officer',
        '--agency',
        'SO_NNPTNT',
        '--password-stdin',
        '--as',
        'admin',
      ],
      env,
      `${OFFICER_PASSWORD}\nignored second line\n`,
    );
    expect(snn.stderr).toBe('');
    expect(snn.status).toBe(0);
    expect(snn.stdout.trim()).toBe('Created user officer.snn (officer of SO_NNPTNT).');
    expect(snn.stdout).not.toContain(OFFICER_PASSWORD);

    const tp = dondoc(
      ['user', 'add', 'officer.tp', '--role', 'officer', '--agency', 'SO_TUPHAP', '--as', 'admin'],
      { ...env, DONDOC_NEW_PASSWORD: OFFICER_PASSWORD },
    );
    expect(tp.stderr).toBe('');
    expect(tp.status).toBe(0);

    const noPassword = dondoc(
      ['user', 'add', 'officer.x', '--role', 'officer', '--agency', 'SO_TUPHAP', '--as', 'admin'],
      env,
    );
    expect(noPassword.status).toBe(2);
    expect(noPassword.stderr).toMatch(/--password-stdin.*DONDOC_NEW_PASSWORD/);

    const byOfficer = dondoc(
      ['user', 'add', 'officer.y', '--role', 'admin', '--password-stdin', '--as', 'officer.snn'],
      env,
      `${OFFICER_PASSWORD}\n`,
    );
    expect(byOfficer.status).toBe(1);
    expect(byOfficer.stderr.trim()).toBe(
      'error: forbidden: user add needs role admin (you are officer)',
    );
    expect(usersJson(env).map((u) => u.username)).toEqual(['admin', 'officer.snn', 'officer.tp']);
  });

  it('rejects a bad role (exit 2), naming --role, one line per bad field', () => {
    const r = dondoc(
      ['user', 'add', 'boss', '--role', 'boss', '--password-stdin', '--as', 'admin'],
      env,
      `${OFFICER_PASSWORD}\n`,
    );
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^error: invalid --role: expected one of admin, .*officer/m);

    const several = dondoc(
      ['user', 'add', 'Bad Name', '--role', 'officer', '--password-stdin', '--as', 'admin'],
      env,
      'short\n',
    );
    expect(several.status).toBe(2);
    const lines = several.stderr.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^error: invalid <username>:/);
    expect(lines[1]).toMatch(/^error: invalid password:/);
    expect(lines[2]).toMatch(/^error: invalid --agency:/);
    expect(usersJson(env)).toHaveLength(3);
  });

  it('lists users with their roles as JSON and as a table', () => {
    expect(usersJson(env)).toEqual([
      expect.objectContaining({ username: 'admin', role: 'admin', agencyCode: null }),
      expect.objectContaining({
        username: 'officer.snn',
        role: 'officer',
        agencyCode: 'SO_NNPTNT',
      }),
      expect.objectContaining({ username: 'officer.tp', role: 'officer', agencyCode: 'SO_TUPHAP' }),
    ]);
    const r = dondoc(['user', 'list'], env);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/USERNAME\s+ROLE\s+AGENCY\s+DISABLED/);
    expect(r.stdout).toMatch(/officer\.snn\s+officer\s+SO_NNPTNT\s+no/);
    expect(r.stdout).not.toMatch(/hash|scrypt/i);
  });

  it('lists obligations by agency as JSON and as a table', () => {
    const items = listJson(env, '--agency', 'SO_NNPTNT', '--year', '2025');
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ agencyCode: 'SO_NNPTNT', stage: 'plan_drafted', version: 1 });
    id = items[0]!.id;

    const table = dondoc(['obligations', 'list', '--agency', 'SO_NNPTNT'], env);
    expect(table.status).toBe(0);
    expect(table.stdout).toMatch(/ID\s+AGENCY\s+STAGE\s+OVERDUE\s+VERSION/);
    expect(table.stdout).toContain(id);
    expect(table.stdout).toContain('1 obligation(s)');
  });

  it("shows an officer (--as) only their own agency's obligations", () => {
    const own = listJson(env, '--as', 'officer.snn');
    expect(own.map((o) => o.agencyCode)).toEqual(['SO_NNPTNT']);

    const other = dondoc(
      ['obligations', 'list', '--agency', 'SO_TUPHAP', '--as', 'officer.snn'],
      env,
    );
    expect(other.status).toBe(1);
    expect(other.stderr).toMatch(/^error: forbidden: officer of SO_NNPTNT may not see SO_TUPHAP/);
  });

  it('refuses cycle open to an officer', () => {
    const r = dondoc(
      ['cycle', 'open', '--plan', PLAN, '--year', '2026', '--as', 'officer.snn'],
      env,
    );
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe('error: forbidden: cycle open needs role admin (you are officer)');
    expect(listJson(env, '--year', '2026')).toHaveLength(0);
  });

  it('refuses an officer of another agency (exit 1) and leaves the version unchanged', () => {
    const r = dondoc(
      ['advance', id, 'START_IMPLEMENTATION', '--payload', '{"planRef":"x"}', '--as', 'officer.tp'],
      env,
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^error: forbidden: officer of SO_TUPHAP may not act for SO_NNPTNT/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(listJson(env, '--agency', 'SO_NNPTNT')[0]).toMatchObject({ version: 1 });

    const asAdmin = dondoc(
      ['advance', id, 'START_IMPLEMENTATION', '--payload', '{"planRef":"x"}', '--as', 'admin'],
      env,
    );
    expect(asAdmin.status).toBe(1);
    expect(asAdmin.stderr).toMatch(
      /^error: forbidden: START_IMPLEMENTATION may be sent by officer/,
    );
    expect(listJson(env, '--agency', 'SO_NNPTNT')[0]).toMatchObject({ version: 1 });
  });

  it('refuses backdating to an officer', () => {
    const r = dondoc(
      [
        'advance',
        id,
        'START_IMPLEMENTATION',
        '--payload',
        '{"planRef":"x"}',
        '--effective-at',
        '2025-02-01T08:00:00+07:00',
        '--reason',
        'paper plan',
        '--as',
        'officer.snn',
      ],
      env,
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^error: forbidden: .*aggregator/);
    expect(listJson(env, '--agency', 'SO_NNPTNT')[0]).toMatchObject({ version: 1 });
  });

  it("advances an obligation through the command path as its agency's officer", () => {
    const r = dondoc(
      [
        'advance',
        id,
        'START_IMPLEMENTATION',
        '--payload',
        '{"planRef":"12/KH-SNN"}',
        '--as',
        'officer.snn',
      ],
      env,
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('stage implementing, version 2');
    expect(r.stdout).toContain('Allowed next: SUBMIT_REPORT');
    expect(listJson(env, '--agency', 'SO_NNPTNT')[0]).toMatchObject({
      stage: 'implementing',
      version: 2,
    });
  });

  it('rejects an event the stage does not accept, naming the stage and the allowed events', () => {
    const r = dondoc(
      [
        'advance',
        id,
        'START_IMPLEMENTATION',
        '--payload',
        '{"planRef":"x"}',
        '--as',
        'officer.snn',
      ],
      env,
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/not allowed in stage implementing/);
    expect(r.stderr).toContain('SUBMIT_REPORT');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(listJson(env, '--agency', 'SO_NNPTNT')[0]).toMatchObject({ version: 2 });
  });

  it('reports a version conflict without changing anything', () => {
    const r = dondoc(
      [
        'advance',
        id,
        'SUBMIT_REPORT',
        '--payload',
        '{"reportRef":"1/BC"}',
        '--expected-version',
        '1',
        '--as',
        'officer.snn',
      ],
      env,
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/version conflict/i);
    expect(listJson(env, '--agency', 'SO_NNPTNT')[0]).toMatchObject({ version: 2 });
  });

  it('exits 2 on bad arguments before touching anything', () => {
    const as = ['--as', 'officer.snn'];
    const notJson = dondoc(['advance', id, 'SUBMIT_REPORT', '--payload', 'not json', ...as], env);
    expect(notJson.status).toBe(2);
    expect(notJson.stderr).toContain('--payload');
    expect(notJson.stderr).toMatch(/JSON/);

    const notObject = dondoc(['advance', id, 'SUBMIT_REPORT', '--payload', '[1]', ...as], env);
    expect(notObject.status).toBe(2);
    expect(notObject.stderr).toMatch(/JSON object/);

    const badPayload = dondoc(['advance', id, 'SUBMIT_REPORT', '--payload', '{}', ...as], env);
    expect(badPayload.status).toBe(2);
    expect(badPayload.stderr).toContain('--payload reportRef');

    const noUser = dondoc(['advance', id, 'SUBMIT_REPORT', '--payload', '{"reportRef":"1"}'], env);
    expect(noUser.status).toBe(2);
    expect(noUser.stderr).toContain(WRITE_NEEDS_USER);

    const badYear = dondoc(
      ['cycle', 'open', '--plan', PLAN, '--year', '2025.5', '--as', 'admin'],
      env,
    );
    expect(badYear.status).toBe(2);
    expect(badYear.stderr).toMatch(/--year.*integer/);

    const unknownFlag = dondoc(['obligations', 'list', '--bogus'], env);
    expect(unknownFlag.status).toBe(2);
    expect(unknownFlag.stderr).toContain("unknown option '--bogus'");

    const unknownCommand = dondoc(['frobnicate'], env);
    expect(unknownCommand.status).toBe(2);
    expect(unknownCommand.stderr).toContain("unknown command 'frobnicate'");

    expect(listJson(env, '--agency', 'SO_NNPTNT')[0]).toMatchObject({ version: 2 });
  });

  it('reports an unknown obligation id as not found', () => {
    const r = dondoc(
      [
        'advance',
        'no-such-id',
        'START_IMPLEMENTATION',
        '--payload',
        '{"planRef":"x"}',
        '--as',
        'officer.snn',
      ],
      env,
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/not found/i);
    expect(r.stderr).toContain('no-such-id');
  });

  it('disables and re-enables a user; a disabled user cannot act', () => {
    const byOfficer = dondoc(['user', 'disable', 'officer.tp', '--as', 'officer.snn'], env);
    expect(byOfficer.status).toBe(1);
    expect(byOfficer.stderr).toMatch(/^error: forbidden: user disable needs role admin/);

    const disable = dondoc(['user', 'disable', 'officer.snn', '--as', 'admin'], env);
    expect(disable.stderr).toBe('');
    expect(disable.status).toBe(0);
    expect(disable.stdout.trim()).toBe('Disabled user officer.snn.');
    expect(usersJson(env).find((u) => u.username === 'officer.snn')).toMatchObject({
      disabled: true,
    });

    const advance = dondoc(
      ['advance', id, 'SUBMIT_REPORT', '--payload', '{"reportRef":"1/BC"}', '--as', 'officer.snn'],
      env,
    );
    expect(advance.status).toBe(1);
    expect(advance.stderr.trim()).toBe('error: unknown or disabled user officer.snn');
    expect(listJson(env, '--agency', 'SO_NNPTNT')[0]).toMatchObject({ version: 2 });

    const unknown = dondoc(['user', 'enable', 'nobody', '--as', 'admin'], env);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(/not found.*nobody/);

    const enable = dondoc(['user', 'enable', 'officer.snn', '--as', 'admin'], env);
    expect(enable.status).toBe(0);
    expect(enable.stdout.trim()).toBe('Enabled user officer.snn.');

    // Acting again, this time named by DONDOC_CLI_USER.
    const again = dondoc(['advance', id, 'SUBMIT_REPORT', '--payload', '{"reportRef":"1/BC"}'], {
      ...env,
      DONDOC_CLI_USER: 'officer.snn',
    });
    expect(again.stderr).toBe('');
    expect(again.status).toBe(0);
    expect(again.stdout).toContain('version 3');
  });

  it('names every bad configuration variable and exits 2', () => {
    const r = dondoc(['obligations', 'list'], { ...env, DONDOC_CLOCK: 'sometimes', PORT: 'abc' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('DONDOC_CLOCK');
    expect(r.stderr).toContain('PORT');
    expect(r.stdout).toBe('');
  });
});

describe('dondoc first start without DONDOC_ADMIN_PASSWORD', () => {
  it('prints the generated admin password once, on stderr, keeping --json output parseable', () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dondoc-cli-first-'));
    try {
      const env = { DONDOC_DATA_DIR: dataDir };
      const first = dondoc(['user', 'list', '--json'], env);
      expect(first.status).toBe(0);
      expect(first.stderr).toMatch(/Created user "admin" with the generated password: \S+/);
      const body = JSON.parse(first.stdout) as { items: ListedUser[] };
      expect(body.items).toEqual([expect.objectContaining({ username: 'admin', role: 'admin' })]);

      const second = dondoc(['user', 'list', '--json'], env);
      expect(second.status).toBe(0);
      expect(second.stderr).toBe('');
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('bin/dondoc.js', () => {
  it('says how to build when dist/ is missing', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dondoc-bin-'));
    try {
      fs.mkdirSync(path.join(dir, 'bin'));
      fs.copyFileSync(BIN, path.join(dir, 'bin', 'dondoc.js'));
      const r = spawnSync(process.execPath, [path.join(dir, 'bin', 'dondoc.js')], {
        encoding: 'utf8',
      });
      expect(r.status).toBe(1);
      expect(r.stderr.trim()).toBe('dondoc is not built: run npm run build');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

const pgDescribe = process.env.TEST_DATABASE_URL ? describe : describe.skip;

pgDescribe('dondoc on PostgreSQL', () => {
  let db: TestDatabase;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    db = await freshDatabase('postgres');
    env = {
      DONDOC_DATA_DIR: db.dataDir,
      DATABASE_URL: db.databaseUrl!,
      DONDOC_ADMIN_PASSWORD: ADMIN_PASSWORD,
    };
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('opens a cycle, adds an officer and advances an obligation as that officer', () => {
    const open = dondoc(['cycle', 'open', '--plan', PLAN, '--year', '2025', '--as', 'admin'], env);
    expect(open.stderr).toBe('');
    expect(open.stdout).toMatch(/53 obligations created/);
    const add = dondoc(
      [
        'user',
        'add',
        'officer.snn',
        '--role',
        'officer',
        '--agency',
        'SO_NNPTNT',
        '--password-stdin',
        '--as',
        'admin',
      ],
      env,
      `${OFFICER_PASSWORD}\n`,
    );
    expect(add.stderr).toBe('');
    expect(add.status).toBe(0);
    const [item] = listJson(env, '--agency', 'SO_NNPTNT', '--year', '2025');
    const r = dondoc(
      [
        'advance',
        item!.id,
        'START_IMPLEMENTATION',
        '--payload',
        '{"planRef":"12/KH-SNN"}',
        '--as',
        'officer.snn',
      ],
      env,
    );
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('stage implementing, version 2');
  });
});
