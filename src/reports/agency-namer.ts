/**
 * How documents and statistics name an agency: ONE function from an obligation's agency to the
 * name to print. With an agency registry, agencies are named as they were and as they are on the
 * document's date: "Sở Nông nghiệp và PTNT (nay là Sở Nông nghiệp và Môi trường)" (see
 * core/agency/agency-label.ts); a plan without one uses its roster names.
 */
import type { Provider } from '@nestjs/common';
import { agencyLabel } from '../core/agency/agency-label.js';
import { civilDateOf } from '../core/deadline/due-date.js';
import type { PlanDefinition } from '../core/plan/plan.types.js';
import { PlanRegistry, type LoadedPlan } from '../plans/plan-registry.service.js';

/**
 * The agency an obligation belongs to now (`code`) and, if it was transferred, the agency it was
 * opened for (`origin`) → the name to print. Pure: the same arguments always give the same name.
 */
export type AgencyNamer = (code: string, origin?: string) => string;

/** Makes the namer for one plan's cycle year, as of an instant (ISO; default: the year's end). */
export type AgencyNamerFactory = (plan: PlanDefinition, year: number, at?: string) => AgencyNamer;

export const AGENCY_NAMER = Symbol('AGENCY_NAMER');

/** The plan's own names (as of its roster); an unknown code is printed as itself. */
export function planAgencyNamer(plan: PlanDefinition): AgencyNamer {
  const names = new Map(plan.agencies.map((a) => [a.code, a.name]));
  return (code) => names.get(code) ?? code;
}

/**
 * Names on the civil date `asOf` from the plan's registry: an obligation transferred from an
 * agency that has since ended names both ("… (nay là …)"); one whose agency ended without a
 * transfer says what became of it; the rest keep their names on that date.
 */
export function registryAgencyNamer(plan: LoadedPlan, asOf: string): AgencyNamer {
  const registry = plan.registry;
  if (!registry) return planAgencyNamer(plan.definition);
  const fallback = planAgencyNamer(plan.definition);
  return (code, origin) => {
    if (origin !== undefined && origin !== code && registry.has(origin)) {
      return agencyLabel(registry, origin, asOf, { successor: code });
    }
    return registry.has(code) ? agencyLabel(registry, code, asOf) : fallback(code);
  };
}

export const agencyNamerProvider: Provider = {
  provide: AGENCY_NAMER,
  inject: [PlanRegistry],
  useFactory:
    (plans: PlanRegistry): AgencyNamerFactory =>
    (plan, year, at) => {
      const zone = plan.cycle.timeZone;
      const asOf = at ? civilDateOf(new Date(at), zone) : `${year}-12-31`;
      return registryAgencyNamer(plans.get(plan.id), asOf);
    },
};
