/**
 * Graceful shutdown on SIGTERM or SIGINT: readiness turns false and new requests get 503 at
 * once; the requests in flight and the running background jobs (a timer sweep, a notification
 * pass) finish; then Nest closes the HTTP server, stops the cron jobs and closes the database,
 * which lets the SQLite write queue drain and commit first. The process exits 0, or 1 when
 * `DONDOC_SHUTDOWN_TIMEOUT` passed first. A second signal exits at once.
 */
import { Logger, type INestApplicationContext } from '@nestjs/common';
import type { AppConfig } from '../config/app-config.js';
import { LifecycleService } from './lifecycle.service.js';

export interface ShutdownOptions {
  /** Replaced in tests; the server exits the process. */
  exit?: (code: number) => void;
  signals?: NodeJS.Signals[];
}

/** Installs the signal handlers; returns the function they call (tests call it directly). */
export function installGracefulShutdown(
  app: INestApplicationContext,
  config: Pick<AppConfig, 'shutdownTimeoutMs'>,
  options: ShutdownOptions = {},
): (signal: string) => Promise<void> {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const lifecycle = app.get(LifecycleService);
  const logger = new Logger('Shutdown');
  let stopping: Promise<void> | null = null;

  const shutdown = async (signal: string): Promise<void> => {
    const started = Date.now();
    logger.log(`${signal}: draining; readiness is false and new requests get 503`);
    lifecycle.startDraining();
    // Whatever happens below, the process does not outlive the timeout by much.
    const hardStop = setTimeout(() => {
      logger.error('Shutdown did not complete in time; exiting');
      exit(1);
    }, config.shutdownTimeoutMs + 5000);
    hardStop.unref();
    const idle = await lifecycle.idle(config.shutdownTimeoutMs);
    if (!idle) {
      logger.warn(
        `Shutdown timeout: ${lifecycle.requestsInFlight} request(s) and ${lifecycle.jobsRunning} job(s) still running`,
      );
    }
    try {
      await app.close();
    } catch (error) {
      logger.error(`Closing failed: ${(error as Error).message}`);
      clearTimeout(hardStop);
      exit(1);
      return;
    }
    clearTimeout(hardStop);
    logger.log(`Stopped after ${Date.now() - started} ms`);
    exit(idle ? 0 : 1);
  };

  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn(`${signal} again: exiting without waiting`);
      exit(1);
      return;
    }
    stopping = shutdown(signal);
  };
  for (const signal of options.signals ?? (['SIGTERM', 'SIGINT'] as NodeJS.Signals[])) {
    process.on(signal, onSignal);
  }
  return (signal: string) => (stopping ??= shutdown(signal));
}
