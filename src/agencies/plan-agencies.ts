/**
 * A loaded plan's agencies through its registry: the roster of a cycle, the aggregator on a day,
 * and the name to show for an agency. Thin wrappers over the pure core (src/core/agency) that
 * every service uses, so the registry is consulted the same way everywhere.
 */
import { agencyNameOn } from '../core/agency/agency-label.js';
import { aggregatorOn, rosterOn, rosterReferenceDate, type Roster } from '../core/agency/roster.js';
import type { LoadedPlan } from '../plans/plan-registry.service.js';

export interface AgencyRef {
  code: string;
  name: string;
}

/** How a cycle's roster was drawn from the plan and its agency registry. */
export interface CycleRosterInfo {
  /** The reference date: 1 January of the cycle year. */
  asOf: string;
  /** The plan's aggregator on that date (null when the registry leaves it undecided). */
  aggregator: AgencyRef | null;
  /** Reporting agencies of the plan that owe nothing that year, and why. */
  excluded: Array<{ agencyCode: string; reason: string; detail: string }>;
}

/** The roster of the plan's cycle `year`: its agencies as of 1 January of that year. */
export function cycleRoster(plan: LoadedPlan, year: number): Roster {
  return rosterOn(plan.definition, plan.registry, rosterReferenceDate(year));
}

/** The name of an agency of the plan on a civil date: the registry's, else the plan's, else the code. */
export function agencyNameFor(plan: LoadedPlan, code: string, date: string): string {
  return agencyNameOn(plan.registry, code, date) ?? plan.agencies.get(code)?.name ?? code;
}

/** Most names `agencyNameInCycle` remembers per loaded plan (a plan may have many cycles). */
const CYCLE_NAMES_MAX = 10_000;

const cycleNames = new WeakMap<
  LoadedPlan,
  { size: number; byYear: Map<number, Map<string, string>> }
>();

/**
 * The name shown for an agency on its obligations of cycle `year`: `agencyNameFor` on the
 * cycle's reference date, memoised per loaded plan (every obligation view asks for it; a reloaded
 * plan is a new object with a fresh memo) for at most CYCLE_NAMES_MAX agency-years.
 */
export function agencyNameInCycle(plan: LoadedPlan, code: string, year: number): string {
  let memo = cycleNames.get(plan);
  if (!memo) cycleNames.set(plan, (memo = { size: 0, byYear: new Map() }));
  let names = memo.byYear.get(year);
  let name = names?.get(code);
  if (name === undefined) {
    name = agencyNameFor(plan, code, rosterReferenceDate(year));
    if (memo.size >= CYCLE_NAMES_MAX) {
      memo.byYear.clear();
      memo.size = 0;
      names = undefined;
    }
    if (!names) memo.byYear.set(year, (names = new Map()));
    names.set(code, name);
    memo.size += 1;
  }
  return name;
}

/**
 * The plan's aggregator agency on a civil date: `cycle.aggregator` resolved through the registry
 * (Sở NN&PTNT before 01/3/2025, Sở Nông nghiệp và Môi trường from then on). Null when the
 * registry leaves it undecided. The one function to use wherever the aggregator agency is needed.
 */
export function aggregatorOf(plan: LoadedPlan, date: string): AgencyRef | null {
  const resolution = aggregatorOn(plan.definition, plan.registry, date);
  return resolution.resolved
    ? { code: resolution.code, name: agencyNameFor(plan, resolution.code, date) }
    : null;
}

/** The aggregator of the plan's cycle `year`, as of its reference date (1 January). */
export function cycleAggregator(plan: LoadedPlan, year: number): AgencyRef | null {
  return aggregatorOf(plan, rosterReferenceDate(year));
}

/** The roster of the plan's cycle `year` as the API shows it (aggregator, exclusions, reasons). */
export function describeRoster(
  plan: LoadedPlan,
  year: number,
  roster: Roster = cycleRoster(plan, year),
): CycleRosterInfo {
  return {
    asOf: roster.asOf,
    aggregator: cycleAggregator(plan, year),
    excluded: roster.excluded.map(({ planAgency, resolution }) => ({
      agencyCode: planAgency,
      reason: resolution.reason,
      detail: resolution.detail,
    })),
  };
}
