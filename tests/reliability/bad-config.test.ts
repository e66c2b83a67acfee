/**
 * Bad definitions and configuration (issue 9, item 4), against the built server
 * (`node dist/main.js` as a child process): broken plan, calendar and registry files together,
 * plan changes that would orphan open obligations, and unknown or invalid environment variables.
 * Each refusal must exit non-zero and list every problem with where it is.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { knownVariables, unknownVariableWarnings } from '../../src/config/app-config.js';
import { CycleService } from '../../src/cycles/cycle.service.js';
import { Database } from '../../src/database/database.js';
import { admin } from '../support/callers.js';
import { freshDatabase, type TestDatabase } from '../support/databases.js';
import { startServer } from '../support/server-process.js';
import { createTestContext } from '../support/test-app.js';

const ROOT = process.cwd();
const MAIN = path.join(ROOT, 'dist', 'main.js');
const FIXTURES = path.join(ROOT, 'tests', 'fixtures');
const PLAN = 'thanh-hoa-nq46';
const THIS_FILE = path.join(ROOT, 'tests', 'reliability', 'bad-config.test.ts');

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'dondoc-config-'));
}

/** Runs the built server until it exits (a refusal); the environment has no stray DONDOC_ variables. */
function runServer(env: Record<string, string>): { status: number | null; output: string } {
  const base: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('DONDOC_') && k !== 'DATABASE_URL' && k !== 'PORT') base[k] = v;
  }
  const r = spawnSync(process.execPath, [MAIN], {
    env: { ...base, NODE_ENV: 'production', DONDOC_OPEN_CURRENT_CYCLE: 'false', ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: r.status, output: `${r.stdout}\n${r.stderr}` };
}

/** A copy of the shipped workflows folder (plan and agency registry) to break. */
function copyWorkflows(): string {
  const dir = tempDir();
  fs.cpSync(path.join(ROOT, 'workflows'), dir, { recursive: true });
  return dir;
}

/** Expects a line `- <file> at <where>: …` for each problem. */
function expectProblems(output: string, file: string, wheres: string[]): void {
  for (const where of wheres) {
    expect(output).toContain(`- ${file} at ${where}: `);
  }
}

describe('broken definition files', () => {
  it('a plan, a calendar and an agency registry with several errors each: the server refuses to start and lists every error with its file and path or line', () => {
    const workflows = tempDir();
    const calendar = tempDir();
    // A plan with six problems in one file (from the one-defect fixture).
    const multi = fs
      .readFileSync(path.join(FIXTURES, 'plans/broken/unknown-field.yaml'), 'utf8')
      .replace('timeZone: Asia/Ho_Chi_Minh', 'timeZone: Asia/Hanoi')
      .replace('code: H_BATHUOC', 'code: h_bathuoc')
      .replace('lead: { agencies: [SO_TUPHAP] }', 'lead: { agencies: [SO_TUPHAP_TINH] }')
      .replace('due: { month: 11, day: 15 }', 'due: { month: 11, day: 31 }')
      .replace('policy: fixed-exclusive', 'policy: roll-forward');
    fs.mkdirSync(path.join(workflows, 'multi'));
    fs.writeFileSync(path.join(workflows, 'multi', 'plan.yaml'), multi);
    fs.mkdirSync(path.join(workflows, 'syntax'));
    fs.writeFileSync(
      path.join(workflows, 'syntax', 'plan.yaml'),
      'id: syntax\ntitle: [a, b\nissuer: {code: X\nnumber: "unterminated\n',
    );
    fs.mkdirSync(path.join(workflows, 'agencies'));
    fs.copyFileSync(
      path.join(FIXTURES, 'agencies/broken/several-problems.yaml'),
      path.join(workflows, 'agencies', 'several-problems.yaml'),
    );
    // Its id is not its file name, and it has a schema problem too: both are listed.
    fs.writeFileSync(
      path.join(workflows, 'agencies', 'renamed.yaml'),
      fs
        .readFileSync(path.join(FIXTURES, 'agencies/broken/id-not-file-name.yaml'), 'utf8')
        .replace('group: department', 'group: ministry'),
    );
    fs.copyFileSync(
      path.join(FIXTURES, 'calendar/broken/duplicate-date/2025.yaml'),
      path.join(calendar, '2025.yaml'),
    );
    fs.copyFileSync(
      path.join(FIXTURES, 'calendar/broken/make-up-on-weekday/2025.yaml'),
      path.join(calendar, '2026.yaml'),
    );

    const r = runServer({
      DONDOC_DATA_DIR: tempDir(),
      DONDOC_WORKFLOWS_DIR: workflows,
      DONDOC_CALENDAR_DIR: calendar,
    });
    expect(r.status).toBe(1);
    const plan = path.join(workflows, 'multi', 'plan.yaml');
    expectProblems(r.output, plan, [
      'agencies[1].website',
      'agencies[2].code',
      'cycle.timeZone',
      'cycle.report.due.day',
      'cycle.report.policy',
      'tasks[0].lead.agencies[0]',
    ]);
    expect(r.output).toMatch(
      new RegExp(
        `- ${path.join(workflows, 'syntax', 'plan.yaml').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} at \\(root\\): expected valid YAML, found a syntax error at line 3, column 1`,
      ),
    );
    expect(r.output.match(/syntax error at line \d+, column \d+/g)).toHaveLength(3);
    expectProblems(r.output, path.join(workflows, 'agencies', 'several-problems.yaml'), [
      'timeZone',
      'agencies[0].code',
      'agencies[0].successors[0].basis',
      'agencies[0].successors[0].code',
    ]);
    expectProblems(r.output, path.join(workflows, 'agencies', 'renamed.yaml'), [
      'id',
      'agencies[0].group',
    ]);
    const cal = (year: number) =>
      path.relative(ROOT, path.join(calendar, `${year}.yaml`)).startsWith('..')
        ? path.join(calendar, `${year}.yaml`)
        : path.relative(ROOT, path.join(calendar, `${year}.yaml`));
    expectProblems(r.output, cal(2025), ['daysOff[2].date']);
    expectProblems(r.output, cal(2026), ['year', 'daysOff[0].date', 'workingDays[0].date']);
    // 6 files; a plain list, not a stack trace.
    expect(r.output).toContain('6 invalid definition file(s)');
    expect(r.output).not.toMatch(/\n\s+at .*\.js:\d+/);
  });
});

describe('a plan change that would orphan open obligations', () => {
  let db: TestDatabase;
  let workflows: string;
  let ids: Record<string, string>;

  beforeAll(async () => {
    db = await freshDatabase('sqlite');
    workflows = copyWorkflows();
    const h = await createTestContext('sqlite', {
      dataDir: db.dataDir,
      databaseUrl: null,
      workflowsDir: workflows,
    });
    const opened = await h.app.get(CycleService).open(PLAN, 2025, admin);
    ids = Object.fromEntries(opened.obligations.map((o) => [o.agencyCode, o.id]));
    await h.app.close();
    await h.db.drop(); // the harness's own (unused) database folder
  });
  afterAll(async () => db?.drop());

  /** One statement on the database, through the application (as an operator's tool would). */
  const execute = async (statement: string, params: string[]) => {
    const h = await createTestContext('sqlite', {
      dataDir: db.dataDir,
      databaseUrl: null,
      workflowsDir: workflows,
    });
    await h.app.get(Database).write((tx) => tx.execute(statement, params));
    await h.app.close();
    await h.db.drop(); // the harness's own (unused) database folder
  };

  const start = () =>
    runServer({
      DONDOC_DATA_DIR: db.dataDir,
      DONDOC_WORKFLOWS_DIR: workflows,
      DONDOC_CLOCK: 'virtual',
    });

  it('the plan file renamed (its plan no longer loads): refused, naming the plan, the 53 open obligations with examples, and what to do', () => {
    const file = path.join(workflows, PLAN, 'plan.yaml');
    fs.renameSync(file, `${file}.bak`);
    try {
      const r = start();
      expect(r.status).toBe(1);
      expect(r.output).toContain('Refusing to start');
      expect(r.output).toContain(
        `plan ${PLAN} is not defined by any loaded plan file (removed, renamed to a name the loader skips, or its id changed): 53 open obligation(s), e.g. `,
      );
      expect(r.output).toMatch(
        /e\.g\. [0-9a-f-]{36} \(2025, [A-Z_]+, plan_drafted, annual-report@1\)/,
      );
      expect(r.output).toContain(`restore the plan file with id ${PLAN}`);
    } finally {
      fs.renameSync(`${file}.bak`, file);
    }
  });

  it('an agency removed from the roster while it owes a report: refused, naming the agency', () => {
    const file = path.join(workflows, PLAN, 'plan.yaml');
    const original = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(
      file,
      original
        .split('\n')
        .filter((l) => !l.includes('code: HOI_CCB_TINH'))
        .join('\n'),
    );
    try {
      const r = start();
      expect(r.status).toBe(1);
      expect(r.output).toContain(
        `plan ${PLAN} no longer assigns a report to agency HOI_CCB_TINH (not a reporting agency of its roster, nor a registry successor of one): 1 open obligation(s), e.g. ${ids.HOI_CCB_TINH} (2025, HOI_CCB_TINH, plan_drafted, annual-report@1).`,
      );
      expect(r.output).toContain('WITHDRAW');
    } finally {
      fs.writeFileSync(file, original);
    }
  });

  it('obligations on a lifecycle version this dondoc does not register: refused, pointing to the version and to dondoc migrate', async () => {
    await execute(`UPDATE obligations SET machine_version = ? WHERE id IN (?, ?)`, [
      'annual-report@9',
      ids.SO_TUPHAP!,
      ids.SO_YTE!,
    ]);
    try {
      const r = start();
      expect(r.status).toBe(1);
      expect(r.output).toContain(
        `plan ${PLAN}: lifecycle version annual-report@9 is not registered in this dondoc (registered: annual-report@1, annual-report@2): 2 open obligation(s)`,
      );
      expect(r.output).toContain(
        `npx dondoc migrate --to annual-report@1 --plan ${PLAN} --dry-run`,
      );
    } finally {
      await execute(`UPDATE obligations SET machine_version = ? WHERE machine_version = ?`, [
        'annual-report@1',
        'annual-report@9',
      ]);
    }
  });

  it('the plan moved to annual-report@2 with obligations open on @1: the server starts (both versions stay registered), warns with the dondoc migrate command, and warns about unknown variables only', async () => {
    const file = path.join(workflows, PLAN, 'plan.yaml');
    const original = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(
      file,
      original.replace(
        'lifecycle:\n  machine: annual-report\n  version: 1',
        'lifecycle:\n  machine: annual-report\n  version: 2',
      ),
    );
    expect(fs.readFileSync(file, 'utf8')).not.toBe(original);
    const server = await startServer(
      { dataDir: db.dataDir, databaseUrl: null },
      {
        DONDOC_WORKFLOWS_DIR: workflows,
        DONDOC_CLOK: 'virtual',
        DONDOC_TOKEN_TTL_SECONDS: '600',
        DATABSE_URL: 'postgres://nowhere/db',
        // Read elsewhere than the schema, or in it: known, never warned about.
        DONDOC_CLI_USER: 'admin',
        DONDOC_NEW_PASSWORD: 'mat-khau-moi-dai',
        DONDOC_DEBUG: '1',
        DONDOC_VERIFY_WORKERS: '1',
        DONDOC_SHUTDOWN_TIMEOUT: '5',
        DONDOC_METRICS_TOKEN: 'metrics-token-0123456789abcdefghijklmnop',
      },
    );
    try {
      const out = server.output();
      expect(out).toContain(
        `53 open obligation(s) of plan ${PLAN} are on annual-report@1; the plan now names annual-report@2.`,
      );
      expect(out).toContain(`npx dondoc migrate --to annual-report@2 --plan ${PLAN} --dry-run`);
      expect(out).toContain(
        'Unknown environment variable DONDOC_CLOK is ignored (did you mean DONDOC_CLOCK?)',
      );
      expect(out).toContain(
        'Unknown environment variable DONDOC_TOKEN_TTL_SECONDS is ignored (did you mean DONDOC_TOKEN_TTL?)',
      );
      expect(out).toContain(
        'Unknown environment variable DATABSE_URL is ignored (did you mean DATABASE_URL?)',
      );
      expect(out.match(/Unknown environment variable/g)).toHaveLength(3);
    } finally {
      await server.stop();
      fs.writeFileSync(file, original);
    }
  });
});

describe('environment variables', () => {
  it('invalid values stop the start listing every one, after the warnings about unknown names', () => {
    const r = runServer({
      DONDOC_DATA_DIR: tempDir(),
      PORT: 'eighty',
      DONDOC_CLOCK: 'sometimes',
      DONDOC_TOKEN_TTL: '5',
      DONDOC_METRICS_TOKEN: 'short',
      DONDOC_SMTP: 'smtp://mail.example.vn',
    });
    expect(r.status).toBe(1);
    expect(r.output).toContain(
      'Unknown environment variable DONDOC_SMTP is ignored (did you mean DONDOC_SMTP_URL?)',
    );
    for (const line of [
      '  - PORT: expected a whole number (got "eighty")',
      '  - DONDOC_CLOCK: expected "system" or "virtual" (got "sometimes")',
      '  - DONDOC_TOKEN_TTL: expected 60 to 86400 seconds (got "5")',
      '  - DONDOC_METRICS_TOKEN: expected at least 32 visible ASCII characters (got "short")',
    ]) {
      expect(r.output).toContain(line);
    }
    expect(r.output.indexOf('Unknown environment variable')).toBeLessThan(
      r.output.indexOf('Invalid configuration'),
    );
  });

  it('every DONDOC_ variable the code or the tests read is known, so never warned about', () => {
    const names = new Set<string>();
    const scan = (dir: string) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, entry.name);
        if (entry.isDirectory()) scan(p);
        // This file names unknown variables on purpose.
        else if (/\.(ts|js|mjs)$/.test(entry.name) && p !== THIS_FILE) {
          const text = fs.readFileSync(p, 'utf8');
          for (const m of text.matchAll(/\bDONDOC_[A-Z][A-Z0-9_]*[A-Z0-9]\b/g)) names.add(m[0]);
        }
      }
    };
    for (const dir of ['src', 'bin', 'tests']) scan(path.join(ROOT, dir));
    expect(names.size).toBeGreaterThan(20);
    const env = Object.fromEntries([...names].map((n) => [n, 'x']));
    expect(unknownVariableWarnings(env)).toEqual([]);
    for (const n of names) expect(knownVariables()).toContain(n);
  });
});
