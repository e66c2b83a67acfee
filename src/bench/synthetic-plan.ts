/**
 * A synthetic plan for the benchmark: the embedded Thanh Hóa plan with its roster replaced by
 * `count` directed departments (BENCH_00001 …), written as `<workflowsDir>/<id>/plan.yaml`.
 * Tasks stay valid: directed tasks are led by the department group, requested tasks are dropped
 * (only requested bodies may lead them), and the aggregator is the first synthetic agency.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { PACKAGE_ROOT } from '../config/app-config.js';

export const BENCH_PLAN_ID = 'bench-synthetic';
export const BENCH_YEAR = 2025;

interface RawPlan {
  id: string;
  agencyRegistry?: string | null;
  succession?: unknown[];
  agencies: unknown[];
  tasks: Array<{ kind: string; lead: unknown; coordinating?: unknown }>;
  cycle: { aggregator: string };
}

export function agencyCode(n: number): string {
  return `BENCH_${String(n).padStart(5, '0')}`;
}

/** Writes the plan and returns the path of the file. */
export function writeSyntheticPlan(workflowsDir: string, count: number): string {
  if (count < 1 || count > 99_999) throw new Error(`agency count out of range: ${count}`);
  const source = readFileSync(
    path.join(PACKAGE_ROOT, 'workflows', 'thanh-hoa-nq46', 'plan.yaml'),
    'utf8',
  );
  const plan = parse(source) as RawPlan;
  plan.id = BENCH_PLAN_ID;
  // Synthetic agencies are in no registry: the roster stays as it is every year.
  plan.agencyRegistry = null;
  plan.succession = [];
  plan.agencies = Array.from({ length: count }, (_, i) => ({
    code: agencyCode(i + 1),
    name: `Đơn vị ${String(i + 1).padStart(5, '0')}`,
    group: 'department',
    kind: 'directed',
    reports: true,
    tags: [],
  }));
  plan.tasks = plan.tasks
    .filter((t) => t.kind === 'directed')
    .map((t) => ({
      ...t,
      lead: { agencies: [], groups: ['department'] },
      coordinating: { agencies: [], groups: [] },
    }));
  plan.cycle.aggregator = agencyCode(1);
  const dir = path.join(workflowsDir, BENCH_PLAN_ID);
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'plan.yaml');
  writeFileSync(file, stringify(plan, { lineWidth: 0 }), 'utf8');
  return file;
}
