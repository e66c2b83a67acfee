/**
 * Metrics: the registry, the observers the command path, the sweep and the SQLite queue report
 * to, and `GET /metrics`. Global so CommandService and SweepService find the observers.
 */
import { Global, Module } from '@nestjs/common';
import { CommandObserver } from '../obligations/command.service.js';
import { SweepObserver } from '../timers/sweep.service.js';
import { MetricsController } from './metrics.controller.js';
import { MetricsService } from './metrics.service.js';

@Global()
@Module({
  controllers: [MetricsController],
  providers: [
    MetricsService,
    { provide: CommandObserver, useExisting: MetricsService },
    { provide: SweepObserver, useExisting: MetricsService },
  ],
  exports: [MetricsService, CommandObserver, SweepObserver],
})
export class MetricsModule {}
