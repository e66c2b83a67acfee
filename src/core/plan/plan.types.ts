/**
 * The shape of a plan definition (a file in `workflows/<plan-id>/plan.yaml`) after validation.
 * Pure types: the schema in plan.schema.ts produces exactly this.
 */

/** Agency groups used for selection ("các sở, ban, ngành", "UBND các huyện") and statistics. */
export type AgencyGroup = 'department' | 'bank' | 'district' | 'requested';

/** Directed obligations are ordered by the issuer; requested ones are "Đề nghị" (no sanction). */
export type ObligationKind = 'directed' | 'requested';

export interface AgencyDefinition {
  /** Stable code, e.g. SO_NNPTNT (DOMAIN.md). */
  code: string;
  /** Official Vietnamese name, NFC. */
  name: string;
  group: AgencyGroup;
  kind: ObligationKind;
  /** Whether the agency owes a yearly report under this plan (Part III). */
  reports: boolean;
  /** Free tags such as `poor-district` (06 huyện nghèo). */
  tags: string[];
  /** Where the text names it, or why it is on the roster. */
  note?: string;
}

export interface BasisDocument {
  /** Number and symbol, e.g. "46-NQ/TW". */
  ref: string;
  /** Civil date YYYY-MM-DD, or null when the source does not state it. */
  date: string | null;
  title: string;
  issuer: string;
}

/** Who a task names: explicit agency codes and/or whole groups ("các sở, ban, ngành"). */
export interface AssigneeSelector {
  agencies: string[];
  groups: AgencyGroup[];
}

export interface TaskDefinition {
  /** Canonical id, unique in the plan, e.g. "II.1.1". */
  id: string;
  /** The label printed in the source, e.g. "2.1" (kept even when it is a typo). */
  printedLabel: string;
  /** The heading of the group of tasks this one belongs to (II.1, II.2, II.3). */
  section: string;
  text: string;
  kind: ObligationKind;
  lead: AssigneeSelector;
  coordinating: AssigneeSelector;
}

/** A civil day of the year (month 1–12, day 1–31) that recurs every cycle. */
export interface RecurringDate {
  month: number;
  day: number;
}

/**
 * How "trước ngày 15/11" becomes an instant.
 * - `fixed-exclusive`: due at 00:00 local time on that date.
 * - `civil-code-roll-forward`: Civil Code Art. 147–148, the period ends at the close of the last
 *   day before it, rolled forward to the next working day when that day is not one.
 */
export type DeadlinePolicy = 'fixed-exclusive' | 'civil-code-roll-forward';

export interface CycleDefinition {
  frequency: 'yearly';
  /** First cycle year the plan applies to. */
  firstYear: number;
  /** Last cycle year, or null when open-ended. */
  lastYear: number | null;
  timeZone: string;
  report: {
    due: RecurringDate;
    policy: DeadlinePolicy;
    /** The source wording, e.g. "định kỳ trước ngày 15/11 hằng năm". */
    sourceText: string;
  };
  /** Agency code that receives and aggregates the reports (focal point). */
  aggregator: string;
  /** The body the aggregator reports to. */
  reportsTo: { code: string; name: string };
  /** Not stated in the source: optional and null when unset. */
  agencyPlanDue: RecurringDate | null;
  aggregationDue: RecurringDate | null;
}

export interface DayOffset {
  days: number;
  unit: 'calendar' | 'working';
}

export type EscalationRecipient = 'agency' | 'aggregator' | 'aggregator-leadership' | 'leader';

export interface EscalationLadder {
  /** Reminders before the report deadline. */
  reminders: Array<{ before: DayOffset; notify: EscalationRecipient[] }>;
  /** Levels after the deadline; level 1 is the deadline passing. */
  levels: Array<{ level: number; after: DayOffset; notify: EscalationRecipient[] }>;
  /** Highest level applied to requested bodies (reminders and the overdue notice only). */
  requestedMaxLevel: number;
}

/**
 * The plan's choice, for one of its tasks, of the successor that takes over the task of an agency
 * the registry splits among several successors (e.g. Sở LĐ-TB&XH's vocational training, II.2.1,
 * to Sở Giáo dục và Đào tạo). The obligation follows the choices of the tasks naming the agency.
 */
export interface SuccessionChoice {
  /** The plan agency that was split. */
  agency: string;
  /** The task (naming the agency) whose function decides the successor. */
  task: string;
  /** One of the registry's successors of `agency`. */
  successor: string;
  /** Why (the function that moved), for people. */
  note?: string;
}

export interface PlanDefinition {
  id: string;
  title: string;
  issuer: {
    code: string;
    name: string;
    signer: { authority: string; title: string; name: string };
  };
  /** Number/symbol and date of the plan itself, null when the source does not state them. */
  number: string | null;
  issuedDate: string | null;
  basis: BasisDocument[];
  lifecycle: { machine: string; version: number };
  /**
   * The id of the effective-dated agency registry (`workflows/agencies/<id>.yaml`) that says
   * which agencies exist in a given year and who succeeds them; null: the roster never changes.
   */
  agencyRegistry: string | null;
  agencies: AgencyDefinition[];
  tasks: TaskDefinition[];
  /** Successor choices for split agencies, per task (empty when none is needed). */
  succession: SuccessionChoice[];
  cycle: CycleDefinition;
  escalation: EscalationLadder;
}
