/** The notification pieces, for AppModule.register to list (scheduled ones only with the scheduler). */
import type { Provider, Type } from '@nestjs/common';
import { DispatcherService } from './dispatcher.service.js';
import { NotificationScheduler } from './notification-scheduler.service.js';
import { NotificationsController } from './notifications.controller.js';

export const NOTIFICATION_PROVIDERS: Provider[] = [DispatcherService];
export const NOTIFICATION_SCHEDULED_PROVIDERS: Provider[] = [NotificationScheduler];
export const NOTIFICATION_CONTROLLERS: Type[] = [NotificationsController];
