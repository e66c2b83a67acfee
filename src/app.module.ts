/** The application: one dynamic module so the server, the CLI and tests build the same graph. */
import {
  Global,
  Inject,
  Injectable,
  Module,
  type DynamicModule,
  type OnModuleInit,
  type Provider,
} from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { ScheduleModule } from '@nestjs/schedule';
import { AgenciesController } from './agencies/agencies.controller.js';
import { AgencyRegistryService } from './agencies/agency-registry.service.js';
import { SuccessionService } from './agencies/succession.service.js';
import { ExportController } from './audit/export.controller.js';
import { ExportService } from './audit/export.service.js';
import { CycleStatusController, ObligationStateController } from './audit/replay.controller.js';
import { ReplayQueryService } from './audit/replay-query.service.js';
import { AuditController } from './audit/audit.controller.js';
import { CheckpointScheduler } from './audit/checkpoint-scheduler.service.js';
import { CheckpointService } from './audit/checkpoint.service.js';
import { VerifyService } from './audit/verify.service.js';
import { AuthController } from './auth/auth.controller.js';
import { AuthGuard } from './auth/auth.guard.js';
import { AuthService } from './auth/auth.service.js';
import { LoginRateLimitGuard } from './auth/login-rate-limit.guard.js';
import { ClockController } from './clock/clock.controller.js';
import { ClockInfoController } from './clock/clock-info.controller.js';
import { CLOCK, SystemClock, VirtualClock } from './clock/clocks.js';
import { virtualClockStoreProvider } from './clock/virtual-clock-store.js';
import { ErrorFilter } from './common/error.filter.js';
import { createValidationPipe } from './common/validation.js';
import { APP_CONFIG, type AppConfig } from './config/app-config.js';
import type { Clock } from './core/clock.js';
import { CycleScheduler } from './cycles/cycle-scheduler.service.js';
import { CycleStatsService } from './cycles/cycle-stats.service.js';
import { CycleService } from './cycles/cycle.service.js';
import { ReportToUbndService } from './cycles/report-to-ubnd.service.js';
import { CyclesController } from './cycles/cycles.controller.js';
import { DatabaseModule } from './database/database.module.js';
import { HealthController } from './health/health.controller.js';
import { LifecycleModule } from './health/lifecycle.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { MigrationService } from './migration/migration.service.js';
import { CommandService } from './obligations/command.service.js';
import { CommittedRows } from './obligations/committed-rows.js';
import { ObligationQueryService } from './obligations/obligation-query.service.js';
import { ObligationsController } from './obligations/obligations.controller.js';
import { PlanRegistry } from './plans/plan-registry.service.js';
import { OrphanCheck } from './plans/orphan-check.service.js';
import {
  NOTIFICATION_CONTROLLERS,
  NOTIFICATION_PROVIDERS,
  NOTIFICATION_SCHEDULED_PROVIDERS,
} from './notifications/notifications.module-parts.js';
import { PlansController } from './plans/plans.controller.js';
import { agencyNamerProvider } from './reports/agency-namer.js';
import { ReportsController } from './reports/reports.controller.js';
import { ReportsService } from './reports/reports.service.js';
import { calendarProviders } from './calendar/calendar.provider.js';
import { EscalationQueryService } from './timers/escalation-query.service.js';
import { EscalationsController } from './timers/escalations.controller.js';
import { SweepService } from './timers/sweep.service.js';
import { TimerScheduler } from './timers/timer-scheduler.service.js';
import { TimerService } from './timers/timer.service.js';
import { UsersController } from './users/users.controller.js';
import { UsersService } from './users/users.service.js';

export interface AppOptions {
  /** Replace the clock (tests, simulations). Default: from DONDOC_CLOCK. */
  clock?: Clock;
  /** Register the cron jobs (the server does; the CLI does not). */
  scheduler?: boolean;
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

/** Whether this process refuses to start on orphaned obligations (the server, which sweeps). */
const REFUSE_ORPHANS = Symbol('REFUSE_ORPHANS');

@Injectable()
class Bootstrap implements OnModuleInit {
  constructor(
    @Inject(PlanRegistry) private readonly plans: PlanRegistry,
    @Inject(UsersService) private readonly users: UsersService,
    @Inject(TimerService) private readonly timers: TimerService,
    @Inject(OrphanCheck) private readonly orphans: OrphanCheck,
    @Inject(REFUSE_ORPHANS) private readonly refuseOrphans: boolean,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.plans.load();
    // The CLI still runs (`dondoc migrate`, `advance`) so that orphans can be dealt with.
    if (this.refuseOrphans) await this.orphans.assertNone();
    await this.users.ensureAdmin();
    await this.timers.recomputeIfCalendarChanged();
  }
}

@Module({})
export class AppModule {
  static register(config: AppConfig, options: AppOptions = {}): DynamicModule {
    const clock =
      options.clock ?? (config.clock === 'virtual' ? new VirtualClock() : new SystemClock());
    const scheduler = options.scheduler ?? true;
    return {
      module: AppModule,
      imports: [
        ConfigModule.register(config, clock),
        DatabaseModule,
        LifecycleModule,
        MetricsModule,
        JwtModule.register({}),
        ...(scheduler ? [ScheduleModule.forRoot()] : []),
      ],
      controllers: [
        HealthController,
        AuthController,
        UsersController,
        PlansController,
        CyclesController,
        ObligationsController,
        ClockController,
        ClockInfoController,
        ...NOTIFICATION_CONTROLLERS,
        EscalationsController,
        AuditController,
        ObligationStateController,
        CycleStatusController,
        ExportController,
        AgenciesController,
        ReportsController,
      ],
      providers: [
        AgencyRegistryService,
        SuccessionService,
        PlanRegistry,
        UsersService,
        AuthService,
        LoginRateLimitGuard,
        virtualClockStoreProvider(!options.clock && config.clock === 'virtual'),
        Bootstrap,
        OrphanCheck,
        { provide: REFUSE_ORPHANS, useValue: scheduler },
        CommittedRows,
        CommandService,
        ObligationQueryService,
        CycleService,
        ...NOTIFICATION_PROVIDERS,
        ...calendarProviders,
        TimerService,
        SweepService,
        EscalationQueryService,
        CheckpointService,
        VerifyService,
        MigrationService,
        ReplayQueryService,
        ExportService,
        agencyNamerProvider,
        CycleStatsService,
        ReportToUbndService,
        ReportsService,
        ...(scheduler
          ? [
              CycleScheduler,
              TimerScheduler,
              ...NOTIFICATION_SCHEDULED_PROVIDERS,
              CheckpointScheduler,
            ]
          : []),
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_FILTER, useClass: ErrorFilter },
        { provide: APP_PIPE, useFactory: createValidationPipe },
      ],
      exports: [
        AgencyRegistryService,
        SuccessionService,
        PlanRegistry,
        UsersService,
        CommandService,
        ObligationQueryService,
        CycleService,
        SweepService,
        TimerService,
        CycleStatsService,
        ReportToUbndService,
        ReportsService,
      ],
    };
  }
}
