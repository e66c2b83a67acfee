/**
 * A plan's roster and aggregator as of a civil date: the plan's agencies resolved through the
 * agency registry (pure). A plan without a registry keeps its own roster unchanged.
 *
 * The reference date of a yearly cycle is 1 January of its year (in the plan's time zone): the
 * moment its obligations take effect (OBLIGATION_OPENED is effective at the start of the year).
 * The roster is therefore the agencies that exist when the year's obligations begin; an agency
 * that ends during the year keeps its obligation, which `TRANSFER` moves to its successor on the
 * succession date with its history.
 */
import type { ObligationKind, PlanDefinition } from '../plan/plan.types.js';
import type { AgencyRegistry } from './agency-registry.js';
import { resolveAgency, type Resolution, type SuccessionPlan } from './succession.js';

/** The civil date a cycle's roster and aggregator are resolved on: 1 January of the year. */
export function rosterReferenceDate(year: number): string {
  return `${String(year).padStart(4, '0')}-01-01`;
}

export interface RosterEntry {
  /** The agency that owes the obligation (valid on the reference date). */
  code: string;
  /** Directed when any plan agency it stands for is directed. */
  kind: ObligationKind;
  /** The plan's reporting agencies it stands for, in plan order (itself, or its predecessors). */
  planAgencies: string[];
}

export interface RosterExclusion {
  /** A reporting agency of the plan that has no obligation on the date. */
  planAgency: string;
  /** The last agency reached and why it is not valid on the date. */
  resolution: Extract<Resolution, { resolved: false }>;
}

export interface Roster {
  asOf: string;
  entries: RosterEntry[];
  excluded: RosterExclusion[];
}

type RosterPlan = SuccessionPlan & Pick<PlanDefinition, 'agencies'>;

/**
 * The reporting agencies of the plan as of `date`, one entry per agency that owes an obligation,
 * in the order of the plan's roster. Without a registry: the plan's own reporting agencies.
 */
export function rosterOn(plan: RosterPlan, registry: AgencyRegistry | null, date: string): Roster {
  const entries = new Map<string, RosterEntry>();
  const excluded: RosterExclusion[] = [];
  for (const agency of plan.agencies.filter((a) => a.reports)) {
    const resolution: Resolution = registry
      ? resolveAgency(plan, registry, agency.code, date)
      : { resolved: true, code: agency.code, via: [] };
    if (!resolution.resolved) {
      excluded.push({ planAgency: agency.code, resolution });
      continue;
    }
    const entry = entries.get(resolution.code);
    if (entry) {
      entry.planAgencies.push(agency.code);
      if (agency.kind === 'directed') entry.kind = 'directed';
    } else {
      entries.set(resolution.code, {
        code: resolution.code,
        kind: agency.kind,
        planAgencies: [agency.code],
      });
    }
  }
  return { asOf: date, entries: [...entries.values()], excluded };
}

/**
 * The plan's aggregator (focal point) on `date`: `cycle.aggregator` resolved through the registry
 * (e.g. Sở NN&PTNT until 28/02/2025, Sở Nông nghiệp và Môi trường after). Every place that needs
 * the aggregator agency asks this function.
 */
export function aggregatorOn(
  plan: SuccessionPlan & Pick<PlanDefinition, 'cycle'>,
  registry: AgencyRegistry | null,
  date: string,
): Resolution {
  return registry
    ? resolveAgency(plan, registry, plan.cycle.aggregator, date)
    : { resolved: true, code: plan.cycle.aggregator, via: [] };
}
