/**
 * The documents' input from a plan and its cycle's facts: who issues the report (the plan's
 * aggregator, under the body it reports to), where, and to whom. Pure.
 */
import type { ObligationFacts } from '../core/stats/cycle-stats.js';
import type { PlanDefinition } from '../core/plan/plan.types.js';
import type { ReportInput } from './report-content.js';

/**
 * The place of the date line: the province or city a provincial body sits in, read from the name
 * of the body the report goes to ("Ủy ban nhân dân tỉnh Thanh Hóa" → "Thanh Hóa"); the whole
 * name when it does not have that form.
 */
export function placeOf(authorityName: string): string {
  const m = /^(?:Ủy ban nhân dân|UBND)\s+(?:tỉnh|thành phố)\s+(.+)$/iu.exec(
    authorityName.normalize('NFC').trim(),
  );
  return m ? m[1]! : authorityName;
}

/** Who signs when the plan names no one: the head of the issuing body, by hand. */
export const DEFAULT_SIGNER: ReportInput['signer'] = {
  authority: 'GIÁM ĐỐC',
  title: null,
  name: null,
};

export function reportInputFrom(args: {
  plan: PlanDefinition;
  year: number;
  /** As-of instant, ISO. */
  at: string;
  cycleDueAt: string;
  consolidatedReport: { ref: string; reportedAt: string } | null;
  facts: readonly ObligationFacts[];
  signer?: ReportInput['signer'];
  /** The aggregator's name on the report's date (after a reorganisation, its successor's). */
  issuingBodyName?: string;
}): ReportInput {
  const { plan } = args;
  const aggregator = plan.cycle.aggregator;
  const reportsTo = plan.cycle.reportsTo;
  return {
    planId: plan.id,
    planTitle: plan.title,
    planIssuer: plan.issuer.name,
    year: args.year,
    timeZone: plan.cycle.timeZone,
    at: args.at,
    issuingBody: {
      name:
        args.issuingBodyName ??
        plan.agencies.find((a) => a.code === aggregator)?.name ??
        aggregator,
      parent: reportsTo.name,
    },
    recipient: { code: reportsTo.code, name: reportsTo.name },
    place: placeOf(reportsTo.name),
    cycleDueAt: args.cycleDueAt,
    consolidatedReport: args.consolidatedReport,
    signer: args.signer ?? DEFAULT_SIGNER,
    obligations: args.facts,
  };
}
