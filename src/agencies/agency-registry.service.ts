/**
 * The agency registries loaded from `workflows/agencies/` at start (loaded by PlanRegistry before
 * the plans, which name them). Read-only afterwards.
 */
import path from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import type { AgencyRegistry } from '../core/agency/agency-registry.js';
import { DomainError, ErrorCode } from '../core/errors.js';
import { AGENCIES_DIR, loadAgencyRegistries } from './agency-registry-loader.js';

@Injectable()
export class AgencyRegistryService {
  private registries = new Map<string, AgencyRegistry>();

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** The folder the registries are read from. */
  get dir(): string {
    return path.join(this.config.workflowsDir, AGENCIES_DIR);
  }

  /** Loads every registry; throws an AggregateDefinitionError listing each problem. */
  async load(): Promise<void> {
    const loaded = await loadAgencyRegistries(this.dir);
    this.registries = new Map(loaded.map((r) => [r.id, r]));
  }

  list(): AgencyRegistry[] {
    return [...this.registries.values()];
  }

  find(id: string): AgencyRegistry | undefined {
    return this.registries.get(id);
  }

  get(id: string): AgencyRegistry {
    const registry = this.registries.get(id);
    if (!registry) {
      throw new DomainError(ErrorCode.NOT_FOUND, `Unknown agency registry "${id}"`, {
        registry: id,
      });
    }
    return registry;
  }

  /** Whether any registry lists the code. */
  knows(code: string): boolean {
    return this.list().some((r) => r.has(code));
  }
}
