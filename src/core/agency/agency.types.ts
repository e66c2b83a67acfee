/**
 * The effective-dated agency registry (`workflows/agencies/<id>.yaml`) after validation: which
 * agencies exist on a given day, under which name, and who takes over when one ends.
 * Pure types: the schema in agency-registry.schema.ts produces exactly this.
 */
import type { AgencyGroup } from '../plan/plan.types.js';

/** Who takes over (all or some of) an agency's functions when it ends, from when, on what basis. */
export interface AgencySuccessor {
  /** The successor's code; a record of it is valid on `date`. */
  code: string;
  /** The first day the successor carries the functions: the day after the agency's `validTo`. */
  date: string;
  /** The legal basis, in Vietnamese: it becomes the `basis` of the TRANSFER events. */
  basis: string;
  /** When the agency is split: the functions that pass to this successor. */
  functions?: string;
}

/** One period of an agency's existence under one name: a code may have several, never overlapping. */
export interface AgencyRecord {
  /** Stable code, e.g. SO_NNPTNT (DOMAIN.md). */
  code: string;
  /** Official Vietnamese name in that period, NFC. */
  name: string;
  /** The short form used in running text, e.g. "Sở Nông nghiệp và PTNT". */
  shortName?: string;
  group: AgencyGroup;
  /** Free tags such as `poor-district`. */
  tags: string[];
  /** First day of validity (civil date, inclusive); null: since before the registry's records. */
  validFrom: string | null;
  /** Last day of validity (inclusive); null: still valid. */
  validTo: string | null;
  /** Who takes over when it ends; several when it is split; none when an administrator decides. */
  successors: AgencySuccessor[];
  /** Why it ended, in particular when no successor is recorded. */
  endNote?: string;
  note?: string;
}

export interface AgencyRegistryDefinition {
  /** kebab-case id that plans name in `agencyRegistry`, e.g. `thanh-hoa`. */
  id: string;
  title: string;
  /** The IANA zone its civil dates are in (Asia/Ho_Chi_Minh). */
  timeZone: string;
  agencies: AgencyRecord[];
}
