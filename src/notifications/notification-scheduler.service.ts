/** Runs the notification dispatcher every 30 seconds (registered only when the scheduler is on). */
import { Injectable, Logger } from '@nestjs/common';
import { Cron } from '@nestjs/schedule';
import { DispatcherService } from './dispatcher.service.js';

@Injectable()
export class NotificationScheduler {
  private readonly logger = new Logger(NotificationScheduler.name);
  private running = false;

  constructor(private readonly dispatcher: DispatcherService) {}

  @Cron('*/30 * * * * *', { name: 'dispatch-notifications' })
  async dispatch(): Promise<void> {
    // A slow pass (an unreachable SMTP server) must not pile up passes behind it; the claim's
    // compare-and-set would keep them from double-sending, but they would only wait.
    if (this.running) return;
    this.running = true;
    try {
      const { sent, failed, retried } = await this.dispatcher.dispatchDue();
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
