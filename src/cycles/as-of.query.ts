import { IsOptional, IsString, MaxLength } from 'class-validator';

/** `?at=`: an ISO 8601 instant with an offset, not later than now (checked by the service). */
export class AsOfOnlyQuery {
  @IsOptional() @IsString() @MaxLength(40) at?: string;
}
