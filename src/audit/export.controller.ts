/** `GET /api/audit/export?planId=&year=&format=jsonl|csv`: the cycle's events, streamed. */
import { pipeline } from 'node:stream/promises';
import { Controller, Get, Logger, Query, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import type { Response } from 'express';
import { Roles } from '../auth/auth.decorators.js';
import { EXPORT_FORMATS, ExportService, type ExportFormat } from './export.service.js';

export class ExportQuery {
  @IsString() @MaxLength(100) planId: string;
  @Type(() => Number) @IsInt() @Min(2000) @Max(2200) year: number;
  @IsOptional()
  @IsIn(EXPORT_FORMATS, { message: `format must be one of ${EXPORT_FORMATS.join(', ')}` })
  format?: ExportFormat;
}

@ApiTags('audit')
@Controller('audit')
export class ExportController {
  private readonly logger = new Logger(ExportController.name);

  constructor(private readonly exports: ExportService) {}

  /**
   * Errors found before the first byte (unknown plan or cycle) are ordinary JSON errors; a
   * failure mid-stream can only abort the response, which the client sees as a cut transfer.
   */
  @Roles('admin', 'auditor', 'leader', 'aggregator')
  @Get('export')
  async export(@Query() q: ExportQuery, @Res() res: Response): Promise<void> {
    const out = await this.exports.open(q.planId, q.year, q.format ?? 'jsonl');
    res.status(200);
    res.setHeader('Content-Type', out.contentType);
    res.setHeader('Content-Disposition', `attachment; filename="${out.filename}"`);
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Dondoc-Ledger-Head', String(out.ledgerHead));
    try {
      await pipeline(out.body, res);
    } catch (error) {
      // The headers are sent: nothing can be answered any more; the socket is already closed.
      const message = `Export of ${q.planId} ${q.year} aborted: ${(error as Error).message}`;
      if ((error as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE')
        this.logger.warn(message); // the client went away
      else this.logger.error(message);
    }
  }
}
