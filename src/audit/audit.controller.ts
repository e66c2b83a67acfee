/**
 * `GET /api/audit/verify`: verifies the audit trail (optionally against a stored checkpoint);
 * `POST /api/audit/checkpoints` signs one now; `GET /api/audit/checkpoints[/:id]` exports them.
 */
import { Controller, Get, Param, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { Roles } from '../auth/auth.decorators.js';
import { DomainError, ErrorCode, ValidationError } from '../core/errors.js';
import { CheckpointService, type StoredCheckpoint } from './checkpoint.service.js';
import { VerifyService } from './verify.service.js';

export class VerifyQuery {
  @IsOptional() @IsString() @MaxLength(100) planId?: string;
  @IsOptional() @Type(() => Number) @IsInt() @Min(2000) @Max(2200) year?: number;
  @IsOptional()
  @Matches(/^(latest|[1-9]\d{0,14})$/, {
    message: 'checkpoint must be "latest" or the id of a stored checkpoint',
  })
  checkpoint?: string;
}

export class CheckpointListQuery {
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(1000) limit?: number;
}

const READERS = ['admin', 'auditor', 'leader', 'aggregator'] as const;

@ApiTags('audit')
@Controller('audit')
export class AuditController {
  constructor(
    private readonly verifier: VerifyService,
    private readonly checkpoints: CheckpointService,
  ) {}

  /** `{ ok, obligations, events, problems: [{ obligationId, seq, kind, detail }] }` and counts. */
  @Roles(...READERS)
  @Get('verify')
  async verify(@Query() q: VerifyQuery) {
    const checkpoint = q.checkpoint ? await this.stored(q.checkpoint) : undefined;
    return this.verifier.verify({ planId: q.planId, year: q.year }, { checkpoint });
  }

  /** Signs and stores a checkpoint of the ledger now; the body is the exportable document. */
  @Roles('admin', 'auditor')
  @Post('checkpoints')
  create(): Promise<StoredCheckpoint> {
    return this.checkpoints.create();
  }

  /** Stored checkpoints, newest first (`limit`, default 100). */
  @Roles(...READERS)
  @Get('checkpoints')
  list(@Query() q: CheckpointListQuery): Promise<StoredCheckpoint[]> {
    return this.checkpoints.list(q.limit ?? 100);
  }

  @Roles(...READERS)
  @Get('checkpoints/:id')
  one(@Param('id') id: string): Promise<StoredCheckpoint> {
    if (!/^(latest|[1-9]\d{0,14})$/.test(id)) {
      throw new ValidationError(`Invalid checkpoint id ${JSON.stringify(id)}`, [
        { path: 'id', message: 'expected "latest" or a checkpoint id' },
      ]);
    }
    return this.stored(id);
  }

  private async stored(ref: string): Promise<StoredCheckpoint> {
    const found = await this.checkpoints.find(ref === 'latest' ? 'latest' : Number(ref));
    if (!found) {
      throw new DomainError(
        ErrorCode.NOT_FOUND,
        ref === 'latest' ? 'No checkpoint has been written yet' : `Unknown checkpoint ${ref}`,
        { checkpoint: ref },
      );
    }
    return found;
  }
}
