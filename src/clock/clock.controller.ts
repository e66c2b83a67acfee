/**
 * The virtual clock, for simulation and training: admin sets the time. Exists only when
 * DONDOC_CLOCK=virtual; in any other mode the route answers 404 like any unknown route.
 */
import { Body, Controller, HttpCode, Inject, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { IsISO8601 } from 'class-validator';
import { Roles } from '../auth/auth.decorators.js';
import type { Clock } from '../core/clock.js';
import { DomainError, ErrorCode } from '../core/errors.js';
import { CLOCK, VirtualClock } from './clocks.js';

export class SetClockDto {
  @IsISO8601({ strict: true }) now: string;
}

@ApiTags('admin')
@Roles('admin')
@Controller('admin/clock')
export class ClockController {
  constructor(@Inject(CLOCK) private readonly clock: Clock) {}

  @Post()
  @HttpCode(200)
  set(@Body() body: SetClockDto): { now: string } {
    if (!(this.clock instanceof VirtualClock)) {
      throw new DomainError(
        ErrorCode.NOT_FOUND,
        'Cannot POST /api/admin/clock (the clock is not virtual)',
      );
    }
    this.clock.set(new Date(body.now));
    return { now: this.clock.now().toISOString() };
  }
}
