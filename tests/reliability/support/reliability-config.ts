/**
 * The knobs of the reliability suite, read from the environment once. The defaults fit CI (each
 * database's run ~60–90 s); `npm run test:soak` (DONDOC_SOAK=1) runs a longer variant, and each
 * figure can be set on its own.
 */
import { randomInt } from 'node:crypto';

export interface ReliabilityConfig {
  /** Seed of every random choice (kill moments, commands, think times): printed, repeatable. */
  seed: number;
  /** SIGKILLs per database. */
  kills: number;
  /** Concurrent clients sending commands. */
  clients: number;
  /** Obligations each client owns (and alone sends commands to). */
  obligationsPerClient: number;
  /** How long the server runs between a restart and the next kill: [min, max] ms. */
  uptimeMs: [number, number];
  /** A client's pause between two commands: [min, max] ms. */
  thinkMs: [number, number];
  soak: boolean;
}

function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} must be a whole number: ${raw}`);
  return n;
}

/** Reads RELIABILITY_SEED, RELIABILITY_KILLS, RELIABILITY_CLIENTS, RELIABILITY_UPTIME_MS… */
export function reliabilityConfig(): ReliabilityConfig {
  const soak = ['1', 'true'].includes(process.env.DONDOC_SOAK ?? '');
  const maxUptime = intFromEnv('RELIABILITY_UPTIME_MS', soak ? 3000 : 1200);
  return {
    seed: intFromEnv('RELIABILITY_SEED', randomInt(1, 2 ** 31 - 1)),
    kills: Math.max(1, intFromEnv('RELIABILITY_KILLS', soak ? 200 : 20)),
    clients: Math.max(1, intFromEnv('RELIABILITY_CLIENTS', soak ? 8 : 4)),
    obligationsPerClient: Math.max(1, intFromEnv('RELIABILITY_OBLIGATIONS_PER_CLIENT', 3)),
    uptimeMs: [Math.min(100, maxUptime), maxUptime],
    thinkMs: [0, intFromEnv('RELIABILITY_THINK_MS', 20)],
    soak,
  };
}

/**
 * The Jest timeout for one database's run: a ceiling for a hung run, not the expected time.
 * Restarts dominate (the server needs ~3 s of CPU to load its modules, and far longer on a
 * machine busy with other work), so it allows 25 s for each.
 */
export function runTimeoutMs(config: ReliabilityConfig): number {
  return 180_000 + config.kills * (config.uptimeMs[1] + 25_000);
}
