import { Controller, Get } from '@nestjs/common';
import { Public } from '../auth/auth.decorators.js';
import { Database } from '../database/database.js';
import { APP_VERSION } from '../version.js';

@Public()
@Controller('health')
export class HealthController {
  constructor(private readonly db: Database) {}

  @Get()
  async health(): Promise<{ status: 'ok'; database: 'sqlite' | 'postgres'; version: string }> {
    await this.db.read((sql) => sql.query('SELECT 1 AS ok'));
    return { status: 'ok', database: this.db.dialect, version: APP_VERSION };
  }
}
