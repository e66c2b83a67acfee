import { Controller, Get, Param } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { describeMachine } from '../core/machine/obligation-engine.js';
import { PlanRegistry } from './plan-registry.service.js';

@ApiTags('plans')
@Controller('plans')
export class PlansController {
  constructor(private readonly plans: PlanRegistry) {}

  @Get()
  list() {
    return this.plans.list().map(({ definition, machineVersion }) => ({
      id: definition.id,
      title: definition.title,
      issuer: definition.issuer.name,
      basis: definition.basis.map(({ ref, date, title }) => ({ ref, date, title })),
      machineVersion,
    }));
  }

  @Get(':planId')
  get(@Param('planId') planId: string) {
    const { definition, machineVersion } = this.plans.get(planId);
    return { ...definition, machineVersion };
  }

  @Get(':planId/machine')
  machine(@Param('planId') planId: string) {
    return describeMachine(this.plans.get(planId).machineVersion);
  }
}
