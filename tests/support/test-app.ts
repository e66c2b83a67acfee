/** Builds the application on a fresh database, with a virtual clock, for integration and e2e tests. */
import 'reflect-metadata';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from '../../src/app.module.js';
import { VirtualClock } from '../../src/clock/clocks.js';
import { loadConfig, type AppConfig } from '../../src/config/app-config.js';
import { createHttpApp } from '../../src/http-app.js';
import { freshDatabase, type TestDatabase, type TestDialect } from './databases.js';

process.env.NODE_ENV = 'test';

export interface TestHarness<A> {
  app: A;
  clock: VirtualClock;
  config: AppConfig;
  db: TestDatabase;
  close(): Promise<void>;
}

export const TEST_ADMIN_PASSWORD = 'admin-test-password';

/** The default test time: 1 June 2025, 10:00 in Hà Nội. */
export const TEST_NOW = new Date('2025-06-01T03:00:00.000Z');

function testConfig(db: TestDatabase, overrides: Partial<AppConfig>): AppConfig {
  return {
    ...loadConfig({}),
    dataDir: db.dataDir,
    databaseUrl: db.databaseUrl,
    openCurrentCycleAtStart: false,
    adminPassword: TEST_ADMIN_PASSWORD,
    loginRateLimit: 1000,
    ...overrides,
  };
}

/** The services without HTTP. */
export async function createTestContext(
  dialect: TestDialect,
  overrides: Partial<AppConfig> = {},
  options: { scheduler?: boolean } = {},
): Promise<TestHarness<INestApplicationContext>> {
  const db = await freshDatabase(dialect);
  const clock = new VirtualClock(TEST_NOW);
  const config = testConfig(db, overrides);
  const app = await NestFactory.createApplicationContext(
    AppModule.register(config, { clock, scheduler: options.scheduler ?? false }),
    {
      logger: ['error'],
    },
  );
  await app.init();
  return {
    app,
    clock,
    config,
    db,
    close: async () => {
      await app.close();
      await db.drop();
    },
  };
}

/** The HTTP server, initialised but not listening (use supertest on `app.getHttpServer()`). */
export async function createTestHttpApp(
  dialect: TestDialect,
  overrides: Partial<AppConfig> = {},
): Promise<TestHarness<NestExpressApplication>> {
  const db = await freshDatabase(dialect);
  const clock = new VirtualClock(TEST_NOW);
  const config = testConfig(db, overrides);
  const app = await createHttpApp(config, { clock, scheduler: false });
  await app.init();
  return {
    app,
    clock,
    config,
    db,
    close: async () => {
      await app.close();
      await db.drop();
    },
  };
}
