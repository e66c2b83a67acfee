/**
 * At the server's start, after the plans loaded: are there open obligations (not in a final
 * stage) that the loaded definitions can no longer serve? Such an obligation is an orphan when
 * - its plan is not loaded (the plan file was removed, renamed to a name the loader skips, or its
 *   `id` changed): every read, command and sweep of it fails;
 * - the agency it was opened for is no longer a reporting agency of its plan (roster or registry
 *   successor of one), or the agency it was transferred to is neither that nor in the plan's
 *   agency registry: the plan no longer assigns it;
 * - its lifecycle machine version is not registered in this engine (an older dondoc on data
 *   written by a newer one), or belongs to another machine than the one its plan now names
 *   (`dondoc migrate` moves obligations between versions of one machine only).
 * Orphans refuse the start (the sweeps would fail on them every minute). Open obligations on
 * another version of the plan's own machine are not orphans: every version stays registered and
 * keeps working, and `dondoc migrate` moves only those that replay cleanly; the start warns,
 * naming the command.
 */
import { Injectable, Logger } from '@nestjs/common';
import { DomainError, ErrorCode } from '../core/errors.js';
import { knownMachines, machineRef } from '../core/machine/machine-registry.js';
import { FINAL_STAGES } from '../core/machine/obligation-events.js';
import { Database, intValue, type Sql } from '../database/database.js';
import { PlanRegistry, type LoadedPlan } from './plan-registry.service.js';

export type OrphanReason = 'plan-missing' | 'agency-unknown' | 'machine-unknown' | 'machine-other';

export interface OrphanExample {
  id: string;
  year: number;
  agencyCode: string;
  stage: string;
  machineVersion: string;
}

export interface OrphanGroup {
  planId: string;
  reason: OrphanReason;
  /** The agency code or machine version concerned (empty for plan-missing). */
  subject: string;
  count: number;
  examples: OrphanExample[];
}

export interface OrphanReport {
  orphans: OrphanGroup[];
  /** Open obligations on another version of their plan's machine: `dondoc migrate` candidates. */
  behind: Array<{ planId: string; machineVersion: string; target: string; count: number }>;
}

const EXAMPLES = 3;
const OPEN = `stage NOT IN (${FINAL_STAGES.map(() => '?').join(', ')})`;

/** Whether the plan still asks `origin` for a report, and knows `current` (after a TRANSFER). */
function agencyProblem(plan: LoadedPlan, origin: string, current: string): string | null {
  if (!plan.agencies.get(origin)?.reports) return origin;
  if (current !== origin && !plan.agencies.has(current) && !plan.registry?.has(current)) {
    return current;
  }
  return null;
}

function machineIdOf(ref: string): string {
  return ref.slice(0, ref.lastIndexOf('@'));
}

@Injectable()
export class OrphanCheck {
  private readonly logger = new Logger(OrphanCheck.name);

  constructor(
    private readonly db: Database,
    private readonly plans: PlanRegistry,
  ) {}

  /** Counts the open obligations by plan, agency and machine version; changes nothing. */
  async report(): Promise<OrphanReport> {
    return this.db.read(async (sql) => {
      const rows = await openCombinations(sql);
      const known = new Set(knownMachines().map((m) => machineRef(m.id, m.version)));
      const counts = new Map<string, OrphanGroup>();
      const behind = new Map<string, OrphanReport['behind'][number]>();
      const add = (planId: string, reason: OrphanReason, subject: string, n: number) => {
        const key = `${planId}\u0000${reason}\u0000${subject}`;
        const group = counts.get(key) ?? { planId, reason, subject, count: 0, examples: [] };
        group.count += n;
        counts.set(key, group);
      };
      for (const r of rows) {
        const planId = String(r.plan_id);
        const origin = String(r.origin_agency_code);
        const agency = String(r.agency_code);
        const version = String(r.machine_version);
        const n = intValue(r.n);
        const plan = this.plans.find(planId);
        if (!plan) {
          add(planId, 'plan-missing', '', n);
          continue;
        }
        const unassigned = agencyProblem(plan, origin, agency);
        if (unassigned) add(planId, 'agency-unknown', unassigned, n);
        if (!known.has(version)) add(planId, 'machine-unknown', version, n);
        else if (machineIdOf(version) !== plan.definition.lifecycle.machine) {
          add(planId, 'machine-other', version, n);
        } else if (version !== plan.machineVersion) {
          const key = `${planId}\u0000${version}`;
          const entry = behind.get(key) ?? {
            planId,
            machineVersion: version,
            target: plan.machineVersion,
            count: 0,
          };
          entry.count += n;
          behind.set(key, entry);
        }
      }
      const orphans = [...counts.values()];
      for (const group of orphans) group.examples = await examplesOf(sql, group);
      return { orphans, behind: [...behind.values()] };
    });
  }

  /** Throws (the start stops) when open obligations are orphaned; warns about older versions. */
  async assertNone(): Promise<void> {
    const { orphans, behind } = await this.report();
    for (const b of behind) {
      this.logger.warn(
        `${b.count} open obligation(s) of plan ${b.planId} are on ${b.machineVersion}; the plan ` +
          `now names ${b.target}. They keep working on ${b.machineVersion}. To move those that ` +
          `replay cleanly: npx dondoc migrate --to ${b.target} --plan ${b.planId} --dry-run, ` +
          `then without --dry-run (--as <admin>).`,
      );
    }
    if (orphans.length === 0) return;
    throw new DomainError(ErrorCode.INVALID_DEFINITION, orphanMessage(orphans, this.plans), {
      orphans,
    });
  }
}

interface Combination {
  plan_id: string;
  origin_agency_code: string;
  agency_code: string;
  machine_version: string;
  n: unknown;
}

const COMBINATION_COLUMNS = 'plan_id, origin_agency_code, agency_code, machine_version';

/**
 * The open obligations counted by plan, origin agency, agency and machine version, in that
 * order. On SQLite the rows are counted here in one pass over the table: its GROUP BY, which no
 * index serves, sorted every open row in memory first (a million obligations: some 110 MB more
 * at start, and slower). PostgreSQL groups them itself.
 */
async function openCombinations(sql: Sql): Promise<Combination[]> {
  if (!sql.eachArray) {
    return sql.query<Combination>(
      `SELECT ${COMBINATION_COLUMNS}, COUNT(*) AS n FROM obligations WHERE ${OPEN}
       GROUP BY ${COMBINATION_COLUMNS} ORDER BY ${COMBINATION_COLUMNS}`,
      [...FINAL_STAGES],
    );
  }
  const counts = new Map<string, Combination>();
  await sql.eachArray(
    `SELECT ${COMBINATION_COLUMNS} FROM obligations WHERE ${OPEN}`,
    [...FINAL_STAGES],
    (r) => {
      const key = r.join('\u0000');
      const known = counts.get(key);
      if (known) known.n = (known.n as number) + 1;
      else {
        counts.set(key, {
          plan_id: String(r[0]),
          origin_agency_code: String(r[1]),
          agency_code: String(r[2]),
          machine_version: String(r[3]),
          n: 1,
        });
      }
    },
  );
  // The order of the query it replaces: SQLite's BINARY collation compares UTF-8 bytes, the same
  // order as JavaScript's code units for any text without characters beyond U+FFFF.
  return [...counts.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, c]) => c);
}

async function examplesOf(sql: Sql, g: OrphanGroup): Promise<OrphanExample[]> {
  const [extra, params]: [string, string[]] =
    g.reason === 'plan-missing'
      ? ['', []]
      : g.reason === 'agency-unknown'
        ? [' AND (origin_agency_code = ? OR agency_code = ?)', [g.subject, g.subject]]
        : [' AND machine_version = ?', [g.subject]];
  const rows = await sql.query<Record<string, unknown>>(
    `SELECT id, year, agency_code, stage, machine_version FROM obligations
     WHERE plan_id = ? AND ${OPEN}${extra} ORDER BY year, agency_code, id LIMIT ${EXAMPLES}`,
    [g.planId, ...FINAL_STAGES, ...params],
  );
  return rows.map((r) => ({
    id: String(r.id),
    year: intValue(r.year),
    agencyCode: String(r.agency_code),
    stage: String(r.stage),
    machineVersion: String(r.machine_version),
  }));
}

/** The refusal: each group with its count, examples and what to do. */
export function orphanMessage(orphans: OrphanGroup[], plans: PlanRegistry): string {
  const lines = [
    'Refusing to start: the plan definitions no longer match open obligations in the database.',
  ];
  for (const g of orphans) {
    const plan = plans.find(g.planId);
    const examples = g.examples
      .map((e) => `${e.id} (${e.year}, ${e.agencyCode}, ${e.stage}, ${e.machineVersion})`)
      .join('; ');
    const what: Record<OrphanReason, string> = {
      'plan-missing': `plan ${g.planId} is not defined by any loaded plan file (removed, renamed to a name the loader skips, or its id changed)`,
      'agency-unknown': `plan ${g.planId} no longer assigns a report to agency ${g.subject} (not a reporting agency of its roster, nor a registry successor of one)`,
      'machine-unknown': `plan ${g.planId}: lifecycle version ${g.subject} is not registered in this dondoc (registered: ${knownMachines()
        .map((m) => machineRef(m.id, m.version))
        .join(', ')})`,
      'machine-other': `plan ${g.planId} now names lifecycle ${plan?.machineVersion ?? '?'}, but ${g.subject} is another machine`,
    };
    const fix: Record<OrphanReason, string> = {
      'plan-missing': `restore the plan file with id ${g.planId} (workflows/<folder>/plan.yaml or *.plan.yaml), or close these obligations with it in place before removing it`,
      'agency-unknown': `put ${g.subject} back in the plan or its registry, or with the previous plan file in place TRANSFER or WITHDRAW these obligations (npx dondoc advance <id> WITHDRAW --payload '{"basis":"…"}' --as <admin>)`,
      'machine-unknown': `run the dondoc version that registers ${g.subject}; then, to move them to a version this one registers: npx dondoc migrate --to ${plan?.machineVersion ?? '<version>'} --plan ${g.planId} --dry-run`,
      'machine-other': `set lifecycle back to ${machineIdOf(g.subject)} in the plan file: npx dondoc migrate --to <version> only moves obligations between versions of one machine (npx dondoc migrate --to ${machineIdOf(g.subject)}@<n> --plan ${g.planId} --dry-run lists them)`,
    };
    lines.push(
      `  - ${what[g.reason]}: ${g.count} open obligation(s), e.g. ${examples}.`,
      `    To fix: ${fix[g.reason]}.`,
    );
  }
  return lines.join('\n');
}
