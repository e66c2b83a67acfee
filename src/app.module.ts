/** The application: one dynamic module so the server, the CLI and tests build the same graph. */
import {
  Global,
  Inject,
  Injectable,
  Module,
  type DynamicModule,
  type MiddlewareConsumer,
  type NestModule,
  type OnModuleInit,
  type Provider,
} from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import type { NextFunction, Request, Response } from 'express';
import { CLOCK, SystemClock, VirtualClock } from './clock/clocks.js';
import { ErrorFilter } from './common/error.filter.js';
import { createValidationPipe } from './common/validation.js';
import { APP_CONFIG, type AppConfig } from './config/app-config.js';
import type { Clock } from './core/clock.js';
import { CycleScheduler } from './cycles/cycle-scheduler.service.js';
import { CycleService } from './cycles/cycle.service.js';
import { CyclesController } from './cycles/cycles.controller.js';
import { DatabaseModule } from './database/database.module.js';
import { HealthController } from './health/health.controller.js';
import { CommandService } from './obligations/command.service.js';
import { ObligationQueryService } from './obligations/obligation-query.service.js';
import { ObligationsController } from './obligations/obligations.controller.js';
import { PlanRegistry } from './plans/plan-registry.service.js';
import { PlansController } from './plans/plans.controller.js';

export interface AppOptions {
  /** Replace the clock (tests, simulations). Default: from DONDOC_CLOCK. */
  clock?: Clock;
  /** Register the cron jobs (the server does; the CLI does not). */
  scheduler?: boolean;
}

@Injectable()
class PlanLoader implements OnModuleInit {
  constructor(@Inject(PlanRegistry) private readonly plans: PlanRegistry) {}

  async onModuleInit(): Promise<void> {
    await this.plans.load();
  }
}

@Global()
@Module({})
class ConfigModule {
  static register(config: AppConfig, clock: Clock): DynamicModule {
    const providers: Provider[] = [
      { provide: APP_CONFIG, useValue: config },
      { provide: CLOCK, useValue: clock },
    ];
    return {
      module: ConfigModule,
      providers,
      exports: providers.map((p) => (p as { provide: symbol }).provide),
    };
  }
}

@Module({})
export class AppModule implements NestModule {
  static register(config: AppConfig, options: AppOptions = {}): DynamicModule {
    const clock =
      options.clock ?? (config.clock === 'virtual' ? new VirtualClock() : new SystemClock());
    const scheduler = options.scheduler ?? true;
    return {
      module: AppModule,
      imports: [
        ConfigModule.register(config, clock),
        DatabaseModule,
        ...(scheduler ? [ScheduleModule.forRoot()] : []),
      ],
      controllers: [HealthController, PlansController, CyclesController, ObligationsController],
      providers: [
        PlanRegistry,
        PlanLoader,
        CommandService,
        ObligationQueryService,
        CycleService,
        ...(scheduler ? [CycleScheduler] : []),
        { provide: APP_FILTER, useClass: ErrorFilter },
        { provide: APP_PIPE, useFactory: createValidationPipe },
      ],
      exports: [PlanRegistry, CommandService, ObligationQueryService, CycleService],
    };
  }

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  configure(consumer: MiddlewareConsumer): void {
    const caller = { name: this.config.localUser, system: false };
    consumer
      .apply((req: Request & { caller?: unknown }, _res: Response, next: NextFunction) => {
        req.caller = caller;
        next();
      })
      .forRoutes('*splat');
  }
}
