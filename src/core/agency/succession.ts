/**
 * Who takes over a plan's obligation when its agency ends. Pure: the registry says who succeeds
 * an agency; when it names several successors (a split), the plan's per-task choices decide; when
 * neither decides (no successor recorded, or a split the plan does not settle), the answer is
 * "undecided" with the reason, and an administrator decides. Nothing here guesses.
 */
import type { PlanDefinition } from '../plan/plan.types.js';
import type { AgencyRegistry } from './agency-registry.js';
import type { AgencyRecord } from './agency.types.js';
import { addDays } from './civil-date.js';

/** The plan facts a decision reads. */
export type SuccessionPlan = Pick<PlanDefinition, 'id' | 'succession'>;

/** Why no successor could be decided. */
export type UndecidedReason =
  /** The registry records no successor (e.g. an abolished district, an unknown successor). */
  | 'NO_SUCCESSOR'
  /** Split among several successors, and the plan chooses none for the agency's tasks. */
  | 'SPLIT_NOT_CHOSEN'
  /** Split, and the plan gives the agency's tasks to different successors. */
  | 'SPLIT_CONFLICT';

export interface DecidedSuccession {
  decided: true;
  from: string;
  to: string;
  /** The succession date: the first day of the successor (the day after `from` ended). */
  date: string;
  /** The registry's legal basis of this succession. */
  basis: string;
  /** `registry`: its only successor; `plan`: the plan's choice among several. */
  via: 'registry' | 'plan';
  /** The plan's tasks whose choice decided it (via `plan`). */
  tasks: string[];
}

export interface UndecidedSuccession {
  decided: false;
  from: string;
  date: string;
  reason: UndecidedReason;
  /** What an administrator needs to know, in English. */
  detail: string;
  /** The registry's successors of `from` (empty when none is recorded). */
  successors: string[];
}

export type SuccessionDecision = DecidedSuccession | UndecidedSuccession;

/** Who takes over the plan's obligation of the agency whose record `ended` has just ended. */
export function decideSuccession(
  plan: SuccessionPlan,
  registry: AgencyRegistry,
  ended: AgencyRecord,
): SuccessionDecision {
  const from = ended.code;
  const date = addDays(ended.validTo!, 1);
  const successors = ended.successors.map((s) => s.code);
  const undecided = (reason: UndecidedReason, detail: string): UndecidedSuccession => ({
    decided: false,
    from,
    date,
    reason,
    detail: `${detail}; an administrator decides (TRANSFER with a basis)`,
    successors,
  });
  if (ended.successors.length === 0) {
    return undecided(
      'NO_SUCCESSOR',
      `${from} ended on ${ended.validTo} with no successor in registry ${registry.id}` +
        (ended.endNote ? ` (${ended.endNote})` : ''),
    );
  }
  if (ended.successors.length === 1) {
    const only = ended.successors[0]!;
    return {
      decided: true,
      from,
      to: only.code,
      date,
      basis: only.basis,
      via: 'registry',
      tasks: [],
    };
  }
  const choices = plan.succession.filter(
    (c) => c.agency === from && successors.includes(c.successor),
  );
  const chosen = [...new Set(choices.map((c) => c.successor))];
  if (chosen.length === 0) {
    return undecided(
      'SPLIT_NOT_CHOSEN',
      `${from} was split among ${successors.join(', ')} on ${date}; plan ${plan.id} chooses none of them for its tasks`,
    );
  }
  if (chosen.length > 1) {
    const list = choices.map((c) => `${c.task} → ${c.successor}`).join(', ');
    return undecided(
      'SPLIT_CONFLICT',
      `${from} was split on ${date}; plan ${plan.id} gives its tasks to different successors (${list})`,
    );
  }
  const to = chosen[0]!;
  return {
    decided: true,
    from,
    to,
    date,
    basis: ended.successors.find((s) => s.code === to)!.basis,
    via: 'plan',
    tasks: choices.map((c) => c.task),
  };
}

/** Why an agency code does not resolve to an agency valid on the date. */
export type UnresolvedReason = UndecidedReason | 'NOT_IN_REGISTRY' | 'NOT_YET_VALID';

export type Resolution =
  | { resolved: true; code: string; via: DecidedSuccession[] }
  | {
      resolved: false;
      /** The last code reached (the one that ended undecided). */
      code: string;
      via: DecidedSuccession[];
      reason: UnresolvedReason;
      detail: string;
    };

/**
 * The agency that carries `code`'s obligations under the plan on `date`: `code` itself while it
 * is valid, else its successor (decided as above), followed through later successions.
 */
export function resolveAgency(
  plan: SuccessionPlan,
  registry: AgencyRegistry,
  code: string,
  date: string,
): Resolution {
  const via: DecidedSuccession[] = [];
  let current = code;
  // Each hop moves to a strictly later succession date, so this ends; the bound is a safeguard.
  for (let hops = 0; hops <= registry.all().length; hops++) {
    if (!registry.has(current)) {
      return {
        resolved: false,
        code: current,
        via,
        reason: 'NOT_IN_REGISTRY',
        detail: `${current} is not in registry ${registry.id}`,
      };
    }
    if (registry.isValidOn(current, date)) return { resolved: true, code: current, via };
    const ended = registry.lastEndedBefore(current, date);
    // Not valid on the date and never ended before it: it only starts later.
    if (!ended) {
      return {
        resolved: false,
        code: current,
        via,
        reason: 'NOT_YET_VALID',
        detail: `${current} is not yet valid on ${date} in registry ${registry.id}`,
      };
    }
    const decision = decideSuccession(plan, registry, ended);
    if (!decision.decided) {
      return {
        resolved: false,
        code: current,
        via,
        reason: decision.reason,
        detail: decision.detail,
      };
    }
    via.push(decision);
    current = decision.to;
  }
  throw new RangeError(`succession of ${code} does not end in registry ${registry.id}`);
}
