import {
  Global,
  Inject,
  Injectable,
  Logger,
  Module,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { Database } from './database.js';
import { dialectOf, openDataSource } from './data-source.js';
import { PostgresDatabase } from './postgres-database.js';
import { SqliteDatabase } from './sqlite-database.js';

/** Opens the database chosen by the configuration, migrating it, and closes it on shutdown. */
export async function createDatabase(config: AppConfig): Promise<Database> {
  const ds = await openDataSource(config);
  if (dialectOf(ds) === 'postgres') return new PostgresDatabase(ds);
  const db = new SqliteDatabase(ds);
  if (config.sqliteCheckpoints === 'background') {
    const logger = new Logger('SqliteCheckpointer');
    // Not awaited: the start goes on while the worker connects (close() waits for it).
    void db.checkpointInBackground((message) => logger.warn(message));
  }
  return db;
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
