/**
 * Runs one CLI command against the same application graph as the server (without the scheduler),
 * configured from the same environment variables, and always closes it.
 */
import { ConsoleLogger, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from '../app.module.js';
import { loadConfig, type AppConfig } from '../config/app-config.js';
import { DomainError, ErrorCode } from '../core/errors.js';
import type { Caller } from '../core/access/caller.js';
import { UsersService } from '../users/users.service.js';
import { LOCAL_READER, unknownUser } from './identity.js';

export interface CliContext {
  app: INestApplicationContext;
  config: AppConfig;
  /** The enabled user named by `as`, or the read-only local reader when none was named. */
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

/**
 * Builds and initialises the graph. On the first start this creates `admin`, and a generated
 * password is printed with console.log: it goes to stderr here, so stdout (e.g. --json) stays
 * parseable and the password is still shown once.
 */
async function createApp(config: AppConfig): Promise<INestApplicationContext> {
  const log = console.log;
  console.log = (...args: unknown[]) => console.error(...args);
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
  } finally {
    console.log = log;
  }
}

/** The acting identity of an enabled user; exit 1 "unknown or disabled user" otherwise. */
async function callerAs(app: INestApplicationContext, username: string): Promise<Caller> {
  const caller = await app.get(UsersService).callerFor(username);
  if (!caller) throw unknownUser(username);
  return caller;
}

/**
 * Runs `work` as the user named `as` (which must exist and be enabled), or as the read-only
 * local reader when `as` is undefined. Commands that change data resolve `as` with writerName
 * first, so a missing user is a usage error before anything is opened.
 */
export async function withApp<T>(work: (ctx: CliContext) => Promise<T>, as?: string): Promise<T> {
  const config = loadConfig(process.env);
  const app = await createApp(config);
  let result: T;
  try {
    await app.init();
    const caller = as === undefined ? LOCAL_READER : await callerAs(app, as);
    result = await work({ app, config, caller });
  } catch (error) {
    // Keep the original failure; a failure to close after it adds nothing.
    await app.close().catch(() => undefined);
    throw error;
  }
  await app.close();
  return result;
}
