/**
 * Writes a signed checkpoint every hour when the ledger has moved since the latest one. Each
 * replica may run it: at worst two replicas store two checkpoints of the same head.
 */
import { Inject, Injectable, Logger } from '@nestjs/common';
import { Cron } from '@nestjs/schedule';
import { LifecycleService } from '../health/lifecycle.service.js';
import { CheckpointService } from './checkpoint.service.js';

@Injectable()
export class CheckpointScheduler {
  private readonly logger = new Logger(CheckpointScheduler.name);

  constructor(
    private readonly checkpoints: CheckpointService,
    @Inject(LifecycleService) private readonly lifecycle: LifecycleService,
  ) {}

  @Cron('0 0 * * * *', { name: 'audit-checkpoint', timeZone: 'Asia/Ho_Chi_Minh' })
  async checkpointEveryHour(): Promise<void> {
    try {
      const written = await this.lifecycle.runJob(() => this.checkpoints.createIfLedgerMoved());
      if (written) {
        this.logger.log(`Checkpoint ${written.id} at ledger position ${written.position}`);
      }
    } catch (error) {
      this.logger.error(`Checkpoint failed: ${(error as Error).message}`);
    }
  }
}
