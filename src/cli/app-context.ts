/**
 * Runs one CLI command against the same application graph as the server (without the scheduler),
 * configured from the same environment variables, and always closes it.
 */
import { ConsoleLogger, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from '../app.module.js';
import { loadConfig, type AppConfig } from '../config/app-config.js';
import { DomainError, ErrorCode } from '../core/errors.js';
import type { Caller } from '../obligations/obligation-view.js';

export interface CliContext {
  app: INestApplicationContext;
  config: AppConfig;
  /** The configured local user (authentication comes later). */
  caller: Caller;
}

/**
 * Error-level logging only. Errors thrown while Nest builds the graph (e.g. the database cannot
 * be opened) are rethrown and reported by the CLI, so Nest's own copy (with a stack) is dropped.
 */
class CliLogger extends ConsoleLogger {
  constructor() {
    super({ logLevels: ['error'] });
  }

  override error(message: unknown, ...rest: unknown[]): void {
    if (rest.at(-1) === 'ExceptionHandler') return;
    super.error(message, ...rest);
  }
}

/** Where the data lives, for messages: the SQLite file or the PostgreSQL URL without password. */
export function describeDatabase(config: AppConfig): string {
  if (!config.databaseUrl) return `SQLite in ${config.dataDir}`;
  try {
    const url = new URL(config.databaseUrl);
    url.password = '';
    return `PostgreSQL at ${url.toString()}`;
  } catch {
    return 'PostgreSQL (DATABASE_URL)';
  }
}

async function createApp(config: AppConfig): Promise<INestApplicationContext> {
  try {
    return await NestFactory.createApplicationContext(
      AppModule.register(config, { scheduler: false }),
      { logger: new CliLogger(), abortOnError: false },
    );
  } catch (error) {
    if (error instanceof DomainError) throw error;
    // Building the graph opens (and migrates) the database: the one step that fails on I/O.
    throw new DomainError(
      ErrorCode.DATABASE_UNAVAILABLE,
      `cannot open ${describeDatabase(config)}: ${(error as Error)?.message ?? String(error)}`,
    );
  }
}

export async function withApp<T>(work: (ctx: CliContext) => Promise<T>): Promise<T> {
  const config = loadConfig(process.env);
  const app = await createApp(config);
  let result: T;
  try {
    await app.init();
    result = await work({ app, config, caller: { name: config.localUser, system: false } });
  } catch (error) {
    // Keep the original failure; a failure to close after it adds nothing.
    await app.close().catch(() => undefined);
    throw error;
  }
  await app.close();
  return result;
}
