/**
 * Bitemporal reads over HTTP: an obligation's state and a cycle's roster as of a time. Separate
 * controllers on the obligations and cycles prefixes; their paths have one more segment than
 * `GET obligations/:id` and `GET plans/:planId/cycles/:year`, so they never clash.
 */
import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { CurrentCaller } from '../common/caller.js';
import { YearPipe } from '../common/year.pipe.js';
import type { Caller } from '../core/access/caller.js';
import { ReplayQueryService } from './replay-query.service.js';

/** `?at=&asRecordedAt=`: ISO 8601 instants with an offset (checked by the service). */
export class AsOfQuery {
  @IsOptional() @IsString() @MaxLength(40) at?: string;
  @IsOptional() @IsString() @MaxLength(40) asRecordedAt?: string;
}

@ApiTags('obligations')
@Controller('obligations')
export class ObligationStateController {
  constructor(private readonly replays: ReplayQueryService) {}

  @Get(':id/state')
  state(@Param('id') id: string, @Query() q: AsOfQuery, @CurrentCaller() caller: Caller) {
    return this.replays.stateAt(id, { at: q.at, asRecordedAt: q.asRecordedAt }, caller);
  }
}

@ApiTags('cycles')
@Controller('plans/:planId/cycles')
export class CycleStatusController {
  constructor(private readonly replays: ReplayQueryService) {}

  @Get(':year/status')
  status(
    @Param('planId') planId: string,
    @Param('year', YearPipe) year: number,
    @Query() q: AsOfQuery,
    @CurrentCaller() caller: Caller,
  ) {
    return this.replays.cycleStatusAt(
      planId,
      year,
      { at: q.at, asRecordedAt: q.asRecordedAt },
      caller,
    );
  }
}
