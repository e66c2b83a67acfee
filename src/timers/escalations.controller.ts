import { Controller, Get, HttpCode, Inject, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { Roles } from '../auth/auth.decorators.js';
import { CLOCK, VirtualClock } from '../clock/clocks.js';
import { CurrentCaller } from '../common/caller.js';
import type { Caller } from '../core/access/caller.js';
import type { Clock } from '../core/clock.js';
import { DomainError, ErrorCode } from '../core/errors.js';
import { EscalationQueryService } from './escalation-query.service.js';
import { SweepService } from './sweep.service.js';

export class EscalationsQuery {
  @IsOptional() @IsString() @MaxLength(100) planId?: string;
  @IsOptional() @Type(() => Number) @IsInt() @Min(2000) @Max(2200) year?: number;
}

@ApiTags('escalations')
@Controller()
export class EscalationsController {
  constructor(
    private readonly escalations: EscalationQueryService,
    private readonly sweeps: SweepService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** What the scheduler has fired (reminders, deadline passes, escalations), oldest first. */
  @Get('escalations')
  list(@Query() q: EscalationsQuery, @CurrentCaller() caller: Caller) {
    return this.escalations.list({ planId: q.planId, year: q.year }, caller);
  }

  /** Runs the sweep now (DONDOC_CLOCK=virtual only; 404 otherwise). */
  @Roles('admin')
  @Post('admin/sweep')
  @HttpCode(200)
  async sweep() {
    if (!(this.clock instanceof VirtualClock)) {
      throw new DomainError(
        ErrorCode.NOT_FOUND,
        'Cannot POST /api/admin/sweep (the clock is not virtual)',
      );
    }
    return { fired: await this.sweeps.sweep() };
  }
}
