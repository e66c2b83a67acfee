/** Who is acting, and what each role may do. Pure: the single source of the permission rules. */
import type { EventType } from '../machine/obligation-events.js';

export const ROLES = ['admin', 'aggregator', 'officer', 'leader', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

/** The acting user of a command or query; `system` is the scheduler. */
export interface Caller {
  name: string;
  role: Role | 'system';
  /** The agency an officer belongs to (required for officers, optional otherwise). */
  agencyCode: string | null;
  system: boolean;
}

export const SCHEDULER: Caller = {
  name: 'system:scheduler',
  role: 'system',
  agencyCode: null,
  system: true,
};

/** Which roles may send each event (officers only for their own agency). */
const EVENT_ROLES: Record<EventType, ReadonlyArray<Caller['role']>> = {
  START_IMPLEMENTATION: ['officer'],
  // The aggregator records a report received on paper (with its receipt date as effectiveAt).
  SUBMIT_REPORT: ['officer', 'aggregator'],
  RETURN_REPORT: ['aggregator'],
  VERIFY_REPORT: ['aggregator'],
  AGGREGATE: ['aggregator'],
  REPORT_TO_UBND: ['aggregator'],
  EXTEND_DEADLINE: ['aggregator', 'admin'],
  WITHDRAW: ['admin'],
  // Moving an obligation to another agency (a successor) is an administrator's decision.
  TRANSFER: ['admin'],
  REMIND: ['system'],
  DEADLINE_PASSED: ['system'],
  ESCALATE: ['system'],
};

/** Whether the caller may send `type` to an obligation of `agencyCode`; null, or why not. */
export function eventDenial(caller: Caller, agencyCode: string, type: EventType): string | null {
  if (!EVENT_ROLES[type].includes(caller.role)) {
    return `${type} may be sent by ${EVENT_ROLES[type].join(' or ')}, not by ${caller.role}`;
  }
  if (caller.role === 'officer' && caller.agencyCode !== agencyCode) {
    return `officer of ${caller.agencyCode ?? 'no agency'} may not act for ${agencyCode}`;
  }
  return null;
}

/**
 * What `eventDenial` looks at of the caller for obligations of `agencyCode`: two callers with the
 * same audience get the same answers for every event (the role, and for an officer whether the
 * obligation is their own agency's). Keys cached views that list `allowedEvents`.
 */
export function eventAudience(caller: Caller, agencyCode: string): string {
  if (caller.role !== 'officer') return caller.role;
  return caller.agencyCode === agencyCode ? 'officer:own' : 'officer:other';
}

/** Whether the caller may read obligations of `agencyCode`; null, or why not. */
export function readDenial(caller: Caller, agencyCode: string): string | null {
  if (caller.role === 'officer' && caller.agencyCode !== agencyCode) {
    return `officer of ${caller.agencyCode ?? 'no agency'} may not see ${agencyCode}'s obligations`;
  }
  return null;
}

/**
 * Only the aggregator (and the scheduler) may record that something happened in the past, and an
 * administrator a TRANSFER (a succession takes effect on its legal date, often recorded later).
 */
export function mayBackdate(caller: Caller, type?: EventType): boolean {
  return (
    caller.role === 'aggregator' ||
    caller.system ||
    (caller.role === 'admin' && type === 'TRANSFER')
  );
}

/** Roles allowed to manage users, cycles and the clock. */
export function isAdmin(caller: Caller): boolean {
  return caller.role === 'admin';
}
