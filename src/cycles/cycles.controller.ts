import { Body, Controller, Get, Param, Post, Res } from '@nestjs/common';
import { YearPipe } from '../common/year.pipe.js';
import { ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Roles } from '../auth/auth.decorators.js';
import { CurrentCaller } from '../common/caller.js';
import { OpenCycleDto } from '../obligations/obligation.dto.js';
import type { Caller } from '../obligations/obligation-view.js';
import { CycleService } from './cycle.service.js';

@ApiTags('cycles')
@Controller('plans/:planId/cycles')
export class CyclesController {
  constructor(private readonly cycles: CycleService) {}

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

  @Get(':year')
  summary(@Param('planId') planId: string, @Param('year', YearPipe) year: number) {
    return this.cycles.summary(planId, year);
  }
}
