import { Global, Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { Database } from './database.js';
import { dialectOf, openDataSource } from './data-source.js';
import { PostgresDatabase } from './postgres-database.js';
import { SqliteDatabase } from './sqlite-database.js';

/** Opens the database chosen by the configuration, migrating it, and closes it on shutdown. */
export async function createDatabase(config: AppConfig): Promise<Database> {
  const ds = await openDataSource(config);
  return dialectOf(ds) === 'postgres' ? new PostgresDatabase(ds) : new SqliteDatabase(ds);
}

@Injectable()
class DatabaseCloser implements OnApplicationShutdown {
  constructor(@Inject(Database) private readonly db: Database) {}

  async onApplicationShutdown(): Promise<void> {
    await this.db.close();
  }
}

@Global()
@Module({
  providers: [
    {
      provide: Database,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => createDatabase(config),
    },
    DatabaseCloser,
  ],
  exports: [Database],
})
export class DatabaseModule {}
