/** Where a TRANSFER may send an obligation: checked in the command path, inside its transaction. */
import { civilDateOf } from '../core/deadline/due-date.js';
import { DomainError, ErrorCode } from '../core/errors.js';
import type { LoadedPlan } from '../plans/plan-registry.service.js';

/**
 * The agency a TRANSFER moves the obligation to: another agency, valid at the transfer's
 * effective time in the plan's registry (or on the plan's roster, for a plan without one).
 * AGENCY_NOT_VALID (422) otherwise.
 */
export function checkTransferTarget(
  plan: LoadedPlan,
  fromAgency: string,
  payload: { toAgency: string },
  effectiveAt: number,
): string {
  const { toAgency } = payload;
  const zone = plan.registry?.definition.timeZone ?? plan.definition.cycle.timeZone;
  const date = civilDateOf(new Date(effectiveAt), zone);
  const refuse = (message: string, details: Record<string, unknown> = {}): never => {
    throw new DomainError(ErrorCode.AGENCY_NOT_VALID, message, {
      toAgency,
      fromAgency,
      date,
      ...details,
    });
  };
  if (toAgency === fromAgency) refuse(`The obligation already belongs to ${toAgency}`);
  const registry = plan.registry;
  if (!registry) {
    if (!plan.agencies.has(toAgency))
      refuse(`${toAgency} is not an agency of plan ${plan.definition.id}`);
    return toAgency;
  }
  if (!registry.has(toAgency)) {
    refuse(`${toAgency} is not in agency registry ${registry.id}`, { registry: registry.id });
  }
  if (!registry.isValidOn(toAgency, date)) {
    const validity = registry
      .records(toAgency)
      .map((r) => ({ validFrom: r.validFrom, validTo: r.validTo }));
    refuse(
      `${toAgency} is not valid on ${date} (the transfer's effective date) in agency registry ${registry.id}`,
      { registry: registry.id, validity },
    );
  }
  return toAgency;
}
