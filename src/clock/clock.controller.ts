/**
 * The virtual clock, for simulation and training: admin sets the time. Exists only when
 * DONDOC_CLOCK=virtual; in any other mode the route answers 404 like any unknown route. The time
 * set is stored in the database, so a restarted server continues from it.
 */
import { Body, Controller, HttpCode, Inject, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { IsISO8601 } from 'class-validator';
import { Roles } from '../auth/auth.decorators.js';
import type { Clock } from '../core/clock.js';
import { DomainError, ErrorCode } from '../core/errors.js';
import { CLOCK, VirtualClock } from './clocks.js';
import { VirtualClockStore } from './virtual-clock-store.js';

export class SetClockDto {
  @IsISO8601({ strict: true }) now: string;
}

@ApiTags('admin')
@Roles('admin')
@Controller('admin/clock')
export class ClockController {
  constructor(
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(VirtualClockStore) private readonly store: VirtualClockStore,
  ) {}

  @Post()
  @HttpCode(200)
  async set(@Body() body: SetClockDto): Promise<{ now: string }> {
    if (!(this.clock instanceof VirtualClock)) {
      throw new DomainError(
        ErrorCode.NOT_FOUND,
        'Cannot POST /api/admin/clock (the clock is not virtual)',
      );
    }
    await this.store.set(this.clock, new Date(body.now));
    return { now: this.clock.now().toISOString() };
  }
}
