/**
 * The cycle's documents for download and for the CLI: loads the cycle as of a time, builds the
 * documents' input and renders it (src/reports/*.docx.ts, *.xlsx.ts: data → bytes).
 */
import { Inject, Injectable } from '@nestjs/common';
import type { Caller } from '../core/access/caller.js';
import { DomainError, ErrorCode } from '../core/errors.js';
import { CycleStatsService } from '../cycles/cycle-stats.service.js';
import { aggregatorOf } from '../agencies/plan-agencies.js';
import { civilDateOf } from '../core/deadline/due-date.js';
import { AGENCY_NAMER, type AgencyNamer, type AgencyNamerFactory } from './agency-namer.js';
import type { RenderedDocument, ReportInput } from './report-content.js';
import { reportInputFrom } from './report-input.js';
import { withoutMarks } from './vietnamese-format.js';

export type ReportKind = 'docx' | 'xlsx';

export interface ReportFile extends RenderedDocument {
  contentType: string;
  /** Vietnamese, for downloads: "Báo cáo tổng hợp thanh-hoa-nq46 năm 2024.docx". */
  fileName: string;
  /** ASCII, for files the CLI writes: "bao-cao-tong-hop-thanh-hoa-nq46-nam-2024.docx". */
  asciiFileName: string;
}

const KINDS: Record<
  ReportKind,
  {
    title: string;
    contentType: string;
    render: (input: ReportInput, options: { namer: AgencyNamer }) => Promise<RenderedDocument>;
  }
> = {
  // The document libraries are loaded on first use: they would slow every start of the server
  // and of each CLI command by seconds.
  docx: {
    title: 'Báo cáo tổng hợp',
    contentType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    render: async (input, options) =>
      (await import('./consolidated-report.docx.js')).renderConsolidatedReportDocx(input, options),
  },
  xlsx: {
    title: 'Bảng tình trạng báo cáo',
    contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    render: async (input, options) =>
      (await import('./status-table.xlsx.js')).renderStatusTableXlsx(input, options),
  },
};

function asciiName(name: string): string {
  return withoutMarks(name)
    .toLowerCase()
    .replace(/[^a-z0-9.]+/g, '-')
    .replace(/-+\./g, '.');
}

@Injectable()
export class ReportsService {
  constructor(
    private readonly stats: CycleStatsService,
    @Inject(AGENCY_NAMER) private readonly namers: AgencyNamerFactory,
  ) {}

  /** The documents' input and namer for a cycle as of `at` (default now). */
  async input(
    planId: string,
    year: number,
    at?: string,
  ): Promise<{ input: ReportInput; namer: AgencyNamer }> {
    const snap = await this.stats.snapshot(planId, year, at);
    const report = snap.cycle.consolidatedReport;
    const input = reportInputFrom({
      plan: snap.plan.definition,
      year,
      at: snap.at,
      cycleDueAt: new Date(snap.cycle.dueAt).toISOString(),
      consolidatedReport: report
        ? { ref: report.ref, reportedAt: new Date(report.reportedAt).toISOString() }
        : null,
      facts: snap.facts,
      issuingBodyName: aggregatorOf(
        snap.plan,
        civilDateOf(new Date(snap.at), snap.plan.definition.cycle.timeZone),
      )?.name,
    });
    return { input, namer: this.namers(snap.plan.definition, year, snap.at) };
  }

  /**
   * Documents of the cycle, all from one snapshot (so they show the same data). They cover every
   * agency, so an officer (who sees only their own agency's obligations) may not have them.
   */
  async renderAll(
    kinds: readonly ReportKind[],
    planId: string,
    year: number,
    at: string | undefined,
    caller: Caller,
  ): Promise<ReportFile[]> {
    if (caller.role === 'officer') {
      throw new DomainError(
        ErrorCode.FORBIDDEN,
        "Forbidden: the cycle's documents cover every agency; an officer sees only their own",
      );
    }
    const { input, namer } = await this.input(planId, year, at);
    const files: ReportFile[] = [];
    for (const kind of kinds) {
      const spec = KINDS[kind];
      const rendered = await spec.render(input, { namer });
      const fileName = `${spec.title} ${planId} năm ${year}.${kind}`;
      files.push({
        ...rendered,
        contentType: spec.contentType,
        fileName,
        asciiFileName: asciiName(fileName),
      });
    }
    return files;
  }

  /** One document of the cycle (see renderAll). */
  async render(
    kind: ReportKind,
    planId: string,
    year: number,
    at: string | undefined,
    caller: Caller,
  ): Promise<ReportFile> {
    const [file] = await this.renderAll([kind], planId, year, at, caller);
    return file!;
  }
}
