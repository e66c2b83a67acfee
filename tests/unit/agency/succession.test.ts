import { beforeAll, describe, expect, it } from '@jest/globals';
import path from 'node:path';
import { loadAgencyRegistryFile } from '../../../src/agencies/agency-registry-loader.js';
import { agencyLabel, agencyNameOn } from '../../../src/core/agency/agency-label.js';
import type { AgencyRegistry } from '../../../src/core/agency/agency-registry.js';
import { vietnameseDate } from '../../../src/core/agency/civil-date.js';
import { aggregatorOn, rosterOn, rosterReferenceDate } from '../../../src/core/agency/roster.js';
import { decideSuccession, resolveAgency } from '../../../src/core/agency/succession.js';
import { knownMachines } from '../../../src/core/machine/machine-registry.js';
import type { PlanDefinition } from '../../../src/core/plan/plan.types.js';
import { loadPlanFile } from '../../../src/plans/plan-loader.js';

const ROOT = process.cwd();
let registry: AgencyRegistry;
let plan: PlanDefinition;

beforeAll(async () => {
  registry = await loadAgencyRegistryFile(path.join(ROOT, 'workflows/agencies/thanh-hoa.yaml'));
  plan = await loadPlanFile(path.join(ROOT, 'workflows/thanh-hoa-nq46/plan.yaml'), knownMachines());
});

const ending = (code: string, date: string) => registry.endingBefore(code, date)!;

describe('who takes over an obligation when its agency ends', () => {
  it('the only successor in the registry, with its basis', () => {
    expect(decideSuccession(plan, registry, ending('SO_NNPTNT', '2025-03-01'))).toMatchObject({
      decided: true,
      from: 'SO_NNPTNT',
      to: 'SO_NNMT',
      date: '2025-03-01',
      via: 'registry',
      basis: expect.stringContaining('45/2025/NĐ-CP'),
    });
  });

  it('a split agency: the plan’s choice for the task that names it', () => {
    expect(decideSuccession(plan, registry, ending('SO_LDTBXH', '2025-03-01'))).toMatchObject({
      decided: true,
      to: 'SO_GDDT',
      via: 'plan',
      tasks: ['II.2.1'],
    });
    expect(decideSuccession(plan, registry, ending('SO_TTTT', '2025-03-01'))).toMatchObject({
      decided: true,
      to: 'SO_VHTTDL',
      via: 'plan',
      tasks: ['II.1.2'],
    });
  });

  it('a split the plan does not settle, or settles two ways, is left to an administrator', () => {
    const none = decideSuccession(
      { ...plan, succession: [] },
      registry,
      ending('SO_LDTBXH', '2025-03-01'),
    );
    expect(none).toMatchObject({
      decided: false,
      reason: 'SPLIT_NOT_CHOSEN',
      successors: ['SO_NOIVU', 'SO_YTE', 'SO_GDDT', 'SO_NNMT'],
    });
    expect(none.decided ? '' : none.detail).toBe(
      'SO_LDTBXH was split among SO_NOIVU, SO_YTE, SO_GDDT, SO_NNMT on 2025-03-01; plan thanh-hoa-nq46 chooses none of them for its tasks; an administrator decides (TRANSFER with a basis)',
    );
    const twoWays = decideSuccession(
      {
        ...plan,
        succession: [
          { agency: 'SO_LDTBXH', task: 'II.2.1', successor: 'SO_GDDT' },
          { agency: 'SO_LDTBXH', task: 'II.1.1', successor: 'SO_NOIVU' },
        ],
      },
      registry,
      ending('SO_LDTBXH', '2025-03-01'),
    );
    expect(twoWays).toMatchObject({ decided: false, reason: 'SPLIT_CONFLICT' });
    expect(twoWays.decided ? '' : twoWays.detail).toContain('II.2.1 → SO_GDDT, II.1.1 → SO_NOIVU');
  });

  it('no successor recorded (a district, Sở Ngoại vụ): never guessed', () => {
    expect(decideSuccession(plan, registry, ending('H_BATHUOC', '2025-07-01'))).toMatchObject({
      decided: false,
      reason: 'NO_SUCCESSOR',
      successors: [],
      detail: expect.stringContaining(
        'H_BATHUOC ended on 2025-06-30 with no successor in registry thanh-hoa',
      ),
    });
    expect(decideSuccession(plan, registry, ending('SO_NGOAIVU', '2025-03-01'))).toMatchObject({
      decided: false,
      reason: 'NO_SUCCESSOR',
    });
  });
});

describe('resolving an agency as of a date', () => {
  it.each([
    ['SO_NNPTNT', '2025-02-28', 'SO_NNPTNT'],
    ['SO_NNPTNT', '2025-03-01', 'SO_NNMT'],
    ['SO_TNMT', '2026-01-01', 'SO_NNMT'],
    ['SO_LDTBXH', '2026-01-01', 'SO_GDDT'],
    ['NHNN_CN_THANHHOA', '2026-01-01', 'NHNN_KV7'],
    ['H_DONGSON', '2024-12-31', 'H_DONGSON'],
    ['H_DONGSON', '2025-01-01', 'TP_THANHHOA'],
    ['SO_CONGTHUONG', '2026-01-01', 'SO_CONGTHUONG'],
  ])('%s on %s is %s', (code, date, expected) => {
    expect(resolveAgency(plan, registry, code, date)).toMatchObject({
      resolved: true,
      code: expected,
    });
  });

  it('through a merger and then an abolition: undecided at the last agency reached', () => {
    expect(resolveAgency(plan, registry, 'H_DONGSON', '2025-07-01')).toMatchObject({
      resolved: false,
      code: 'TP_THANHHOA',
      reason: 'NO_SUCCESSOR',
      via: [{ from: 'H_DONGSON', to: 'TP_THANHHOA' }],
    });
  });

  it('before an agency exists, and for a code the registry does not know', () => {
    expect(resolveAgency(plan, registry, 'SO_NNMT', '2025-02-28')).toMatchObject({
      resolved: false,
      reason: 'NOT_YET_VALID',
    });
    expect(resolveAgency(plan, registry, 'SO_KHONGCO', '2025-02-28')).toMatchObject({
      resolved: false,
      reason: 'NOT_IN_REGISTRY',
    });
  });
});

describe('a cycle’s roster and aggregator, as of 1 January of its year', () => {
  const codes = (year: number) =>
    rosterOn(plan, registry, rosterReferenceDate(year)).entries.map((e) => e.code);

  it('2024: the plan’s 54 agencies, Sở NN&PTNT aggregating', () => {
    expect(codes(2024)).toEqual(plan.agencies.map((a) => a.code));
    expect(aggregatorOn(plan, registry, '2024-01-01')).toMatchObject({ code: 'SO_NNPTNT' });
  });

  it('2025: Đông Sơn is part of the city, so 53 obligations; Sở NN&MT aggregates from 01/3', () => {
    const roster = rosterOn(plan, registry, '2025-01-01');
    expect(roster.entries).toHaveLength(53);
    expect(roster.entries.find((e) => e.code === 'TP_THANHHOA')?.planAgencies).toEqual([
      'TP_THANHHOA',
      'H_DONGSON',
    ]);
    expect(roster.excluded).toEqual([]);
    expect(aggregatorOn(plan, registry, '2025-02-28')).toMatchObject({ code: 'SO_NNPTNT' });
    expect(aggregatorOn(plan, registry, '2025-03-01')).toMatchObject({
      code: 'SO_NNMT',
      via: [{ from: 'SO_NNPTNT', to: 'SO_NNMT', via: 'registry' }],
    });
  });

  it('2026: the 2025 agencies, no district, Sở Ngoại vụ left out; Sở NN&MT aggregates', () => {
    const roster = rosterOn(plan, registry, '2026-01-01');
    expect(roster.entries.map((e) => e.code).sort()).toEqual(
      [
        'SO_NNMT',
        'SO_CONGTHUONG',
        'SO_KHCN',
        'SO_TUPHAP',
        'SO_TAICHINH',
        'SO_XAYDUNG',
        'SO_DTTG',
        'SO_NOIVU',
        'SO_VHTTDL',
        'SO_GDDT',
        'SO_YTE',
        'VP_UBND',
        'THANHTRA_TINH',
        'BQL_KKT_NGHISON',
        'NHNN_KV7',
        'UBMTTQ_TINH',
        'HOI_NONGDAN_TINH',
        'TINH_DOAN',
        'HOI_LHPN_TINH',
        'HOI_CCB_TINH',
        'LDLD_TINH',
      ].sort(),
    );
    expect(roster.entries.find((e) => e.code === 'SO_NNMT')).toEqual({
      code: 'SO_NNMT',
      kind: 'directed',
      planAgencies: ['SO_NNPTNT', 'SO_TNMT'],
    });
    expect(roster.excluded.map((x) => x.planAgency)).toEqual([
      'SO_NGOAIVU',
      ...plan.agencies.filter((a) => a.group === 'district').map((a) => a.code),
    ]);
    expect(roster.excluded.every((x) => x.resolution.reason === 'NO_SUCCESSOR')).toBe(true);
    expect(aggregatorOn(plan, registry, '2026-01-01')).toMatchObject({ code: 'SO_NNMT' });
  });

  it('a plan without a registry keeps its roster every year', () => {
    expect(rosterOn(plan, null, '2030-01-01').entries).toHaveLength(54);
    expect(aggregatorOn(plan, null, '2030-01-01')).toMatchObject({ code: 'SO_NNPTNT' });
  });
});

describe('names as they were and as they are', () => {
  it('a single successor: the old short name, then the successor’s name', () => {
    expect(agencyLabel(registry, 'SO_NNPTNT', '2025-12-01')).toBe(
      'Sở Nông nghiệp và PTNT (nay là Sở Nông nghiệp và Môi trường)',
    );
    expect(agencyLabel(registry, 'SO_KHDT', '2025-03-01')).toBe(
      'Sở Kế hoạch và Đầu tư (nay là Sở Tài chính)',
    );
    expect(agencyLabel(registry, 'NHNN_CN_THANHHOA', '2026-01-01')).toBe(
      'Ngân hàng Nhà nước Chi nhánh tỉnh Thanh Hóa (nay là Ngân hàng Nhà nước Chi nhánh Khu vực 7)',
    );
  });

  it('the plain name while the agency exists', () => {
    expect(agencyLabel(registry, 'SO_NNPTNT', '2025-02-28')).toBe(
      'Sở Nông nghiệp và Phát triển nông thôn',
    );
    expect(agencyLabel(registry, 'SO_CONGTHUONG', '2026-06-01')).toBe('Sở Công Thương');
    expect(agencyLabel(registry, 'SO_NNMT', '2026-06-01')).toBe('Sở Nông nghiệp và Môi trường');
  });

  it('a split: where the functions went, or who took this obligation', () => {
    expect(agencyLabel(registry, 'SO_LDTBXH', '2025-12-01')).toBe(
      'Sở Lao động - Thương binh và Xã hội (nay chức năng, nhiệm vụ chuyển về Sở Nội vụ, Sở Y tế, Sở Giáo dục và Đào tạo và Sở Nông nghiệp và Môi trường)',
    );
    expect(agencyLabel(registry, 'SO_LDTBXH', '2025-12-01', { successor: 'SO_GDDT' })).toBe(
      'Sở Lao động - Thương binh và Xã hội (nhiệm vụ nay do Sở Giáo dục và Đào tạo thực hiện)',
    );
  });

  it('no successor: since when it no longer exists; a merger then an abolition says both', () => {
    expect(agencyLabel(registry, 'H_BATHUOC', '2025-12-01')).toBe(
      'UBND huyện Bá Thước (đã chấm dứt hoạt động từ ngày 01/7/2025)',
    );
    // An obligation an administrator moved: the department took over the task, it did not
    // become the district.
    expect(agencyLabel(registry, 'H_QUANSON', '2025-12-01', { successor: 'SO_DTTG' })).toBe(
      'UBND huyện Quan Sơn (nhiệm vụ nay do Sở Dân tộc và Tôn giáo thực hiện)',
    );
    expect(agencyLabel(registry, 'H_DONGSON', '2025-03-01')).toBe(
      'UBND huyện Đông Sơn (nay là UBND thành phố Thanh Hóa)',
    );
    expect(agencyLabel(registry, 'H_DONGSON', '2025-12-01')).toBe(
      'UBND huyện Đông Sơn (sau là UBND thành phố Thanh Hóa, đã chấm dứt hoạt động từ ngày 01/7/2025)',
    );
  });

  it('unknown codes stay codes; a successor named before it existed has its first name', () => {
    expect(agencyLabel(registry, 'SO_KHONGCO', '2025-12-01')).toBe('SO_KHONGCO');
    expect(agencyLabel(registry, 'SO_NNMT', '2024-06-01')).toBe('Sở Nông nghiệp và Môi trường');
    expect(agencyNameOn(registry, 'SO_NNMT', '2024-06-01')).toBe('Sở Nông nghiệp và Môi trường');
    expect(agencyNameOn(registry, 'SO_NNPTNT', '2026-01-01')).toBe(
      'Sở Nông nghiệp và Phát triển nông thôn',
    );
    expect(agencyNameOn(null, 'SO_NNPTNT', '2026-01-01')).toBeNull();
  });

  it('labels are NFC text', () => {
    const label = agencyLabel(registry, 'SO_NNPTNT', '2025-12-01');
    expect(label.normalize('NFC')).toBe(label);
  });

  it('dates in Vietnamese administrative style (Nghị định 30/2020)', () => {
    expect(vietnameseDate('2025-07-01')).toBe('01/7/2025');
    expect(vietnameseDate('2025-02-05')).toBe('05/02/2025');
    expect(vietnameseDate('2025-11-15')).toBe('15/11/2025');
  });
});
