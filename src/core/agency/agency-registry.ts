/**
 * Queries over a validated agency registry: which record of a code is valid on a civil date,
 * which agencies end the day before a date, the name to show. Pure and immutable: built once from
 * a definition, it never reads a clock (every date is an argument).
 */
import type { AgencyRecord, AgencyRegistryDefinition } from './agency.types.js';
import { addDays } from './civil-date.js';

/** Whether the record is valid on the civil date (both ends inclusive). */
export function isRecordValidOn(r: AgencyRecord, date: string): boolean {
  return (r.validFrom === null || r.validFrom <= date) && (r.validTo === null || date <= r.validTo);
}

export class AgencyRegistry {
  private readonly byCode = new Map<string, AgencyRecord[]>();

  constructor(readonly definition: AgencyRegistryDefinition) {
    for (const r of definition.agencies) {
      const list = this.byCode.get(r.code) ?? [];
      list.push(r);
      this.byCode.set(r.code, list);
    }
    // Oldest period first (a null validFrom is the oldest).
    for (const list of this.byCode.values())
      list.sort((a, b) => (a.validFrom ?? '').localeCompare(b.validFrom ?? ''));
  }

  get id(): string {
    return this.definition.id;
  }

  has(code: string): boolean {
    return this.byCode.has(code);
  }

  /** Every record, in file order. */
  all(): readonly AgencyRecord[] {
    return this.definition.agencies;
  }

  /** The periods of one code, oldest first (empty when unknown). */
  records(code: string): readonly AgencyRecord[] {
    return this.byCode.get(code) ?? [];
  }

  /** The record of `code` valid on `date`, or null. */
  recordOn(code: string, date: string): AgencyRecord | null {
    return this.records(code).find((r) => isRecordValidOn(r, date)) ?? null;
  }

  isValidOn(code: string, date: string): boolean {
    return this.recordOn(code, date) !== null;
  }

  /** The records valid on `date`, in file order. */
  listOn(date: string): AgencyRecord[] {
    return this.definition.agencies.filter((r) => isRecordValidOn(r, date));
  }

  /**
   * The record of `code` that ends the day before `date` when the code does not go on under
   * another record on `date`: the agency ends, and `date` is its succession date. Null otherwise.
   */
  endingBefore(code: string, date: string): AgencyRecord | null {
    const ended = this.records(code).find((r) => r.validTo === addDays(date, -1)) ?? null;
    return ended && !this.isValidOn(code, date) ? ended : null;
  }

  /** The latest record of `code` that ended before `date` (validTo < date), or null. */
  lastEndedBefore(code: string, date: string): AgencyRecord | null {
    const ended = this.records(code).filter((r) => r.validTo !== null && r.validTo < date);
    return ended[ended.length - 1] ?? null;
  }

  /**
   * The record whose name stands for `code` on `date`: the one valid then, else the first one
   * after it (an agency named before it existed, e.g. a successor on an old obligation), else the
   * last one before it. Null for an unknown code.
   */
  nameRecord(code: string, date: string): AgencyRecord | null {
    const list = this.records(code);
    return (
      list.find((r) => isRecordValidOn(r, date)) ??
      list.find((r) => r.validFrom !== null && r.validFrom > date) ??
      list[list.length - 1] ??
      null
    );
  }

  /** The days on which some agency ends (the day after a validTo): the succession dates, sorted. */
  successionDates(): string[] {
    const dates = new Set<string>();
    for (const r of this.definition.agencies) {
      if (r.validTo !== null && !this.isValidOn(r.code, addDays(r.validTo, 1)))
        dates.add(addDays(r.validTo, 1));
    }
    return [...dates].sort();
  }
}
