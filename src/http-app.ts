/** Builds the HTTP application (used by main.ts and the end-to-end tests). */
import { RequestMethod } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { json } from 'express';
import { AppModule, type AppOptions } from './app.module.js';
import { ErrorFilter } from './common/error.filter.js';
import { rejectNul } from './common/reject-nul.middleware.js';
import type { AppConfig } from './config/app-config.js';
import { LifecycleService } from './health/lifecycle.service.js';
import { APP_VERSION } from './version.js';
import { securityHeaders, serveWebInterface } from './web/web-interface.js';

export async function createHttpApp(
  config: AppConfig,
  options: AppOptions = {},
): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.register(config, options),
    {
      bodyParser: false,
      logger: process.env.NODE_ENV === 'test' ? ['error', 'warn'] : ['log', 'error', 'warn'],
    },
  );
  // First: count requests in flight, and refuse new ones with 503 while shutting down.
  app.use(app.get(LifecycleService).middleware);
  app.use(securityHeaders());
  serveWebInterface(app);
  app.use(json({ limit: '256kb' }));
  app.use(rejectNul);
  if (config.corsOrigins.length) app.enableCors({ origin: config.corsOrigins });
  app.setGlobalPrefix('api', { exclude: [{ path: 'metrics', method: RequestMethod.GET }] });
  app.useGlobalFilters(new ErrorFilter());
  const doc = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('dondoc')
      .setDescription('Obligation tracking API')
      .setVersion(APP_VERSION)
      .build(),
  );
  SwaggerModule.setup('api/docs', app, doc);
  return app;
}
