/** The API shape of an obligation (CONTRACT.md), computed from its row, its plan and `now`. */
import { agencyNameInCycle } from '../agencies/plan-agencies.js';
import { describeDue, isDone } from '../core/deadline/obligation-status.js';
import type { DueDerivation } from '../core/deadline/due-date.js';
import { acceptedEvents } from '../core/machine/obligation-engine.js';
import { eventDenial, type Caller } from '../core/access/caller.js';
import type { EventType, Stage } from '../core/machine/obligation-events.js';
import type { ObligationKind } from '../core/plan/plan.types.js';
import type { LoadedPlan } from '../plans/plan-registry.service.js';
import type { ObligationRecord } from './obligation.repository.js';
import { isoInstant } from '../core/instant.js';

export interface ObligationView {
  id: string;
  planId: string;
  year: number;
  agencyCode: string;
  agencyName: string;
  /** The agency the obligation was opened for (differs from agencyCode after a TRANSFER). */
  originAgencyCode: string;
  kind: ObligationKind;
  stage: Stage;
  overdue: boolean;
  escalationLevel: number;
  dueAt: string;
  dueDerivation:
    DueDerivation | { policy: 'extended'; newDueDate: string; basis: string; explanation: string };
  allowedEvents: EventType[];
  version: number;
  machineVersion: string;
  createdAt: string;
  updatedAt: string;
}

export type { Caller } from '../core/access/caller.js';

/**
 * The instant from which the obligation is late, while it stays as it is: its due instant while
 * it is open and its report not submitted; null when time alone never makes it late.
 */
export function overdueFrom(o: Pick<ObligationRecord, 'stage' | 'dueAt'>): number | null {
  return o.stage !== 'withdrawn' && !isDone(o.stage) ? o.dueAt : null;
}

/** Whether the obligation is late at `now`: open, its report not submitted, its due instant past. */
export function isOverdue(o: Pick<ObligationRecord, 'stage' | 'dueAt'>, now: number): boolean {
  const from = overdueFrom(o);
  return from !== null && now >= from;
}

/**
 * The span of time around `now` in which no obligation of `rows` changes whether it is overdue:
 * `from <= t < until` (either end may be infinite).
 */
export function overdueSteady(
  rows: ReadonlyArray<Pick<ObligationRecord, 'stage' | 'dueAt'>>,
  now: number,
): { from: number; until: number } {
  let from = -Infinity;
  let until = Infinity;
  for (const o of rows) {
    const at = overdueFrom(o);
    if (at === null) continue;
    if (at <= now) from = Math.max(from, at);
    else until = Math.min(until, at);
  }
  return { from, until };
}

export function toView(
  o: ObligationRecord,
  plan: LoadedPlan,
  now: Date,
  caller: Caller,
): ObligationView {
  const context = o.snapshot.context;
  const accepted = acceptedEvents(o.machineVersion, o.snapshot);
  return {
    id: o.id,
    planId: o.planId,
    year: o.year,
    agencyCode: o.agencyCode,
    // The registry's name as of the cycle year (or the first one after, for a successor).
    agencyName: agencyNameInCycle(plan, o.agencyCode, o.year),
    originAgencyCode: o.originAgencyCode,
    kind: o.kind,
    stage: o.stage,
    overdue: isOverdue(o, now.getTime()),
    escalationLevel: context.escalationLevel,
    dueAt: isoInstant(o.dueAt),
    dueDerivation: describeDue(plan.definition.cycle, o.year, context, plan.calendar),
    allowedEvents: accepted.filter((e) => eventDenial(caller, o.agencyCode, e) === null),
    version: o.version,
    machineVersion: o.machineVersion,
    createdAt: isoInstant(o.createdAt),
    updatedAt: isoInstant(o.updatedAt),
  };
}
