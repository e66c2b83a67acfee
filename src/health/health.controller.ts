/**
 * Health: `GET /api/health` (the database answers; kept for existing clients), liveness (the
 * process serves HTTP; never touches the database, so a slow database does not get a healthy
 * process restarted) and readiness (send it traffic: not draining, the database answers, and
 * every migration this version knows has run).
 */
import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Public } from '../auth/auth.decorators.js';
import { errorBody } from '../common/error.filter.js';
import { DomainError, ErrorCode } from '../core/errors.js';
import { Database } from '../database/database.js';
import { MIGRATIONS } from '../database/migrations/index.js';
import { APP_VERSION } from '../version.js';
import { LifecycleService } from './lifecycle.service.js';

/** Names of the migrations this version runs (TypeORM records each by its `name`). */
const MIGRATION_NAMES = MIGRATIONS.map((M) => new M().name ?? M.name);

type Check = 'ok' | 'draining' | 'failed' | 'missing' | 'skipped';

@Public()
@Controller('health')
export class HealthController {
  /** Set once every migration was seen: they are never undone while the server runs. */
  private migrationsSeen = false;

  constructor(
    private readonly db: Database,
    @Inject(LifecycleService) private readonly lifecycle: LifecycleService,
  ) {}

  @Get()
  async health(): Promise<{ status: 'ok'; database: 'sqlite' | 'postgres'; version: string }> {
    await this.db.read((sql) => sql.query('SELECT 1 AS ok'));
    return { status: 'ok', database: this.db.dialect, version: APP_VERSION };
  }

  /** Liveness: the event loop answers. */
  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Readiness: 200 when this replica should get traffic, 503 NOT_READY with the failed checks. */
  @Get('ready')
  async ready(@Res({ passthrough: true }) res: Response): Promise<Record<string, unknown>> {
    const checks: Record<string, Check> = { accepting: 'ok', database: 'ok', migrations: 'ok' };
    if (this.lifecycle.draining) {
      checks.accepting = 'draining';
      checks.database = checks.migrations = 'skipped';
    } else {
      try {
        const missing = await this.missingMigrations();
        if (missing.length) checks.migrations = 'missing';
      } catch {
        checks.database = checks.migrations = 'failed';
      }
    }
    if (Object.values(checks).some((c) => c !== 'ok' && c !== 'skipped')) {
      // Answered here rather than thrown: a probe's "no" is routine, not an error to log.
      const { statusCode, body } = errorBody(
        new DomainError(ErrorCode.NOT_READY, 'Not ready', { status: 'not_ready', checks }),
      );
      res.status(statusCode);
      return body;
    }
    return { status: 'ready', database: this.db.dialect, version: APP_VERSION, checks };
  }

  private async missingMigrations(): Promise<string[]> {
    if (this.migrationsSeen) {
      await this.db.read((sql) => sql.query('SELECT 1 AS ok'));
      return [];
    }
    const rows = await this.db.read((sql) =>
      sql.query<{ name: string }>('SELECT name FROM migrations'),
    );
    const applied = new Set(rows.map((r) => String(r.name)));
    const missing = MIGRATION_NAMES.filter((n) => !applied.has(n));
    this.migrationsSeen = missing.length === 0;
    return missing;
  }
}
