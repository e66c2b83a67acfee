/** Runs the notification dispatcher every 30 seconds (registered only when the scheduler is on). */
import { Inject, Injectable, Logger } from '@nestjs/common';
import { Cron } from '@nestjs/schedule';
import { LifecycleService } from '../health/lifecycle.service.js';
import { DispatcherService } from './dispatcher.service.js';

@Injectable()
export class NotificationScheduler {
  private readonly logger = new Logger(NotificationScheduler.name);
  private running = false;

  constructor(
    private readonly dispatcher: DispatcherService,
    @Inject(LifecycleService) private readonly lifecycle: LifecycleService,
  ) {}

  @Cron('*/30 * * * * *', { name: 'dispatch-notifications' })
  async dispatch(): Promise<void> {
    // A slow pass (an unreachable SMTP server) must not pile up passes behind it; the claim's
    // compare-and-set would keep them from double-sending, but they would only wait.
    if (this.running) return;
    this.running = true;
    try {
      const result = await this.lifecycle.runJob(() => this.dispatcher.dispatchDue());
      if (!result) return; // shutting down
      const { sent, failed, retried } = result;
      if (sent || failed || retried) {
        this.logger.log(`Notifications: ${sent} sent, ${retried} to retry, ${failed} failed`);
      }
    } catch (error) {
      this.logger.error(`Dispatching notifications failed: ${(error as Error).message}`);
    } finally {
      this.running = false;
    }
  }
}
