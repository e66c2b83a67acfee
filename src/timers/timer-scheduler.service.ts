/**
 * Runs the timer sweep every minute. Each replica may run it: the sweep fires each timer once.
 * A graceful shutdown starts no new sweep and waits for the running one to finish.
 */
import { Inject, Injectable, Logger } from '@nestjs/common';
import { Cron } from '@nestjs/schedule';
import { LifecycleService } from '../health/lifecycle.service.js';
import { SweepService } from './sweep.service.js';

@Injectable()
export class TimerScheduler {
  private readonly logger = new Logger(TimerScheduler.name);
  private running = false;

  constructor(
    private readonly sweeps: SweepService,
    @Inject(LifecycleService) private readonly lifecycle: LifecycleService,
  ) {}

  @Cron('0 * * * * *', { name: 'timer-sweep', timeZone: 'Asia/Ho_Chi_Minh' })
  async sweepEveryMinute(): Promise<void> {
    if (this.running) return; // a long catch-up is still going: the next tick continues it
    this.running = true;
    try {
      await this.lifecycle.runJob(() => this.sweeps.sweep());
    } catch (error) {
      this.logger.error(`Timer sweep failed: ${(error as Error).message}`);
    } finally {
      this.running = false;
    }
  }
}
