import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  Param,
  Post,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { CurrentCaller } from '../common/caller.js';
import { ValidationError } from '../core/errors.js';
import { CommandService } from './command.service.js';
import { ListObligationsQuery, ObligationEventDto } from './obligation.dto.js';
import { decodeCursor, type SortKey } from './obligation-cursor.js';
import { ObligationQueryService } from './obligation-query.service.js';
import type { Caller } from './obligation-view.js';

@ApiTags('obligations')
@Controller('obligations')
export class ObligationsController {
  constructor(
    private readonly commands: CommandService,
    private readonly queries: ObligationQueryService,
  ) {}

  /**
   * The page's JSON bytes (ObligationQueryService.listJson: a remembered page, or one joined from
   * remembered view texts), sent as they are: no re-encoding and no hashing for an ETag.
   */
  @Get()
  @ApiOkResponse({ description: '{ items: [Obligation], total, page, pageSize, nextCursor }' })
  async list(
    @Query() q: ListObligationsQuery,
    @CurrentCaller() caller: Caller,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const { body, etag } = await this.queries.listJson(
      {
        planId: q.planId,
        year: q.year,
        agencyCode: q.agency,
        stage: q.stage,
        overdue: q.overdue === undefined ? undefined : q.overdue === 'true',
      },
      this.position(q),
      q.pageSize ?? 50,
      caller,
    );
    res.setHeader('ETag', etag);
    // A matching If-None-Match (and no Cache-Control: no-cache) gets 304, as Express would answer.
    if (req.fresh) {
      res.status(304).end();
      return;
    }
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.setHeader('Content-Length', body.length);
    res.end(body);
  }

  /** `page` (default 1) or `after` (a cursor), not both. */
  private position(q: ListObligationsQuery): number | { after: SortKey } {
    if (q.after === undefined) return q.page ?? 1;
    if (q.page !== undefined) {
      throw new ValidationError('page and after cannot be combined', [
        { path: 'after', message: 'pass either page or after, not both' },
      ]);
    }
    return { after: decodeCursor(q.after, 'after') };
  }

  @Get(':id')
  get(@Param('id') id: string, @CurrentCaller() caller: Caller) {
    return this.queries.get(id, caller);
  }

  @Get(':id/history')
  history(@Param('id') id: string, @CurrentCaller() caller: Caller) {
    return this.queries.history(id, caller);
  }

  @Post(':id/events')
  @HttpCode(200)
  @ApiHeader({ name: 'Idempotency-Key', required: false })
  send(
    @Param('id') id: string,
    @Body() body: ObligationEventDto,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @CurrentCaller() caller: Caller,
  ) {
    if (idempotencyKey !== undefined && !/^[\x21-\x7e]{1,200}$/.test(idempotencyKey)) {
      throw new ValidationError('Invalid Idempotency-Key header', [
        { path: 'Idempotency-Key', message: 'expected 1–200 visible ASCII characters' },
      ]);
    }
    return this.commands.execute({
      obligationId: id,
      type: body.type,
      payload: body.payload,
      expectedVersion: body.expectedVersion,
      effectiveAt: body.effectiveAt,
      reason: body.reason,
      idempotencyKey,
      caller,
    });
  }
}
