/**
 * The plans loaded from `workflows/` at start, with the agency registries they name. Loading
 * fails the boot if any plan or registry is invalid, listing every problem with file and path.
 */
import { Inject, Injectable, Optional } from '@nestjs/common';
import { AgencyRegistryService } from '../agencies/agency-registry.service.js';
import { CALENDAR, CALENDAR_PROBLEMS } from '../calendar/calendar.provider.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import type { AgencyRegistry } from '../core/agency/agency-registry.js';
import { planRegistryProblems } from '../core/agency/plan-registry-check.js';
import type { WorkingCalendar } from '../core/calendar/working-calendar.js';
import {
  AggregateDefinitionError,
  DomainError,
  ErrorCode,
  type DefinitionError,
  type FieldProblem,
} from '../core/errors.js';
import { knownMachines, machineRef } from '../core/machine/machine-registry.js';
import type { AgencyDefinition, PlanDefinition } from '../core/plan/plan.types.js';
import { loadPlansFromDir } from './plan-loader.js';

export interface LoadedPlan {
  definition: PlanDefinition;
  machineVersion: string;
  /**
   * The plan's agencies by code, plus the registry's successors of them (e.g. SO_NNMT), which
   * can owe the plan's obligations in later years: their group, tags and latest name come from
   * the registry, their kind from the plan agencies they succeed.
   */
  agencies: Map<string, AgencyDefinition>;
  /** The agency registry the plan names; null when it names none (its roster never changes). */
  registry: AgencyRegistry | null;
  /** The working-day calendar its deadlines are computed with. */
  calendar: WorkingCalendar;
}

/** The plan's roster plus every registry agency that succeeds one of them, directly or not. */
function agenciesWithSuccessors(
  plan: PlanDefinition,
  registry: AgencyRegistry | null,
): Map<string, AgencyDefinition> {
  const agencies = new Map(plan.agencies.map((a) => [a.code, a]));
  if (!registry) return agencies;
  const queue = plan.agencies.map((a) => ({ code: a.code, kind: a.kind }));
  while (queue.length > 0) {
    const { code, kind } = queue.shift()!;
    for (const s of registry.records(code).flatMap((r) => r.successors)) {
      const known = agencies.get(s.code);
      if (known) {
        // A successor of a directed agency owes directed obligations.
        const derived = !plan.agencies.includes(known);
        if (derived && kind === 'directed' && known.kind !== 'directed') {
          agencies.set(s.code, { ...known, kind });
        }
        continue;
      }
      const records = registry.records(s.code);
      const latest = records[records.length - 1]!;
      agencies.set(s.code, {
        code: s.code,
        name: latest.name,
        group: latest.group,
        kind,
        reports: true,
        tags: latest.tags,
        note: `Successor of ${code} in agency registry ${registry.id}.`,
      });
      queue.push({ code: s.code, kind });
    }
  }
  return agencies;
}

@Injectable()
export class PlanRegistry {
  private readonly plans = new Map<string, LoadedPlan>();
  /** How many times the plans were loaded (part of cached views' ETags). */
  private loads = 0;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CALENDAR) private readonly calendar: WorkingCalendar,
    @Inject(AgencyRegistryService) private readonly registries: AgencyRegistryService,
    @Optional()
    @Inject(CALENDAR_PROBLEMS)
    private readonly calendarProblems: DefinitionError[] = [],
  ) {}

  /**
   * Loads the agency registries, then every plan (checked against the registry it names); throws
   * one AggregateDefinitionError listing each problem of every file with file and path, the
   * calendar files' problems first.
   */
  async load(): Promise<void> {
    const calendarErrors = this.calendarProblems ?? [];
    let registryErrors: DefinitionError[] = [];
    try {
      await this.registries.load();
    } catch (error) {
      if (!(error instanceof AggregateDefinitionError)) throw error;
      registryErrors = error.errors;
    }
    const check = (plan: PlanDefinition): FieldProblem[] => {
      if (plan.agencyRegistry === null || registryErrors.length > 0) return [];
      const registry = this.registries.find(plan.agencyRegistry);
      if (!registry) {
        const known = this.registries.list().map((r) => r.id);
        return [
          {
            path: 'agencyRegistry',
            message: `expected the id of a registry in ${this.registries.dir} (${known.length ? known.join(', ') : 'none found'}), found ${JSON.stringify(plan.agencyRegistry)}`,
          },
        ];
      }
      return planRegistryProblems(plan, registry);
    };
    let definitions: PlanDefinition[];
    try {
      definitions = await loadPlansFromDir(this.config.workflowsDir, knownMachines(), check);
    } catch (error) {
      if (!(error instanceof AggregateDefinitionError)) throw error;
      throw new AggregateDefinitionError([...calendarErrors, ...registryErrors, ...error.errors]);
    }
    if (calendarErrors.length + registryErrors.length > 0) {
      throw new AggregateDefinitionError([...calendarErrors, ...registryErrors]);
    }
    this.plans.clear();
    this.loads += 1;
    for (const definition of definitions) {
      const registry =
        definition.agencyRegistry === null ? null : this.registries.get(definition.agencyRegistry);
      this.plans.set(definition.id, {
        definition,
        machineVersion: machineRef(definition.lifecycle.machine, definition.lifecycle.version),
        agencies: agenciesWithSuccessors(definition, registry),
        registry,
        calendar: this.calendar,
      });
    }
  }

  /** Changes every time the plans are loaded. */
  get generation(): number {
    return this.loads;
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
