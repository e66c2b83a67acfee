/**
 * What the consolidated report and the status table show, computed once from the cycle's facts:
 * the statistics (pure core), each row with its agency's printed name and its dates, and the
 * content hash. Both documents render from this, so they always agree. Pure.
 */
import { canonicalJson, sha256Hex } from '../core/audit/event-hash.js';
import type { Status } from '../core/deadline/obligation-status.js';
import type { Stage } from '../core/machine/obligation-events.js';
import {
  cycleStatistics,
  STATISTICS_GROUPS,
  type CycleStatistics,
  type GroupTally,
  type ObligationFacts,
} from '../core/stats/cycle-stats.js';
import {
  NOT_OPENED_LABEL_VI,
  STAGE_LABELS_VI,
  STATUS_LABELS_VI,
  WITHDRAWN_LABEL_VI,
} from '../core/stats/labels.js';
import type { AgencyNamer } from './agency-namer.js';
import { lastDayOnTime, localDateTime } from './vietnamese-format.js';

/** The data of a cycle's documents: everything they show comes from here and the namer. */
export interface ReportInput {
  planId: string;
  /** The plan's title (trích yếu of the plan), e.g. "Thực hiện Nghị quyết số 46-NQ/TW …". */
  planTitle: string;
  /** Who issued the plan, e.g. "Ủy ban nhân dân tỉnh Thanh Hóa". */
  planIssuer: string;
  year: number;
  /** The zone civil dates are written in, e.g. Asia/Ho_Chi_Minh. */
  timeZone: string;
  /** The as-of instant of the data (ISO). */
  at: string;
  /** The body issuing the report, under its parent (Sở NN&PTNT under UBND tỉnh). */
  issuingBody: { name: string; parent: string };
  /** Whom the report goes to (UBND tỉnh). */
  recipient: { code: string; name: string };
  /** The place of the date line, e.g. "Thanh Hóa". */
  place: string;
  /** The cycle's due instant (ISO). */
  cycleDueAt: string;
  /** The consolidated report recorded on the cycle by `at`, if any: its ref fills "Số:". */
  consolidatedReport: { ref: string; reportedAt: string } | null;
  /** The signing authority (e.g. "KT. GIÁM ĐỐC" / "PHÓ GIÁM ĐỐC"); null name: signed by hand. */
  signer: { authority: string; title: string | null; name: string | null };
  /** One per obligation, in the order the documents list them. */
  obligations: readonly ObligationFacts[];
}

/** One obligation as both documents print it. */
export interface ReportRow {
  /** 1-based, in input order. */
  no: number;
  obligationId: string;
  agencyCode: string;
  agencyName: string;
  groupKey: string;
  groupLabel: string;
  /** Labels of the tag buckets it is in, e.g. ["Các huyện nghèo"]. */
  tagLabels: string[];
  stage: Stage | null;
  stageLabel: string;
  status: Status | null;
  statusLabel: string;
  /** The last civil day on time (extensions included), YYYY-MM-DD; null when not opened. */
  lastDay: string | null;
  /** Civil date of the submission's effective time, YYYY-MM-DD. */
  submittedOn: string | null;
  reportRef: string | null;
  reportSummary: string | null;
  escalationLevel: number;
}

export interface ReportContent {
  input: ReportInput;
  statistics: CycleStatistics;
  /**
   * The non-empty buckets of the breakdown; `subset` marks one chosen by tag, inside another (the
   * poor districts).
   */
  groups: Array<GroupTally & { subset: boolean }>;
  rows: ReportRow[];
  /** The as-of instant in the zone. */
  asOf: { date: string; time: string };
  /**
   * SHA-256 (hex) of the canonical JSON (sorted keys, NFC) of everything the documents show
   * except the as-of instant: the same figures give the same hash whenever they are printed.
   */
  contentHash: string;
}

/** A rendered document: its bytes and what identifies its content. */
export interface RenderedDocument {
  bytes: Buffer;
  contentHash: string;
  /** The as-of instant (ISO). */
  at: string;
}

/** The agency groups by key, for labels. */
const GROUP_LABELS = new Map(STATISTICS_GROUPS.map((g) => [g.key, g.label]));

export function reportContent(input: ReportInput, namer: AgencyNamer): ReportContent {
  const statistics = cycleStatistics({ obligations: input.obligations, at: input.at });
  const tagBuckets = STATISTICS_GROUPS.filter((g) => g.groups.length === 0);
  const rows: ReportRow[] = statistics.rows.map((r, i) => ({
    no: i + 1,
    obligationId: r.obligationId,
    agencyCode: r.agencyCode,
    agencyName: namer(r.agencyCode, r.originAgencyCode).normalize('NFC'),
    groupKey: r.groupKey,
    groupLabel:
      GROUP_LABELS.get(r.groupKey) ??
      statistics.byGroup.find((g) => g.key === r.groupKey)?.label ??
      r.groupKey,
    tagLabels: tagBuckets.filter((b) => b.tags.some((t) => r.tags.includes(t))).map((b) => b.label),
    stage: r.stage,
    stageLabel: r.stage === null ? NOT_OPENED_LABEL_VI : STAGE_LABELS_VI[r.stage],
    status: r.status,
    statusLabel: r.status
      ? STATUS_LABELS_VI[r.status]
      : r.stage === null
        ? NOT_OPENED_LABEL_VI
        : WITHDRAWN_LABEL_VI,
    lastDay: r.dueAt === null ? null : lastDayOnTime(r.dueAt, input.timeZone),
    submittedOn: r.submittedAt === null ? null : localDateTime(r.submittedAt, input.timeZone).date,
    reportRef: r.reportRef,
    reportSummary: r.reportSummary,
    escalationLevel: r.escalationLevel,
  }));
  const shown = {
    planId: input.planId,
    planTitle: input.planTitle,
    planIssuer: input.planIssuer,
    year: input.year,
    timeZone: input.timeZone,
    issuingBody: input.issuingBody,
    recipient: input.recipient,
    place: input.place,
    cycleDueAt: input.cycleDueAt,
    consolidatedReport: input.consolidatedReport,
    signer: input.signer,
    rows,
    totals: statistics.totals,
    byGroup: statistics.byGroup,
  };
  const subsets = new Set(tagBuckets.map((b) => b.key));
  return {
    input,
    statistics,
    // A bucket without obligations (e.g. districts once they are abolished) is not printed.
    groups: statistics.byGroup
      .filter((g) => g.total > 0)
      .map((g) => ({ ...g, subset: subsets.has(g.key) })),
    rows,
    asOf: localDateTime(input.at, input.timeZone),
    contentHash: sha256Hex(canonicalJson(shown)),
  };
}
