/**
 * A cycle's statistics as the Government Office counts them (Quyết định 42/2014/QĐ-TTg): each
 * obligation's status at an instant, the counts by stage and status, the completion rate among
 * obligations whose deadline has passed, the overdue list and the same figures per agency group.
 * Pure: the facts and the instant are arguments; the same input always gives the same result.
 */
import { STATUSES, statusOf, type Status } from '../deadline/obligation-status.js';
import { STAGES, type Stage } from '../machine/obligation-events.js';

/** What the statistics need to know of one obligation, as of the instant they are taken. */
export interface ObligationFacts {
  obligationId: string;
  agencyCode: string;
  /** The agency the obligation was opened for, when a TRANSFER has moved it since. */
  originAgencyCode?: string;
  /** The agency's group (`department`, `bank`, `district`, `requested`, …); null if unknown. */
  group: string | null;
  /** The agency's tags, e.g. `poor-district`. */
  tags: readonly string[];
  /** The stage at the instant; null when the obligation did not exist yet. */
  stage: Stage | null;
  /** The due instant at the instant (extensions included), ISO; null when not opened. */
  dueAt: string | null;
  /** Effective time of the report's submission (a paper report's receipt date), ISO. */
  submittedAt: string | null;
  reportRef: string | null;
  reportSummary: string | null;
  escalationLevel: number;
}

/** An obligation with its status at the instant. */
export interface ObligationStatusRow extends ObligationFacts {
  /** Null for a withdrawn obligation and one not opened yet: they count in no status. */
  status: Status | null;
  /** Whether its deadline had passed at the instant (withdrawn and unopened ones: false). */
  pastDue: boolean;
  /** The key of the first group bucket it belongs to by its group (not by a tag). */
  groupKey: string;
}

/**
 * A bucket of the breakdown: the obligations of agencies in any of `groups`, or carrying any of
 * `tags`. Buckets may overlap (the poor districts are districts too).
 */
export interface StatisticsGroup {
  key: string;
  /** Vietnamese, as documents print it. */
  label: string;
  groups: readonly string[];
  tags: readonly string[];
}

/** The breakdown of the issue: "sở, ban, ngành" (with the bank), districts, requested, poor districts. */
export const STATISTICS_GROUPS: readonly StatisticsGroup[] = [
  { key: 'departments', label: 'Sở, ban, ngành', groups: ['department', 'bank'], tags: [] },
  {
    key: 'districts',
    label: 'UBND các huyện, thị xã, thành phố',
    groups: ['district'],
    tags: [],
  },
  {
    key: 'requested',
    label: 'Mặt trận Tổ quốc và các đoàn thể chính trị - xã hội',
    groups: ['requested'],
    tags: [],
  },
  { key: 'poor-districts', label: 'Các huyện nghèo', groups: [], tags: ['poor-district'] },
];

/** Where an obligation of a group no bucket names is counted (listed only when not empty). */
export const OTHER_GROUP: StatisticsGroup = {
  key: 'other',
  label: 'Cơ quan, đơn vị khác',
  groups: [],
  tags: [],
};

export interface Tally {
  /** Obligations in the bucket (withdrawn and not yet opened ones included). */
  total: number;
  byStatus: Record<Status, number>;
  withdrawn: number;
  notOpened: number;
  /** Obligations with a status whose deadline had passed. */
  pastDue: number;
  /** Of those, the ones whose report was in (hoàn thành, on time or late). */
  completedPastDue: number;
  /** completedPastDue / pastDue; null when no deadline had passed. */
  completionRate: number | null;
}

export interface GroupTally extends Tally {
  key: string;
  label: string;
}

export interface CycleStatistics {
  /** The instant the statistics are taken at, ISO. */
  at: string;
  totals: Tally;
  byStage: Record<Stage, number>;
  /** One entry per bucket of `groups` (in that order), then `other` when it is not empty. */
  byGroup: GroupTally[];
  /** The IN_PROGRESS_OVERDUE rows, in input order. */
  overdue: ObligationStatusRow[];
  /** Every obligation with its status, in input order. */
  rows: ObligationStatusRow[];
}

function emptyTally(): Tally {
  return {
    total: 0,
    byStatus: Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<Status, number>,
    withdrawn: 0,
    notOpened: 0,
    pastDue: 0,
    completedPastDue: 0,
    completionRate: null,
  };
}

function count(tally: Tally, row: ObligationStatusRow): void {
  tally.total += 1;
  if (row.stage === null) tally.notOpened += 1;
  else if (row.stage === 'withdrawn') tally.withdrawn += 1;
  if (row.status) tally.byStatus[row.status] += 1;
  if (row.pastDue) {
    tally.pastDue += 1;
    if (row.status === 'DONE_ON_TIME' || row.status === 'DONE_LATE') tally.completedPastDue += 1;
  }
  tally.completionRate = tally.pastDue === 0 ? null : tally.completedPastDue / tally.pastDue;
}

function inBucket(bucket: StatisticsGroup, facts: ObligationFacts): boolean {
  return (
    (facts.group !== null && bucket.groups.includes(facts.group)) ||
    bucket.tags.some((t) => facts.tags.includes(t))
  );
}

/** The status of one obligation at `atMs`, and whether its deadline had passed. */
export function statusRow(
  facts: ObligationFacts,
  atMs: number,
  groups: readonly StatisticsGroup[] = STATISTICS_GROUPS,
): ObligationStatusRow {
  const groupKey =
    groups.find((b) => facts.group !== null && b.groups.includes(facts.group))?.key ??
    OTHER_GROUP.key;
  if (facts.stage === null || facts.dueAt === null) {
    return { ...facts, status: null, pastDue: false, groupKey };
  }
  const dueMs = Date.parse(facts.dueAt);
  const status = statusOf(facts.stage, { submittedAt: facts.submittedAt }, dueMs, atMs);
  return { ...facts, status, pastDue: status !== null && atMs >= dueMs, groupKey };
}

/** The statistics of a cycle's obligations at `at` (ISO instant). */
export function cycleStatistics(input: {
  obligations: readonly ObligationFacts[];
  at: string;
  groups?: readonly StatisticsGroup[];
}): CycleStatistics {
  const atMs = Date.parse(input.at);
  if (Number.isNaN(atMs)) throw new RangeError(`not an instant: ${input.at}`);
  const buckets = input.groups ?? STATISTICS_GROUPS;
  const totals = emptyTally();
  const byStage = Object.fromEntries(STAGES.map((s) => [s, 0])) as Record<Stage, number>;
  const byGroup: GroupTally[] = buckets.map((b) => ({
    key: b.key,
    label: b.label,
    ...emptyTally(),
  }));
  const other: GroupTally = { key: OTHER_GROUP.key, label: OTHER_GROUP.label, ...emptyTally() };
  const rows = input.obligations.map((facts) => statusRow(facts, atMs, buckets));
  for (const row of rows) {
    count(totals, row);
    if (row.stage !== null) byStage[row.stage] += 1;
    let counted = false;
    buckets.forEach((bucket, i) => {
      if (!inBucket(bucket, row)) return;
      count(byGroup[i]!, row);
      if (bucket.groups.length) counted = true;
    });
    if (!counted) count(other, row);
  }
  return {
    at: new Date(atMs).toISOString(),
    totals,
    byStage,
    byGroup: other.total ? [...byGroup, other] : byGroup,
    overdue: rows.filter((r) => r.status === 'IN_PROGRESS_OVERDUE'),
    rows,
  };
}
