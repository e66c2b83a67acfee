/**
 * `GET /api/plans/:planId/cycles/:year/report.docx` and `…/status.xlsx` (`?at=` as of a time):
 * the consolidated report and the status table, as downloads with Vietnamese file names.
 */
import { Controller, Get, Param, Query, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Roles } from '../auth/auth.decorators.js';
import { CurrentCaller } from '../common/caller.js';
import { YearPipe } from '../common/year.pipe.js';
import type { Caller } from '../core/access/caller.js';
import { AsOfOnlyQuery } from '../cycles/as-of.query.js';
import { ReportsService, type ReportFile, type ReportKind } from './reports.service.js';
import { contentDisposition } from './vietnamese-format.js';

function send(res: Response, file: ReportFile): void {
  res.status(200);
  res.setHeader('Content-Type', file.contentType);
  res.setHeader('Content-Disposition', contentDisposition(file.fileName));
  res.setHeader('Content-Length', String(file.bytes.length));
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Dondoc-As-Of', file.at);
  res.setHeader('X-Dondoc-Content-Hash', file.contentHash);
  res.end(file.bytes);
}

@ApiTags('cycles')
@Controller('plans/:planId/cycles')
export class ReportsController {
  constructor(private readonly reports: ReportsService) {}

  private async download(
    kind: ReportKind,
    planId: string,
    year: number,
    q: AsOfOnlyQuery,
    caller: Caller,
    res: Response,
  ): Promise<void> {
    send(res, await this.reports.render(kind, planId, year, q.at, caller));
  }

  @Roles('admin', 'aggregator', 'leader', 'auditor')
  @Get(':year/report.docx')
  report(
    @Param('planId') planId: string,
    @Param('year', YearPipe) year: number,
    @Query() q: AsOfOnlyQuery,
    @CurrentCaller() caller: Caller,
    @Res() res: Response,
  ): Promise<void> {
    return this.download('docx', planId, year, q, caller, res);
  }

  @Roles('admin', 'aggregator', 'leader', 'auditor')
  @Get(':year/status.xlsx')
  status(
    @Param('planId') planId: string,
    @Param('year', YearPipe) year: number,
    @Query() q: AsOfOnlyQuery,
    @CurrentCaller() caller: Caller,
    @Res() res: Response,
  ): Promise<void> {
    return this.download('xlsx', planId, year, q, caller, res);
  }
}
