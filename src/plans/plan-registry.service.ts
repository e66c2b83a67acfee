/** The plans loaded from `workflows/` at start. Loading fails the boot if any plan is invalid. */
import { Inject, Injectable } from '@nestjs/common';
import { CALENDAR } from '../calendar/calendar.provider.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import type { WorkingCalendar } from '../core/calendar/working-calendar.js';
import { DomainError, ErrorCode } from '../core/errors.js';
import { knownMachines, machineRef } from '../core/machine/machine-registry.js';
import type { AgencyDefinition, PlanDefinition } from '../core/plan/plan.types.js';
import { loadPlansFromDir } from './plan-loader.js';

export interface LoadedPlan {
  definition: PlanDefinition;
  machineVersion: string;
  agencies: Map<string, AgencyDefinition>;
  /** The working-day calendar its deadlines are computed with. */
  calendar: WorkingCalendar;
}

@Injectable()
export class PlanRegistry {
  private readonly plans = new Map<string, LoadedPlan>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CALENDAR) private readonly calendar: WorkingCalendar,
  ) {}

  /** Loads every plan; throws an AggregateDefinitionError listing each problem with file and path. */
  async load(): Promise<void> {
    const definitions = await loadPlansFromDir(this.config.workflowsDir, knownMachines());
    this.plans.clear();
    for (const definition of definitions) {
      this.plans.set(definition.id, {
        definition,
        machineVersion: machineRef(definition.lifecycle.machine, definition.lifecycle.version),
        agencies: new Map(definition.agencies.map((a) => [a.code, a])),
        calendar: this.calendar,
      });
    }
  }

  list(): LoadedPlan[] {
    return [...this.plans.values()];
  }

  find(planId: string): LoadedPlan | undefined {
    return this.plans.get(planId);
  }

  get(planId: string): LoadedPlan {
    const plan = this.plans.get(planId);
    if (!plan) throw new DomainError(ErrorCode.NOT_FOUND, `Unknown plan "${planId}"`, { planId });
    return plan;
  }
}
