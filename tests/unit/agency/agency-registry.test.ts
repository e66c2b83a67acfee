import { beforeAll, describe, expect, it } from '@jest/globals';
import { cp, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  loadAgencyRegistries,
  loadAgencyRegistryFile,
} from '../../../src/agencies/agency-registry-loader.js';
import { AgencyRegistryService } from '../../../src/agencies/agency-registry.service.js';
import type { AppConfig } from '../../../src/config/app-config.js';
import { weekendCalendar } from '../../../src/core/calendar/working-calendar.js';
import type { AgencyRegistry } from '../../../src/core/agency/agency-registry.js';
import {
  AggregateDefinitionError,
  DefinitionError,
  type FieldProblem,
} from '../../../src/core/errors.js';
import { PlanRegistry } from '../../../src/plans/plan-registry.service.js';

const ROOT = process.cwd();
const REGISTRY_FILE = path.join(ROOT, 'workflows/agencies/thanh-hoa.yaml');
const PLAN_FILE = path.join(ROOT, 'workflows/thanh-hoa-nq46/plan.yaml');
const BROKEN = path.join(ROOT, 'tests/fixtures/agencies/broken');

async function problemsOf(file: string): Promise<FieldProblem[]> {
  try {
    await loadAgencyRegistryFile(file);
  } catch (error) {
    expect(error).toBeInstanceOf(DefinitionError);
    expect((error as DefinitionError).file).toBe(file);
    return (error as DefinitionError).problems;
  }
  throw new Error(`${file} loaded, but it is broken`);
}

describe('the embedded registry workflows/agencies/thanh-hoa.yaml (DOMAIN.md §2)', () => {
  let registry: AgencyRegistry;
  beforeAll(async () => {
    registry = await loadAgencyRegistryFile(REGISTRY_FILE);
  });

  it('lists the 54 agencies of 2024 and the three created in 2025', () => {
    expect(registry.id).toBe('thanh-hoa');
    expect(registry.listOn('2024-06-30')).toHaveLength(54);
    expect(
      registry
        .all()
        .filter((r) => r.validFrom === '2025-03-01')
        .map((r) => r.code),
    ).toEqual(['SO_NNMT', 'SO_DTTG', 'NHNN_KV7']);
    expect(registry.recordOn('SO_NNMT', '2026-01-01')?.name).toBe('Sở Nông nghiệp và Môi trường');
    expect(registry.recordOn('SO_DTTG', '2026-01-01')?.name).toBe('Sở Dân tộc và Tôn giáo');
    expect(registry.recordOn('NHNN_KV7', '2026-01-01')?.name).toBe(
      'Ngân hàng Nhà nước Chi nhánh Khu vực 7',
    );
  });

  it('encodes the successions of 2025-03-01 with their basis', () => {
    const successorsOf = (code: string) =>
      registry.endingBefore(code, '2025-03-01')?.successors.map((s) => s.code);
    expect(successorsOf('SO_NNPTNT')).toEqual(['SO_NNMT']);
    expect(successorsOf('SO_TNMT')).toEqual(['SO_NNMT']);
    expect(successorsOf('SO_KHDT')).toEqual(['SO_TAICHINH']);
    expect(successorsOf('SO_GTVT')).toEqual(['SO_XAYDUNG']);
    expect(successorsOf('BAN_DANTOC')).toEqual(['SO_DTTG']);
    expect(successorsOf('NHNN_CN_THANHHOA')).toEqual(['NHNN_KV7']);
    expect(successorsOf('SO_TTTT')).toEqual(['SO_KHCN', 'SO_VHTTDL']);
    expect(successorsOf('SO_LDTBXH')).toEqual(['SO_NOIVU', 'SO_YTE', 'SO_GDDT', 'SO_NNMT']);
    // Unknown successor: the agency ends, nobody is named.
    expect(successorsOf('SO_NGOAIVU')).toEqual([]);
    expect(registry.endingBefore('SO_NNPTNT', '2025-03-01')?.successors[0]?.basis).toContain(
      'Nghị định số 45/2025/NĐ-CP',
    );
    // Unchanged departments go on.
    expect(registry.isValidOn('SO_CONGTHUONG', '2030-01-01')).toBe(true);
  });

  it('merges Đông Sơn into the city on 2025-01-01 and ends the 27 districts on 2025-06-30 without successors', () => {
    expect(registry.endingBefore('H_DONGSON', '2025-01-01')?.successors).toMatchObject([
      { code: 'TP_THANHHOA', date: '2025-01-01' },
    ]);
    const districts = registry.all().filter((r) => r.group === 'district');
    expect(districts).toHaveLength(27);
    const abolished = districts.filter((r) => r.validTo === '2025-06-30');
    expect(abolished).toHaveLength(26);
    expect(abolished.every((r) => r.successors.length === 0 && r.endNote)).toBe(true);
    expect(registry.listOn('2025-07-01').filter((r) => r.group === 'district')).toEqual([]);
    expect(districts.filter((r) => r.tags.includes('poor-district')).map((r) => r.code)).toEqual([
      'H_BATHUOC',
      'H_LANGCHANH',
      'H_MUONGLAT',
      'H_QUANHOA',
      'H_QUANSON',
      'H_THUONGXUAN',
    ]);
  });

  it('knows the succession dates', () => {
    expect(registry.successionDates()).toEqual(['2025-01-01', '2025-03-01', '2025-07-01']);
  });

  it('has the same names as the plan roster, except where DOMAIN.md gives the official one', async () => {
    const plan = await readFile(PLAN_FILE, 'utf8');
    const differing = registry
      .listOn('2024-01-01')
      .filter((r) => !plan.includes(`name: ${r.name},`) && !plan.includes(`name: "${r.name}",`))
      .map((r) => r.code);
    expect(differing).toEqual(['NHNN_CN_THANHHOA']);
  });
});

describe('a broken registry file: every problem with its path and what was expected', () => {
  it.each([
    [
      'overlapping-validity',
      'agencies[1].validFrom',
      'expected a validity of SO_A that does not overlap agencies[0] (the beginning to 2025-02-28), found 2025-01-01 to open end',
    ],
    [
      'unknown-successor',
      'agencies[0].successors[0].code',
      'expected an agency code defined in agencies[], found unknown code "SO_KHONGCO"',
    ],
    [
      'successor-not-valid-on-date',
      'agencies[0].successors[0].code',
      'expected SO_B to be valid on 2025-03-01 (the succession date), found it valid 2025-04-01 to open end',
    ],
    [
      'succession-date-not-day-after',
      'agencies[0].successors[0].date',
      'expected the day after validTo 2025-02-28 (2025-03-01), found 2025-03-02',
    ],
    [
      'impossible-date',
      'agencies[0].validTo',
      'expected a real civil date YYYY-MM-DD, found string "2025-02-30"',
    ],
    [
      'ends-before-it-starts',
      'agencies[0].validTo',
      'expected a date on or after validFrom 2025-03-01, found 2025-02-28',
    ],
    [
      'successors-without-end',
      'agencies[0].successors',
      'expected validTo when successors are given (an agency is succeeded when it ends), found validTo null',
    ],
    [
      'successor-is-itself',
      'agencies[0].successors[0].code',
      'expected a successor other than SO_A itself',
    ],
    [
      'unknown-field',
      'agencies[0].successor',
      'unknown field "successor"; expected only known fields',
    ],
    [
      'non-nfc-name',
      'agencies[0].name',
      'expected Unicode NFC text, found non-NFC (decomposed) string',
    ],
    [
      'unknown-group',
      'agencies[0].group',
      'expected one of "department", "bank", "district", "requested", found string "commune"',
    ],
    [
      'id-not-file-name',
      'id',
      'expected the file name\'s id "id-not-file-name", found "some-other-id"',
    ],
    ['yaml-syntax-error', '', 'expected valid YAML, found a syntax error at line 5, column 1'],
  ])('%s: at %s', async (name, where, message) => {
    const problems = await problemsOf(path.join(BROKEN, `${name}.yaml`));
    expect(problems).toHaveLength(1);
    expect(problems[0]!.path).toBe(where);
    expect(problems[0]!.message).toContain(message);
  });

  it('lists all the problems of a file at once', async () => {
    const problems = await problemsOf(path.join(BROKEN, 'several-problems.yaml'));
    expect(problems.map((p) => p.path)).toEqual([
      'timeZone',
      'agencies[0].code',
      'agencies[0].successors[0].basis',
      'agencies[0].successors[0].code',
    ]);
  });

  it('a folder with broken files reports every file; a missing folder is no registry', async () => {
    const err = await loadAgencyRegistries(BROKEN).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AggregateDefinitionError);
    expect((err as AggregateDefinitionError).errors).toHaveLength(14);
    expect(await loadAgencyRegistries(path.join(BROKEN, 'no-such-folder'))).toEqual([]);
  });
});

describe('loading plans with their registry (what the server does at start)', () => {
  let dir: string;

  async function workflows(
    edit: { plan?: (s: string) => string; registry?: (s: string) => string } = {},
  ): Promise<string> {
    const root = await mkdtemp(path.join(dir, 'wf-'));
    await mkdir(path.join(root, 'thanh-hoa-nq46'), { recursive: true });
    await mkdir(path.join(root, 'agencies'), { recursive: true });
    const plan = await readFile(PLAN_FILE, 'utf8');
    const registry = await readFile(REGISTRY_FILE, 'utf8');
    await writeFile(path.join(root, 'thanh-hoa-nq46/plan.yaml'), (edit.plan ?? ((s) => s))(plan));
    await writeFile(
      path.join(root, 'agencies/thanh-hoa.yaml'),
      (edit.registry ?? ((s) => s))(registry),
    );
    return root;
  }

  async function load(root: string): Promise<PlanRegistry> {
    const config = { workflowsDir: root } as AppConfig;
    const plans = new PlanRegistry(config, weekendCalendar(), new AgencyRegistryService(config));
    await plans.load();
    return plans;
  }

  async function loadErrors(
    root: string,
  ): Promise<Array<{ file: string; problems: FieldProblem[] }>> {
    const err = await load(root).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AggregateDefinitionError);
    return (err as AggregateDefinitionError).errors.map((e) => ({
      file: path.relative(root, e.file),
      problems: e.problems,
    }));
  }

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'dondoc-agencies-'));
  });

  it('loads the embedded plan with its registry; successors join the plan’s agencies', async () => {
    const plans = await load(await workflows());
    const plan = plans.get('thanh-hoa-nq46');
    expect(plan.registry?.id).toBe('thanh-hoa');
    expect(plan.definition.agencies).toHaveLength(54);
    expect(plan.agencies.get('SO_NNMT')).toMatchObject({
      name: 'Sở Nông nghiệp và Môi trường',
      group: 'department',
      kind: 'directed',
    });
    expect(plan.agencies.get('NHNN_KV7')?.group).toBe('bank');
    expect(plan.agencies.size).toBe(57);
  });

  it('refuses a plan naming an unknown registry', async () => {
    const root = await workflows({
      plan: (s) => s.replace('agencyRegistry: thanh-hoa', 'agencyRegistry: nghe-an'),
    });
    expect(await loadErrors(root)).toEqual([
      {
        file: path.join('thanh-hoa-nq46', 'plan.yaml'),
        problems: [
          {
            path: 'agencyRegistry',
            message: `expected the id of a registry in ${path.join(root, 'agencies')} (thanh-hoa), found "nghe-an"`,
          },
        ],
      },
    ]);
  });

  it('refuses a plan whose agencies, groups or succession choices disagree with the registry', async () => {
    const root = await workflows({
      registry: (s) =>
        s
          .replace('code: SO_TUPHAP, name: Sở Tư pháp', 'code: SO_TUPHAP2, name: Sở Tư pháp')
          .replace(
            'code: VP_UBND, name: Văn phòng UBND tỉnh, group: department',
            'code: VP_UBND, name: Văn phòng UBND tỉnh, group: bank',
          ),
      plan: (s) => s.replace('successor: SO_GDDT', 'successor: SO_TAICHINH'),
    });
    const [file] = await loadErrors(root);
    expect(file!.problems).toEqual([
      {
        path: 'agencies[5].code',
        message:
          'expected an agency of registry thanh-hoa, found SO_TUPHAP, which it does not list',
      },
      {
        path: 'agencies[17].group',
        message: 'expected group "bank" as in registry thanh-hoa, found "department"',
      },
      {
        path: 'succession[0].successor',
        message:
          'expected one of the successors of SO_LDTBXH in registry thanh-hoa (SO_NOIVU, SO_YTE, SO_GDDT, SO_NNMT), found SO_TAICHINH',
      },
    ]);
  });

  it('reports a broken registry and a broken plan together', async () => {
    const root = await workflows({
      registry: (s) => s.replace('validTo: "2024-12-31"', 'validTo: "2024-12-32"'),
      plan: (s) => s.replace('task: II.2.1', 'task: II.9.9'),
    });
    const errors = await loadErrors(root);
    expect(errors.map((e) => e.file)).toEqual([
      path.join('agencies', 'thanh-hoa.yaml'),
      path.join('thanh-hoa-nq46', 'plan.yaml'),
    ]);
    expect(errors[0]!.problems[0]).toMatchObject({ path: expect.stringMatching(/validTo$/) });
    expect(errors[1]!.problems).toEqual([
      {
        path: 'succession[0].task',
        message: 'expected a task id defined in tasks[], found unknown task "II.9.9"',
      },
    ]);
  });

  it('a succession choice must name a task that names the agency', async () => {
    const root = await workflows({ plan: (s) => s.replace('task: II.2.1', 'task: II.2.2') });
    const [file] = await loadErrors(root);
    expect(file!.problems).toEqual([
      {
        path: 'succession[0].task',
        message:
          'expected a task that names SO_LDTBXH in its lead or coordinating agencies, found task II.2.2, which does not',
      },
    ]);
  });

  it('copies of the plan without a registry load unchanged (no registry, no succession)', async () => {
    const root = await mkdtemp(path.join(dir, 'plain-'));
    await mkdir(path.join(root, 'p'), { recursive: true });
    await cp(PLAN_FILE, path.join(root, 'p/plan.yaml'));
    const text = (await readFile(path.join(root, 'p/plan.yaml'), 'utf8'))
      .replace('agencyRegistry: thanh-hoa', 'agencyRegistry: null')
      .replace(/\nsuccession:\n(?: {2}.*\n|\s*#.*\n)*/, '\n');
    await writeFile(path.join(root, 'p/plan.yaml'), text);
    const plan = (await load(root)).get('thanh-hoa-nq46');
    expect(plan.registry).toBeNull();
    expect(plan.definition.succession).toEqual([]);
    expect(plan.agencies.size).toBe(54);
  });
});
