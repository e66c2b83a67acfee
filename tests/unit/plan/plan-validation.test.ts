import { readdirSync, readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { AggregateDefinitionError, DefinitionError } from '../../../src/core/errors.js';
import { validatePlan } from '../../../src/core/plan/plan.schema.js';
import type { PlanDefinition } from '../../../src/core/plan/plan.types.js';
import { loadPlanFile, loadPlansFromDir } from '../../../src/plans/plan-loader.js';

const MACHINES = [{ id: 'annual-report', version: 1 }];
const BROKEN_DIR = path.resolve(process.cwd(), 'tests/fixtures/plans/broken');
const WORKFLOWS_DIR = path.resolve(process.cwd(), 'workflows');
const PLAN_FILE = path.join(WORKFLOWS_DIR, 'thanh-hoa-nq46/plan.yaml');
/** The extracted text of the issued plan, kept beside its encoding for provenance. */
const SOURCE_FILE = path.join(WORKFLOWS_DIR, 'thanh-hoa-nq46/source.txt');

/** Runs fn and returns the error it throws (fails the test if it does not throw). */
async function caught<E>(fn: () => unknown): Promise<E> {
  try {
    await fn();
  } catch (err) {
    return err as E;
  }
  throw new Error('expected an error, none was thrown');
}

/** Every fixture has exactly one defect: its path and a fragment of its message. */
const BROKEN: Array<{ file: string; path: string; message: string }> = [
  { file: 'unknown-field.yaml', path: 'agencies[1].website', message: 'unknown field "website"' },
  {
    file: 'missing-title.yaml',
    path: 'title',
    message: 'required field is missing; expected string',
  },
  {
    file: 'duplicate-agency-code.yaml',
    path: 'agencies[4].code',
    message: 'unique agency code, found "SO_TUPHAP" again (first at agencies[1])',
  },
  {
    file: 'unknown-agency-reference.yaml',
    path: 'tasks[0].lead.agencies[0]',
    message: 'found unknown code "SO_TUPHAP_TINH"',
  },
  {
    file: 'impossible-date.yaml',
    path: 'basis[0].date',
    message: 'expected a real civil date YYYY-MM-DD, found string "2023-02-30"',
  },
  {
    file: 'due-date-31-11.yaml',
    path: 'cycle.report.due.day',
    message: 'month 11 (1–30), found 31/11',
  },
  {
    file: 'invalid-time-zone.yaml',
    path: 'cycle.timeZone',
    message: 'valid IANA time zone such as Asia/Ho_Chi_Minh, found string "Asia/Hanoi"',
  },
  { file: 'non-nfc-text.yaml', path: 'agencies[1].name', message: 'expected Unicode NFC text' },
  {
    file: 'yaml-syntax-error.yaml',
    path: '',
    message: 'syntax error at line 14, column 1: Flow map',
  },
  {
    file: 'unknown-lifecycle-machine.yaml',
    path: 'lifecycle.machine',
    message: 'known lifecycle machine (annual-report v1), found "quarterly-report"',
  },
  {
    file: 'first-year-wrong-type.yaml',
    path: 'cycle.firstYear',
    message: 'expected number, found string "2024"',
  },
  {
    file: 'escalation-levels-out-of-order.yaml',
    path: 'escalation.levels[2].level',
    message: 'greater than 3 (levels strictly increasing), found 2',
  },
  {
    file: 'lowercase-agency-code.yaml',
    path: 'agencies[2].code',
    message: 'UPPER_SNAKE code such as SO_NNPTNT, found string "h_bathuoc"',
  },
  { file: 'plan-id-not-kebab.yaml', path: 'id', message: 'kebab-case identifier' },
  {
    file: 'unknown-deadline-policy.yaml',
    path: 'cycle.report.policy',
    message:
      'expected one of "fixed-exclusive", "civil-code-roll-forward", found string "roll-forward"',
  },
  {
    file: 'requested-body-leads-directed-task.yaml',
    path: 'tasks[0].lead.agencies[0]',
    message:
      'expected a directed agency to lead a directed task, found HOI_NONGDAN_TINH (kind requested)',
  },
];

describe('broken plan fixtures', () => {
  it('has a table row for every fixture (at least 10)', () => {
    const files = readdirSync(BROKEN_DIR)
      .filter((f) => f.endsWith('.yaml'))
      .sort();
    expect(files.length).toBeGreaterThanOrEqual(10);
    expect(BROKEN.map((b) => b.file).sort()).toEqual(files);
  });

  it.each(BROKEN)('$file: one problem at "$path"', async ({ file, path: where, message }) => {
    const full = path.join(BROKEN_DIR, file);
    const err = await caught<DefinitionError>(() => loadPlanFile(full, MACHINES));
    expect(err).toBeInstanceOf(DefinitionError);
    expect(err.file).toBe(full);
    expect(err.message).toContain(full);
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]?.path).toBe(where);
    expect(err.problems[0]?.message).toContain(message);
  });
});

describe('validatePlan', () => {
  const base = (): Record<string, unknown> =>
    parse(readFileSync(PLAN_FILE, 'utf8')) as Record<string, unknown>;

  it('accepts the embedded plan and applies defaults', () => {
    const raw = base();
    const agencies = raw.agencies as Array<Record<string, unknown>>;
    expect(agencies[0]?.tags).toBeUndefined();
    const plan = validatePlan(raw, 'plan.yaml', MACHINES);
    expect(plan.agencies[0]?.tags).toEqual([]);
    expect(raw.agencies).toBe(agencies); // input is not mutated
    expect(agencies[0]?.tags).toBeUndefined();
  });

  it('lists every problem at once, with dotted paths', () => {
    const raw = base();
    raw.extra = 1;
    const tasks = raw.tasks as Array<Record<string, unknown>>;
    (tasks[3]!.lead as Record<string, unknown>).agencies = ['SO_KHONG_CO'];
    tasks[4]!.id = tasks[3]!.id;
    (raw.cycle as Record<string, unknown>).aggregator = 'SO_NNMT';
    (raw.cycle as Record<string, unknown>).lastYear = 2020;
    const err = (() => {
      try {
        validatePlan(raw, 'x.yaml');
      } catch (e) {
        return e as DefinitionError;
      }
      throw new Error('no error');
    })();
    expect(err).toBeInstanceOf(DefinitionError);
    expect(err.problems.map((p) => p.path).sort()).toEqual(
      [
        'extra',
        'tasks[3].lead.agencies[0]',
        'tasks[4].id',
        'cycle.aggregator',
        'cycle.lastYear',
      ].sort(),
    );
  });

  it('rejects a non-object document and a known machine with another version', () => {
    expect(() => validatePlan(null, 'empty.yaml')).toThrow('expected object, found null');
    const err = (() => {
      try {
        validatePlan(base(), 'x.yaml', [{ id: 'annual-report', version: 2 }]);
      } catch (e) {
        return e as DefinitionError;
      }
      throw new Error('no error');
    })();
    expect(err.problems).toEqual([
      { path: 'lifecycle.version', message: expect.stringContaining('found version 1') },
    ]);
  });
});

describe('loadPlansFromDir', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'dondoc-plans-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('collects the problems of every file, ignores calendar/, rejects duplicate ids', async () => {
    const root = path.join(dir, 'mixed');
    for (const sub of ['thanh-hoa-nq46', 'copy', 'broken-a', 'broken-b', 'calendar'])
      await mkdir(path.join(root, sub), { recursive: true });
    await cp(PLAN_FILE, path.join(root, 'thanh-hoa-nq46/plan.yaml'));
    await cp(PLAN_FILE, path.join(root, 'copy/plan.yaml'));
    await cp(path.join(BROKEN_DIR, 'missing-title.yaml'), path.join(root, 'broken-a/plan.yaml'));
    await cp(
      path.join(BROKEN_DIR, 'yaml-syntax-error.yaml'),
      path.join(root, 'broken-b/plan.yaml'),
    );
    await writeFile(path.join(root, 'calendar/plan.yaml'), 'not: a plan\n');
    const err = await caught<AggregateDefinitionError>(() => loadPlansFromDir(root, MACHINES));
    expect(err).toBeInstanceOf(AggregateDefinitionError);
    const files = err.errors.map((e) => path.relative(root, e.file)).sort();
    expect(files).toEqual(['broken-a/plan.yaml', 'broken-b/plan.yaml', 'thanh-hoa-nq46/plan.yaml']);
    const dup = err.errors.find((e) => e.file.endsWith(path.join('thanh-hoa-nq46', 'plan.yaml')));
    expect(dup?.problems[0]?.message).toContain(
      'unique plan id, found "thanh-hoa-nq46" already defined in',
    );
    expect(err.message).toContain('broken-a');
  });

  it('returns valid plans sorted by id, including top-level *.plan.yaml', async () => {
    const root = path.join(dir, 'valid');
    await mkdir(path.join(root, 'thanh-hoa-nq46'), { recursive: true });
    await cp(PLAN_FILE, path.join(root, 'thanh-hoa-nq46/plan.yaml'));
    const other = readFileSync(PLAN_FILE, 'utf8').replace('id: thanh-hoa-nq46', 'id: a-first-plan');
    await writeFile(path.join(root, 'other.plan.yaml'), other);
    const plans = await loadPlansFromDir(root, MACHINES);
    expect(plans.map((p) => p.id)).toEqual(['a-first-plan', 'thanh-hoa-nq46']);
  });

  it('loads the repository workflows directory', async () => {
    const plans = await loadPlansFromDir(WORKFLOWS_DIR, MACHINES);
    expect(plans.map((p) => p.id)).toContain('thanh-hoa-nq46');
  });
});

function allStrings(v: unknown, out: string[] = []): string[] {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) v.forEach((x) => allStrings(x, out));
  else if (v && typeof v === 'object')
    Object.entries(v).forEach(([k, x]) => (out.push(k), allStrings(x, out)));
  return out;
}

describe('embedded plan thanh-hoa-nq46', () => {
  let plan: PlanDefinition;
  beforeAll(async () => {
    plan = await loadPlanFile(PLAN_FILE, MACHINES);
  });
  const task = (id: string) => plan.tasks.find((t) => t.id === id)!;
  const codes = (pred: (a: PlanDefinition['agencies'][number]) => boolean) =>
    plan.agencies
      .filter(pred)
      .map((a) => a.code)
      .sort();

  it('has the metadata of the source', () => {
    expect(plan.id).toBe('thanh-hoa-nq46');
    expect(plan.issuer).toEqual({
      code: 'UBND_TINH',
      name: 'Ủy ban nhân dân tỉnh Thanh Hóa',
      signer: {
        authority: 'TM. ỦY BAN NHÂN DÂN / KT. CHỦ TỊCH',
        title: 'PHÓ CHỦ TỊCH',
        name: 'Lê Đức Giang',
      },
    });
    expect(plan.number).toBeNull();
    expect(plan.issuedDate).toBeNull();
    expect(plan.lifecycle).toEqual({ machine: 'annual-report', version: 1 });
    expect(plan.basis.map((b) => [b.ref, b.date])).toEqual([
      ['46-NQ/TW', '2023-12-20'],
      ['60-CTr/TU', '2024-02-23'],
      ['622-QĐ/TU', '2021-07-23'],
      ['93-KH/TU', '2022-09-13'],
      ['19-NQ/TW', '2022-06-16'],
    ]);
  });

  it('has the roster: 20 departments, 1 bank, 27 districts, 6 requested bodies, all reporting', () => {
    expect(codes((a) => a.group === 'department')).toHaveLength(20);
    expect(codes((a) => a.group === 'bank')).toEqual(['NHNN_CN_THANHHOA']);
    expect(codes((a) => a.group === 'district')).toHaveLength(27);
    expect(codes((a) => a.group === 'requested')).toEqual([
      'HOI_CCB_TINH',
      'HOI_LHPN_TINH',
      'HOI_NONGDAN_TINH',
      'LDLD_TINH',
      'TINH_DOAN',
      'UBMTTQ_TINH',
    ]);
    expect(codes((a) => a.kind === 'requested')).toEqual(codes((a) => a.group === 'requested'));
    expect(plan.agencies.every((a) => a.reports)).toBe(true);
    expect(codes((a) => a.tags.includes('poor-district'))).toEqual([
      'H_BATHUOC',
      'H_LANGCHANH',
      'H_MUONGLAT',
      'H_QUANHOA',
      'H_QUANSON',
      'H_THUONGXUAN',
    ]);
    const names = plan.agencies.filter((a) => a.group === 'district').map((a) => a.name);
    for (const n of [
      'UBND thành phố Thanh Hóa',
      'UBND thị xã Bỉm Sơn',
      'UBND huyện Thường Xuân',
      'UBND huyện Lang Chánh',
      'UBND huyện Mường Lát',
      'UBND huyện Ngọc Lặc',
      'UBND huyện Hoằng Hóa',
      'UBND thị xã Nghi Sơn',
    ]) {
      expect(names).toContain(n);
    }
  });

  it('has every Part II task with printed labels and canonical ids', () => {
    expect(plan.tasks.map((t) => [t.id, t.printedLabel])).toEqual([
      ['II.1.1', '2.1'],
      ['II.1.2', '2.2'],
      ['II.2.1', '2.1'],
      ['II.2.2', '2.2'],
      ['II.2.3', '2.3'],
      ['II.2.4', '2.4'],
      ['II.2.5', '2.5'],
      ['II.2.6', '2.6'],
      ['II.2.7', '2.7'],
      ['II.2.8', '2.8'],
      ['II.2.9', '2.9'],
      ['II.3.1', '3.1'],
      ['II.3.2', '3.2'],
    ]);
    expect(task('II.1.1').section).toBe(
      '1. Tổ chức tuyên truyền, quán triệt, triển khai thực hiện đồng bộ, hiệu quả chủ trương của Đảng, chính sách, pháp luật của nhà nước về nông nghiệp, nông dân, nông thôn',
    );
    expect(task('II.1.1').lead.groups).toEqual(['department', 'bank', 'district']);
    expect(task('II.2.1').lead.agencies).toEqual(['SO_LDTBXH']);
    expect(task('II.2.1').coordinating.groups).toEqual(['department', 'district']);
    expect(task('II.2.6').lead.agencies).toEqual(['SO_TAICHINH', 'SO_KHDT']);
    expect(task('II.2.8').lead.groups).toEqual(['department']);
    expect(task('II.3.1').lead.groups).toEqual(['district']);
    expect(task('II.3.2')).toMatchObject({
      kind: 'requested',
      lead: { agencies: [], groups: ['requested'] },
    });
    expect(plan.tasks.filter((t) => t.kind === 'requested').map((t) => t.id)).toEqual(['II.3.2']);
    expect(task('II.2.5').text).toBe(
      'Sở Tư pháp chủ trì, phối hợp với các ngành, UBND các huyện, thị xã, thành phố chỉ đạo các đơn vị có liên quan phổ biến, tư vấn pháp luật, trợ giúp pháp lý cho hội viên, nông dân.',
    );
    expect(task('II.2.9').text).toContain('Quỹ hỗ trợ nông dân');
    expect(task('II.3.1').text).toContain('nhất là ở 06 huyện nghèo');
    expect(task('II.3.1').text).toContain('hộ có hoàn cảnh khó khó khăn');
    expect(task('II.2.7').text).toContain('hỗ trợ lãi xuất');
    expect(task('II.2.8').text).toContain('căn cứ chức năng nhiệm được giao;');
  });

  it('has the yearly cycle and escalation ladder', () => {
    expect(plan.cycle).toEqual({
      frequency: 'yearly',
      firstYear: 2024,
      lastYear: null,
      timeZone: 'Asia/Ho_Chi_Minh',
      report: {
        due: { month: 11, day: 15 },
        policy: 'fixed-exclusive',
        sourceText: 'định kỳ trước ngày 15/11 hằng năm',
      },
      aggregator: 'SO_NNPTNT',
      reportsTo: { code: 'UBND_TINH', name: 'Ủy ban nhân dân tỉnh Thanh Hóa' },
      agencyPlanDue: null,
      aggregationDue: null,
    });
    expect(plan.escalation.reminders.map((r) => r.before)).toEqual([
      { days: 30, unit: 'calendar' },
      { days: 7, unit: 'calendar' },
      { days: 1, unit: 'working' },
    ]);
    expect(
      plan.escalation.levels.map((l) => [l.level, l.after.days, l.after.unit, l.notify]),
    ).toEqual([
      [1, 0, 'calendar', ['agency']],
      [2, 5, 'working', ['agency', 'aggregator-leadership']],
      [3, 10, 'working', ['agency', 'aggregator-leadership', 'leader']],
    ]);
    expect(plan.escalation.requestedMaxLevel).toBe(1);
  });

  it('is NFC and single-spaced everywhere', () => {
    for (const s of allStrings(plan)) {
      expect(s.normalize('NFC')).toBe(s);
      expect(s).not.toMatch(/\s{2}|\n/);
    }
  });

  it('quotes the source text verbatim (after joining lines)', () => {
    const source = readFileSync(SOURCE_FILE, 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .join(' ')
      .replace(/\s+/g, ' ');
    const quoted = [
      plan.title,
      'TM. ỦY BAN NHÂN DÂN',
      'KT. CHỦ TỊCH',
      plan.issuer.signer.title,
      plan.issuer.signer.name,
      plan.cycle.report.sourceText,
    ];
    for (const t of plan.tasks) quoted.push(t.section, `${t.printedLabel}. ${t.text}`);
    for (const q of quoted) expect(source).toContain(q);
    for (const b of plan.basis) {
      const [y, m, d] = b.date!.split('-');
      const dates = [`${d}/${m}/${y}`, `${Number(d)}/${Number(m)}/${y}`];
      expect(dates.some((date) => source.includes(`${b.ref} ngày ${date}`))).toBe(true);
    }
  });
});
