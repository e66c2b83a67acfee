/**
 * The agency registries, read-only over HTTP: `GET /api/agencies?date=&registry=` lists the
 * records (those valid on the date, when given); `GET /api/agencies/:code?date=` one agency's
 * periods with its name and its label ("as it was and as it is") on the date.
 */
import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { CLOCK } from '../clock/clocks.js';
import { agencyLabel } from '../core/agency/agency-label.js';
import type { AgencyRegistry } from '../core/agency/agency-registry.js';
import type { AgencyRecord } from '../core/agency/agency.types.js';
import type { Clock } from '../core/clock.js';
import { civilDateOf } from '../core/deadline/due-date.js';
import { DomainError, ErrorCode, ValidationError } from '../core/errors.js';
import { isRealCivilDate } from '../core/plan/plan.schema.js';
import { AgencyRegistryService } from './agency-registry.service.js';

export class AgenciesQuery {
  @IsOptional() @IsString() @MaxLength(10) date?: string;
  @IsOptional()
  @IsString()
  @Matches(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, { message: 'registry must be a registry id' })
  @MaxLength(100)
  registry?: string;
}

export class AgencyQuery {
  @IsOptional() @IsString() @MaxLength(10) date?: string;
}

/** A record as the API shows it, with the registry it belongs to. */
function toJson(registry: AgencyRegistry, r: AgencyRecord) {
  return {
    registry: registry.id,
    code: r.code,
    name: r.name,
    shortName: r.shortName ?? null,
    group: r.group,
    tags: r.tags,
    validFrom: r.validFrom,
    validTo: r.validTo,
    successors: r.successors.map((s) => ({
      code: s.code,
      date: s.date,
      basis: s.basis,
      functions: s.functions ?? null,
    })),
    endNote: r.endNote ?? null,
    note: r.note ?? null,
  };
}

function checkDate(date: string | undefined): void {
  if (date !== undefined && !isRealCivilDate(date)) {
    throw new ValidationError('date must be a civil date YYYY-MM-DD', [
      { path: 'date', message: 'expected a real civil date YYYY-MM-DD, e.g. 2025-03-01' },
    ]);
  }
}

@ApiTags('agencies')
@Controller('agencies')
export class AgenciesController {
  constructor(
    private readonly registries: AgencyRegistryService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Get()
  list(@Query() q: AgenciesQuery) {
    checkDate(q.date);
    const registries = q.registry ? [this.registries.get(q.registry)] : this.registries.list();
    return registries.flatMap((registry) =>
      (q.date ? registry.listOn(q.date) : registry.all()).map((r) => toJson(registry, r)),
    );
  }

  @Get(':code')
  one(@Param('code') code: string, @Query() q: AgencyQuery) {
    checkDate(q.date);
    const registry = this.registries.list().find((r) => r.has(code));
    if (!registry) {
      throw new DomainError(ErrorCode.NOT_FOUND, `Unknown agency "${code}"`, { agencyCode: code });
    }
    const date = q.date ?? civilDateOf(this.clock.now(), registry.definition.timeZone);
    const current = registry.recordOn(code, date);
    return {
      registry: registry.id,
      code,
      date,
      validOnDate: current !== null,
      name: registry.nameRecord(code, date)!.name,
      label: agencyLabel(registry, code, date),
      records: registry.records(code).map((r) => toJson(registry, r)),
    };
  }
}
