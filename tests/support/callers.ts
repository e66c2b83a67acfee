/** Callers for service-level tests: one per role, officers bound to an agency. */
import type { Caller } from '../../src/core/access/caller.js';
import { SCHEDULER } from '../../src/core/access/caller.js';

export const officerOf = (agencyCode: string): Caller => ({
  name: `officer.${agencyCode.toLowerCase()}`,
  role: 'officer',
  agencyCode,
  system: false,
});
export const aggregator: Caller = {
  name: 'tonghop.snn',
  role: 'aggregator',
  agencyCode: 'SO_NNPTNT',
  system: false,
};
export const admin: Caller = { name: 'admin', role: 'admin', agencyCode: null, system: false };
export const auditor: Caller = {
  name: 'kiemtoan',
  role: 'auditor',
  agencyCode: null,
  system: false,
};
export const scheduler: Caller = SCHEDULER;
