import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsISO8601,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { EVENT_TYPES, STAGES } from '../core/machine/obligation-events.js';

export class ObligationEventDto {
  @ApiProperty({ enum: EVENT_TYPES })
  @IsString()
  @IsIn(EVENT_TYPES, { message: `type must be one of ${EVENT_TYPES.join(', ')}` })
  type: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptional()
  @IsObject()
  payload?: Record<string, unknown>;

  @ApiPropertyOptional({
    description: 'Reject the command unless the obligation is at this version',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  expectedVersion?: number;

  @ApiPropertyOptional({ description: 'When it happened (ISO 8601 with offset); default now' })
  @IsOptional()
  @IsISO8601({ strict: true })
  effectiveAt?: string;

  @ApiPropertyOptional({ description: 'Why effectiveAt is in the past' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  reason?: string;
}

export class ListObligationsQuery {
  @IsOptional() @IsString() @MaxLength(100) planId?: string;
  @IsOptional() @Type(() => Number) @IsInt() @Min(2000) @Max(2200) year?: number;
  @IsOptional()
  @IsString()
  @Matches(/^[A-Z0-9_]{1,64}$/, { message: 'agency must be an agency code' })
  agency?: string;
  @IsOptional() @IsIn(STAGES) stage?: string;
  @IsOptional()
  @IsIn(['true', 'false'], { message: 'overdue must be true or false' })
  overdue?: string;
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100000)
  page?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(500) pageSize?: number;
  /** Keyset pagination: the `nextCursor` of the previous page (instead of `page`). */
  @IsOptional() @IsString() @MaxLength(1000) after?: string;
}

export class OpenCycleDto {
  @ApiProperty({ example: 2025 })
  @IsInt()
  @Min(2000)
  @Max(2200)
  year: number;
}
