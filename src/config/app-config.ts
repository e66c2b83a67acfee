/**
 * Environment configuration, validated once at boot. Every bad value is reported with the
 * variable's name and what was expected; nothing starts with a bad configuration.
 */
import { fileURLToPath } from 'node:url';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { DomainError, ErrorCode } from '../core/errors.js';

/** The package root (the folder holding package.json and workflows/), from src/ or dist/. */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export type ClockMode = 'system' | 'virtual';

export interface AppConfig {
  port: number;
  dataDir: string;
  databaseUrl: string | null;
  adminPassword: string | null;
  clock: ClockMode;
  workflowsDir: string;
  /** HMAC secret for access tokens; null = generated once into the data folder. */
  jwtSecret: string | null;
  /** Lifetime of an access token, seconds. */
  tokenTtlSeconds: number;
  /** Login attempts allowed per client per minute. */
  loginRateLimit: number;
  /** Origins allowed by CORS; empty = CORS off. */
  corsOrigins: string[];
  /** SMTP server for e-mail notifications (smtp:// or smtps:// URL); null = no e-mail. */
  smtpUrl: string | null;
  /** Sender address of e-mail notifications. */
  mailFrom: string;
  /** Webhook endpoints that receive every notification as a signed JSON POST. */
  webhookUrls: string[];
  /** HMAC-SHA256 key of the webhook signature header; null = generated into the data folder. */
  webhookSecret: string | null;
  /** Delivery attempts before a notification is marked failed. */
  notifyMaxAttempts: number;
  /** Folder of the working-day calendar files. */
  calendarDir: string;
  /** HMAC key that signs audit checkpoints; null = generated once into the data folder. */
  auditKey: string | null;
  /** Open the current year's cycle of every plan at start. */
  openCurrentCycleAtStart: boolean;
  /** Worker threads of an audit verify (0: verify in the server's own thread). */
  verifyWorkers: number;
  /** Bearer token that may read `/metrics` from any address; null = loopback clients only. */
  metricsToken: string | null;
  /** How long a graceful shutdown may take before the process exits anyway, milliseconds. */
  shutdownTimeoutMs: number;
  /**
   * SQLite only: where the write-ahead log is checkpointed into the database. `background`: on a
   * worker thread, off the writer's commits; `inline`: in the COMMIT that crosses 1,000 pages
   * (SQLite's default).
   */
  sqliteCheckpoints: 'background' | 'inline';
  /**
   * SQLite only: when a commit reaches the disk. `normal`: the log is synced at checkpoints, so a
   * commit survives a crash of the process but the last ones may be lost on power loss or an
   * operating-system crash; `full`: every commit is synced before it is acknowledged (one sync
   * per batch of the group commit).
   */
  sqliteSynchronous: 'normal' | 'full';
  /** Obligations whose list-view texts are remembered per process (0: none; about 1 KB each). */
  viewCacheObligations: number;
}

/** Default of DONDOC_VIEW_CACHE: about 16 MB of list-view texts (two bytes a character in V8). */
export const VIEW_CACHE_OBLIGATIONS = 10_000;

const port = z
  .string()
  .regex(/^\d+$/, 'expected a whole number')
  .transform(Number)
  .refine((n) => n >= 1 && n <= 65535, 'expected a port from 1 to 65535');

const schema = z.object({
  PORT: port.optional(),
  DONDOC_DATA_DIR: z.string().min(1, 'expected a folder path').optional(),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\/.+/, 'expected a postgres:// or postgresql:// URL')
    .optional(),
  DONDOC_ADMIN_PASSWORD: z.string().min(8, 'expected at least 8 characters').optional(),
  DONDOC_CLOCK: z
    .enum(['system', 'virtual'], { message: 'expected "system" or "virtual"' })
    .optional(),
  DONDOC_WORKFLOWS_DIR: z.string().min(1, 'expected a folder path').optional(),
  DONDOC_SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\/.+/, 'expected an smtp:// or smtps:// URL')
    .optional(),
  DONDOC_MAIL_FROM: z
    .string()
    .regex(/^[^\s@]+@[^\s@]+$|^.+<[^\s@]+@[^\s@]+>$/, 'expected an e-mail address')
    .optional(),
  DONDOC_WEBHOOK_URLS: z
    .string()
    .transform((s) =>
      s
        .split(',')
        .map((u) => u.trim())
        .filter(Boolean),
    )
    .refine(
      (list) => list.every((u) => /^https?:\/\/\S+$/.test(u)),
      'expected a comma-separated list of http(s) URLs',
    )
    .optional(),
  DONDOC_WEBHOOK_SECRET: z.string().min(16, 'expected at least 16 characters').optional(),
  DONDOC_NOTIFY_MAX_ATTEMPTS: z
    .string()
    .regex(/^\d+$/, 'expected a whole number')
    .transform(Number)
    .refine((n) => n >= 1 && n <= 20, 'expected 1 to 20 attempts')
    .optional(),
  DONDOC_CALENDAR_DIR: z.string().min(1, 'expected a folder path').optional(),
  DONDOC_AUDIT_KEY: z.string().min(32, 'expected at least 32 characters').optional(),
  DONDOC_JWT_SECRET: z.string().min(32, 'expected at least 32 characters').optional(),
  DONDOC_TOKEN_TTL: z
    .string()
    .regex(/^\d+$/, 'expected a whole number of seconds')
    .transform(Number)
    .refine((n) => n >= 60 && n <= 86400, 'expected 60 to 86400 seconds')
    .optional(),
  DONDOC_LOGIN_RATE_LIMIT: z
    .string()
    .regex(/^\d+$/, 'expected a whole number')
    .transform(Number)
    .refine((n) => n >= 1 && n <= 1000, 'expected 1 to 1000 attempts per minute')
    .optional(),
  DONDOC_CORS_ORIGINS: z
    .string()
    .transform((s) =>
      s
        .split(',')
        .map((o) => o.trim())
        .filter(Boolean),
    )
    .refine(
      (list) => list.every((o) => /^https?:\/\/[^/\s]+$/.test(o)),
      'expected a comma-separated list of origins such as https://dondoc.example.vn',
    )
    .optional(),
  DONDOC_OPEN_CURRENT_CYCLE: z
    .enum(['true', 'false'], { message: 'expected "true" or "false"' })
    .optional(),
  DONDOC_VERIFY_WORKERS: z
    .string()
    .regex(/^\d+$/, 'expected a whole number')
    .transform(Number)
    .refine((n) => n <= 64, 'expected 0 to 64 worker threads')
    .optional(),
  DONDOC_METRICS_TOKEN: z
    .string()
    .regex(/^[\x21-\x7e]{32,}$/, 'expected at least 32 visible ASCII characters')
    .optional(),
  DONDOC_VIEW_CACHE: z
    .string()
    .regex(/^\d+$/, 'expected a whole number of obligations')
    .transform(Number)
    .refine((n) => n <= 1_000_000, 'expected 0 to 1000000 obligations')
    .optional(),
  DONDOC_SQLITE_CHECKPOINTS: z
    .enum(['background', 'inline'], { message: 'expected "background" or "inline"' })
    .optional(),
  DONDOC_SQLITE_SYNCHRONOUS: z
    .enum(['normal', 'full'], { message: 'expected "normal" or "full"' })
    .optional(),
  DONDOC_SHUTDOWN_TIMEOUT: z
    .string()
    .regex(/^\d+$/, 'expected a whole number of seconds')
    .transform(Number)
    .refine((n) => n >= 1 && n <= 3600, 'expected 1 to 3600 seconds')
    .optional(),
});

/** Reads and validates the environment; throws INVALID_CONFIGURATION naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const relevant = Object.fromEntries(
    Object.keys(schema.shape).map((k) => [k, env[k] === '' ? undefined : env[k]]),
  );
  const result = schema.safeParse(relevant);
  if (!result.success) {
    const problems = result.error.issues.map((i) => ({
      path: String(i.path[0] ?? ''),
      message: `${i.message} (got ${JSON.stringify(relevant[String(i.path[0])])})`,
    }));
    throw new DomainError(
      ErrorCode.INVALID_CONFIGURATION,
      'Invalid configuration:\n' + problems.map((p) => `  - ${p.path}: ${p.message}`).join('\n'),
      { problems },
    );
  }
  const v = result.data;
  return {
    port: v.PORT ?? 3000,
    dataDir: path.resolve(v.DONDOC_DATA_DIR ?? './data'),
    databaseUrl: v.DATABASE_URL ?? null,
    adminPassword: v.DONDOC_ADMIN_PASSWORD ?? null,
    clock: v.DONDOC_CLOCK ?? 'system',
    workflowsDir: path.resolve(v.DONDOC_WORKFLOWS_DIR ?? path.join(PACKAGE_ROOT, 'workflows')),
    jwtSecret: v.DONDOC_JWT_SECRET ?? null,
    tokenTtlSeconds: v.DONDOC_TOKEN_TTL ?? 3600,
    loginRateLimit: v.DONDOC_LOGIN_RATE_LIMIT ?? 10,
    corsOrigins: v.DONDOC_CORS_ORIGINS ?? [],
    smtpUrl: v.DONDOC_SMTP_URL ?? null,
    mailFrom: v.DONDOC_MAIL_FROM ?? 'dondoc <dondoc@localhost>',
    webhookUrls: v.DONDOC_WEBHOOK_URLS ?? [],
    webhookSecret: v.DONDOC_WEBHOOK_SECRET ?? null,
    notifyMaxAttempts: v.DONDOC_NOTIFY_MAX_ATTEMPTS ?? 6,
    auditKey: v.DONDOC_AUDIT_KEY ?? null,
    calendarDir: path.resolve(
      v.DONDOC_CALENDAR_DIR ?? path.join(PACKAGE_ROOT, 'workflows', 'calendar'),
    ),
    openCurrentCycleAtStart: (v.DONDOC_OPEN_CURRENT_CYCLE ?? 'true') === 'true',
    verifyWorkers: v.DONDOC_VERIFY_WORKERS ?? Math.min(4, availableParallelism()),
    metricsToken: v.DONDOC_METRICS_TOKEN ?? null,
    shutdownTimeoutMs: (v.DONDOC_SHUTDOWN_TIMEOUT ?? 30) * 1000,
    sqliteCheckpoints: v.DONDOC_SQLITE_CHECKPOINTS ?? 'background',
    sqliteSynchronous: v.DONDOC_SQLITE_SYNCHRONOUS ?? 'normal',
    viewCacheObligations: v.DONDOC_VIEW_CACHE ?? VIEW_CACHE_OBLIGATIONS,
  };
}

/**
 * `DONDOC_*` variables read outside the schema: the CLI's identity (`--as`) and new password,
 * the CLI's stack traces, the browser tests' Chromium and the long soak run (`npm run test:soak`).
 */
export const OTHER_DONDOC_VARIABLES: readonly string[] = [
  'DONDOC_CLI_USER',
  'DONDOC_NEW_PASSWORD',
  'DONDOC_DEBUG',
  'DONDOC_CHROMIUM',
  'DONDOC_SOAK',
];

/** Every environment variable dondoc reads. */
export function knownVariables(): string[] {
  return [...Object.keys(schema.shape), ...OTHER_DONDOC_VARIABLES].sort();
}

/** Levenshtein distance (small strings only). */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(
        row[j]! + 1,
        next[j - 1]! + 1,
        row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    row = next;
  }
  return row[b.length]!;
}

/**
 * Warnings for variables that look meant for dondoc but that it does not read: every unknown
 * `DONDOC_*` name, and any other name within two edits of a known one (`DATABSE_URL`). Each names
 * the closest known variable when one is near. Pure: the caller prints them.
 */
export function unknownVariableWarnings(env: NodeJS.ProcessEnv = process.env): string[] {
  const known = knownVariables();
  const warnings: string[] = [];
  for (const name of Object.keys(env).sort()) {
    if (known.includes(name)) continue;
    const upper = name.toUpperCase();
    const dondoc = upper.startsWith('DONDOC_');
    const ranked = known
      .map((k) => ({
        k,
        // A known name that a DONDOC_ variable extends or cuts short (the SMTP one without _URL)
        // counts as near.
        d: dondoc && (k.startsWith(upper) || upper.startsWith(k)) ? 1 : distance(upper, k),
      }))
      .sort((x, y) => x.d - y.d || x.k.localeCompare(y.k));
    const best = ranked[0]!;
    if (dondoc) {
      warnings.push(
        `Unknown environment variable ${name} is ignored` +
          (best.d <= 3 ? ` (did you mean ${best.k}?)` : ` (dondoc reads: ${known.join(', ')})`),
      );
    } else if (best.d <= 2 && best.d < best.k.length / 4) {
      warnings.push(`Unknown environment variable ${name} is ignored (did you mean ${best.k}?)`);
    }
  }
  return warnings;
}

/** Injection token of the AppConfig value. */
export const APP_CONFIG = Symbol('APP_CONFIG');
