/**
 * `GET /api/clock`: the application's time and clock mode, for any signed-in user. The web
 * interface counts days to deadlines from it (not from the browser's clock, which a virtual
 * clock does not move) and offers the clock page only in virtual mode.
 */
import { Controller, Get, Inject } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Clock } from '../core/clock.js';
import { CLOCK, VirtualClock } from './clocks.js';

@ApiTags('admin')
@Controller('clock')
export class ClockInfoController {
  constructor(@Inject(CLOCK) private readonly clock: Clock) {}

  @Get()
  info(): { mode: 'system' | 'virtual'; now: string } {
    return {
      mode: this.clock instanceof VirtualClock ? 'virtual' : 'system',
      now: this.clock.now().toISOString(),
    };
  }
}
