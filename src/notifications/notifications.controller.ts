/** The caller's in-app inbox, and (for administrators) the e-mail and webhook deliveries. */
import { Controller, Get, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import { Roles } from '../auth/auth.decorators.js';
import { CurrentCaller } from '../common/caller.js';
import type { Caller } from '../core/access/caller.js';
import { Database } from '../database/database.js';
import { listDeliveries, listInbox, OUTBOX_STATUSES, type OutboxStatus } from './outbox.js';

export class InboxQuery {
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(500) limit?: number;
}

export class DeliveriesQuery {
  @IsOptional()
  @IsIn(OUTBOX_STATUSES, { message: `status must be one of ${OUTBOX_STATUSES.join(', ')}` })
  status?: OutboxStatus;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(1000) limit?: number;
}

@ApiTags('notifications')
@Controller('notifications')
export class NotificationsController {
  constructor(private readonly db: Database) {}

  /** The caller's notifications, newest first (any authenticated user). */
  @Get()
  inbox(@Query() q: InboxQuery, @CurrentCaller() caller: Caller) {
    return this.db.read((sql) => listInbox(sql, caller.name, q.limit ?? 200));
  }

  /** E-mail and webhook deliveries with their status, attempts and last error. */
  @Roles('admin')
  @Get('deliveries')
  deliveries(@Query() q: DeliveriesQuery) {
    return this.db.read((sql) => listDeliveries(sql, q.status, q.limit ?? 500));
  }
}
