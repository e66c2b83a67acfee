import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { YearPipe } from '../common/year.pipe.js';
import { ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';
import type { Response } from 'express';
import { Roles } from '../auth/auth.decorators.js';
import { CurrentCaller } from '../common/caller.js';
import { OpenCycleDto } from '../obligations/obligation.dto.js';
import type { Caller } from '../obligations/obligation-view.js';
import { AsOfOnlyQuery } from './as-of.query.js';
import { CycleStatsService } from './cycle-stats.service.js';
import { CycleService } from './cycle.service.js';
import { ReportToUbndService } from './report-to-ubnd.service.js';

export class ReportToUbndDto {
  @ApiProperty({ example: '15/BC-SNN', description: "the consolidated report's number and symbol" })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  consolidatedReportRef: string;
}

@ApiTags('cycles')
@Controller('plans/:planId/cycles')
export class CyclesController {
  constructor(
    private readonly cycles: CycleService,
    private readonly stats: CycleStatsService,
    private readonly reportToUbnd: ReportToUbndService,
  ) {}

  /** 201 when the cycle is opened now, 200 with the same body when it was already open. */
  @Roles('admin')
  @Post()
  async open(
    @Param('planId') planId: string,
    @Body() body: OpenCycleDto,
    @CurrentCaller() caller: Caller,
    @Res({ passthrough: true }) res: Response,
  ) {
    const result = await this.cycles.open(planId, body.year, caller);
    res.status(result.created ? 201 : 200);
    const { planId: id, year, obligations, roster } = result;
    return { planId: id, year, obligations, roster };
  }

  /** Counts by stage and status, completion rate, overdue list, breakdown by group; `?at=`. */
  @Get(':year')
  summary(
    @Param('planId') planId: string,
    @Param('year', YearPipe) year: number,
    @Query() q: AsOfOnlyQuery,
  ) {
    return this.stats.statistics(planId, year, q.at);
  }

  /** Every aggregated obligation to reported_to_ubnd, in one transaction (aggregator only). */
  @Roles('aggregator')
  @Post(':year/report-to-ubnd')
  @HttpCode(200)
  report(
    @Param('planId') planId: string,
    @Param('year', YearPipe) year: number,
    @Body() body: ReportToUbndDto,
    @CurrentCaller() caller: Caller,
  ) {
    return this.reportToUbnd.report(planId, year, body.consolidatedReportRef, caller);
  }
}
