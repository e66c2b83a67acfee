/**
 * How documents and statistics name an agency: ONE function from an agency code to the name to
 * print. The default is the plan's roster name; a registry of agencies over time can provide
 * another (e.g. "Sở Nông nghiệp và PTNT (nay là Sở Nông nghiệp và Môi trường)") by replacing the
 * AGENCY_NAMER provider.
 */
import type { Provider } from '@nestjs/common';
import type { PlanDefinition } from '../core/plan/plan.types.js';

/** An agency code → the name to print. Must be pure: the same code always gives the same name. */
export type AgencyNamer = (code: string) => string;

/** Makes the namer for one plan's cycle year. */
export type AgencyNamerFactory = (plan: PlanDefinition, year: number) => AgencyNamer;

export const AGENCY_NAMER = Symbol('AGENCY_NAMER');

/** The plan's own names (as of its roster); an unknown code is printed as itself. */
export function planAgencyNamer(plan: PlanDefinition): AgencyNamer {
  const names = new Map(plan.agencies.map((a) => [a.code, a.name]));
  return (code) => names.get(code) ?? code;
}

export const agencyNamerProvider: Provider = {
  provide: AGENCY_NAMER,
  useValue: ((plan) => planAgencyNamer(plan)) satisfies AgencyNamerFactory,
};
