/**
 * Server entry point: validate the configuration (warning about unknown variables), migrate, load
 * and validate every definition file (calendar, agency registries, plans: every problem listed),
 * refuse orphaned obligations, open the current cycle, serve.
 */
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { collectBootGarbage } from './common/boot-garbage.js';
import { loadConfig, unknownVariableWarnings } from './config/app-config.js';
import { SCHEDULER } from './core/access/caller.js';
import { CycleService } from './cycles/cycle.service.js';
import { installGracefulShutdown } from './health/graceful-shutdown.js';
import { createHttpApp } from './http-app.js';

async function main(): Promise<void> {
  for (const warning of unknownVariableWarnings(process.env)) Logger.warn(warning, 'Config');
  const config = loadConfig();
  if (config.databaseUrl && (!config.jwtSecret || !config.auditKey)) {
    Logger.warn(
      'DATABASE_URL is set but DONDOC_JWT_SECRET or DONDOC_AUDIT_KEY is not: this process uses a ' +
        "secret generated into its own data folder, so replicas will not accept each other's " +
        'tokens or checkpoints. Give every replica the same values (docs/deploy.md).',
      'Main',
    );
  }
  const app = await createHttpApp(config);
  // SIGTERM/SIGINT: stop taking work, finish what is in flight, drain the queue, then exit.
  installGracefulShutdown(app, config);
  await app.init();
  if (config.openCurrentCycleAtStart) await app.get(CycleService).openCurrentCycles(SCHEDULER);
  await app.listen(config.port);
  // What booting allocated (plans, migrations, modules) is garbage now: let V8 size from the rest.
  collectBootGarbage();
  Logger.log(
    `dondoc listening on http://localhost:${config.port} (API under /api, docs at /api/docs)`,
    'Main',
  );
}

main().catch((error: unknown) => {
  // Configuration and definition errors already say what is wrong; print them plainly.
  console.error((error as Error)?.message ?? error);
  process.exit(1);
});
