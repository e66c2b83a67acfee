/** Opens each new year's cycle at 00:05 on 1 January, Asia/Ho_Chi_Minh. */
import { Inject, Injectable, Logger } from '@nestjs/common';
import { Cron } from '@nestjs/schedule';
import { SCHEDULER } from '../core/access/caller.js';
import { LifecycleService } from '../health/lifecycle.service.js';
import { CycleService } from './cycle.service.js';

@Injectable()
export class CycleScheduler {
  private readonly logger = new Logger(CycleScheduler.name);

  constructor(
    private readonly cycles: CycleService,
    @Inject(LifecycleService) private readonly lifecycle: LifecycleService,
  ) {}

  @Cron('5 0 1 1 *', { name: 'open-yearly-cycles', timeZone: 'Asia/Ho_Chi_Minh' })
  async openYearlyCycles(): Promise<void> {
    try {
      await this.lifecycle.runJob(() => this.cycles.openCurrentCycles(SCHEDULER));
    } catch (error) {
      this.logger.error(`Opening the new year's cycles failed: ${(error as Error).message}`);
    }
  }
}
