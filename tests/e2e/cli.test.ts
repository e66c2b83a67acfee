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

function dondoc(args: string[], env: NodeJS.ProcessEnv): Result {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { ...baseEnv(), ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface ListedObligation {
  id: string;
  agencyCode: string;
  stage: string;
  version: number;
}

function listJson(env: NodeJS.ProcessEnv, ...filters: string[]): ListedObligation[] {
  const r = dondoc(['obligations', 'list', '--json', ...filters], env);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const body = JSON.parse(r.stdout) as { items: ListedObligation[]; total: number };
  expect(body.total).toBe(body.items.length);
  return body.items;
}

// dist/ is built once by the Jest global setup (tests/global-setup.js).

describe('dondoc plan validate', () => {
  it('accepts the embedded plan and names its size', () => {
    const r = dondoc(['plan', 'validate', 'workflows/thanh-hoa-nq46/plan.yaml'], {});
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('OK: thanh-hoa-nq46 — 54 agencies, 13 tasks');
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
    env = { DONDOC_DATA_DIR: dataDir };
  });

  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('opens a cycle once: 54 obligations, then "already open" with the same count', () => {
    const first = dondoc(['cycle', 'open', '--plan', PLAN, '--year', '2025'], env);
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/Opened cycle 2025 of plan thanh-hoa-nq46: 54 obligations/);

    const second = dondoc(['cycle', 'open', '--plan', PLAN, '--year', '2025'], env);
    expect(second.status).toBe(0);
    expect(second.stdout).toMatch(/already open: 54 obligations/);
    expect(listJson(env, '--year', '2025')).toHaveLength(54);
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

  it('advances an obligation through the command path', () => {
    const r = dondoc(
      ['advance', id, 'START_IMPLEMENTATION', '--payload', '{"planRef":"12/KH-SNN"}'],
      env,
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('stage implementing, version 2');
    expect(listJson(env, '--agency', 'SO_NNPTNT')[0]).toMatchObject({
      stage: 'implementing',
      version: 2,
    });
  });

  it('rejects an event the stage does not accept, naming the stage and the allowed events', () => {
    const r = dondoc(['advance', id, 'AGGREGATE'], env);
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
      ],
      env,
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/version conflict/i);
    expect(listJson(env, '--agency', 'SO_NNPTNT')[0]).toMatchObject({ version: 2 });
  });

  it('exits 2 on bad arguments before touching anything', () => {
    const notJson = dondoc(['advance', id, 'SUBMIT_REPORT', '--payload', 'not json'], env);
    expect(notJson.status).toBe(2);
    expect(notJson.stderr).toContain('--payload');
    expect(notJson.stderr).toMatch(/JSON/);

    const notObject = dondoc(['advance', id, 'SUBMIT_REPORT', '--payload', '[1]'], env);
    expect(notObject.status).toBe(2);
    expect(notObject.stderr).toMatch(/JSON object/);

    const badPayload = dondoc(['advance', id, 'SUBMIT_REPORT', '--payload', '{}'], env);
    expect(badPayload.status).toBe(2);
    expect(badPayload.stderr).toContain('--payload reportRef');

    const badYear = dondoc(['cycle', 'open', '--plan', PLAN, '--year', '2025.5'], env);
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
      ['advance', 'no-such-id', 'START_IMPLEMENTATION', '--payload', '{"planRef":"x"}'],
      env,
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/not found/i);
    expect(r.stderr).toContain('no-such-id');
  });

  it('names every bad configuration variable and exits 2', () => {
    const r = dondoc(['obligations', 'list'], { ...env, DONDOC_CLOCK: 'sometimes', PORT: 'abc' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('DONDOC_CLOCK');
    expect(r.stderr).toContain('PORT');
    expect(r.stdout).toBe('');
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
    env = { DONDOC_DATA_DIR: db.dataDir, DATABASE_URL: db.databaseUrl! };
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('opens a cycle and advances an obligation', () => {
    const open = dondoc(['cycle', 'open', '--plan', PLAN, '--year', '2025'], env);
    expect(open.stderr).toBe('');
    expect(open.stdout).toMatch(/54 obligations created/);
    const [item] = listJson(env, '--agency', 'SO_NNPTNT', '--year', '2025');
    const r = dondoc(
      ['advance', item!.id, 'START_IMPLEMENTATION', '--payload', '{"planRef":"12/KH-SNN"}'],
      env,
    );
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('stage implementing, version 2');
  });
});
