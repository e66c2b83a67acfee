/**
 * Checkpoints of the SQLite write-ahead log on a worker thread. By default SQLite copies the log
 * into the database inside the COMMIT that takes it past 1,000 pages, with an fsync of each file:
 * about 40% of the group commit's COMMIT time (`npm run bench`). Here a worker thread with its own
 * connection does it (PASSIVE: it never blocks the writer or readers) shortly after the writer
 * commits, so the writer's own commits only append to the log.
 *
 * Durability is unchanged: the same WAL, `synchronous = NORMAL`, and SQLite's own checkpoint. The
 * writer keeps an inline checkpoint as a safety bound (`SAFETY_PAGES`): under load the log is
 * never fully copied at the moment a write begins, so SQLite cannot restart it; the writer's
 * checkpoint at the bound copies only what the worker has not yet, and the log starts over.
 * If the worker cannot run (no build, a read-only file, an error), the writer checkpoints inline
 * at SQLite's default of 1,000 pages, as without it; the reason is logged once.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type BetterSqlite3 from 'better-sqlite3';
import { PACKAGE_ROOT } from '../config/app-config.js';
import type { CheckpointWorkerData, CheckpointWorkerReply } from './sqlite-checkpoint-worker.js';

/** The built worker (tests run the sources, and use the build made by their global setup). */
export const CHECKPOINT_WORKER_FILE = path.join(
  PACKAGE_ROOT,
  'dist',
  'database',
  'sqlite-checkpoint-worker.js',
);

/** SQLite's default inline checkpoint threshold (pages of log). */
export const INLINE_PAGES = 1000;
/** The writer's own checkpoint while the worker runs: a bound on the log's size (about 40 MB). */
export const SAFETY_PAGES = 10_000;
/** How often the worker looks for new commits (ms). */
const INTERVAL_MS = 50;

export class SqliteCheckpointer {
  private readonly commits = new Int32Array(new SharedArrayBuffer(4));
  private worker: Worker | null = null;
  private stopped = false;
  /** The worker's start, under way or done (it never rejects). */
  private launching: Promise<void> = Promise.resolve();
  /** Checkpoints the worker has run, and the last one's log and copied pages (for the tests). */
  readonly stats = { checkpoints: 0, log: 0, copied: 0 };

  private constructor(
    private readonly connection: BetterSqlite3.Database,
    private readonly warn: (message: string) => void,
  ) {}

  /**
   * Starts the worker for the connection's database file, without waiting for it (the writer
   * checkpoints inline until it is connected); on any failure the connection stays on SQLite's
   * inline checkpoints. `ready()` resolves once the worker is connected or given up on.
   */
  static start(
    connection: BetterSqlite3.Database,
    warn: (message: string) => void,
  ): SqliteCheckpointer {
    const c = new SqliteCheckpointer(connection, warn);
    c.launching = c.launch().catch((error: unknown) => {
      c.warn(`checkpoints stay inline: ${(error as Error)?.message ?? String(error)}`);
    });
    return c;
  }

  /** Resolves once the worker is connected, or given up on. */
  ready(): Promise<void> {
    return this.launching;
  }

  /** Whether checkpoints run on the worker now (false: inline, in the writer's COMMIT). */
  get background(): boolean {
    return this.worker !== null;
  }

  /** Tells the worker the writer committed (cheap: one atomic add). */
  committed(): void {
    Atomics.add(this.commits, 0, 1);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.launching;
    const worker = this.worker;
    this.worker = null;
    if (!worker) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.postMessage('stop');
    const timeout = setTimeout(() => void worker.terminate(), 2000);
    await exited;
    clearTimeout(timeout);
  }

  private async launch(): Promise<void> {
    const file = this.connection.name;
    if (this.connection.memory || !file || file === ':memory:') return;
    if (this.connection.readonly) return;
    if (!existsSync(CHECKPOINT_WORKER_FILE)) {
      this.warn(`checkpoints stay inline: the worker is not built (${CHECKPOINT_WORKER_FILE})`);
      return;
    }
    const data: CheckpointWorkerData = {
      file,
      intervalMs: INTERVAL_MS,
      commits: this.commits.buffer as SharedArrayBuffer,
    };
    const worker = new Worker(CHECKPOINT_WORKER_FILE, { workerData: data });
    const ready = await new Promise<boolean>((resolve) => {
      worker.once('message', (reply: CheckpointWorkerReply) => {
        if ('failed' in reply) this.warn(`checkpoints stay inline: ${reply.failed}`);
        resolve('ready' in reply);
      });
      worker.once('error', (error) => {
        this.warn(`checkpoints stay inline: ${error.message}`);
        resolve(false);
      });
    });
    if (!ready || this.stopped) {
      await worker.terminate();
      return;
    }
    worker.unref();
    worker.on('message', (reply: CheckpointWorkerReply) => {
      if ('checkpointed' in reply) {
        this.stats.checkpoints += 1;
        this.stats.log = reply.checkpointed.log;
        this.stats.copied = reply.checkpointed.copied;
      } else if ('failed' in reply) {
        this.fallBack(`checkpoints back inline: ${reply.failed}`);
      }
    });
    worker.on('error', (error) => this.fallBack(`checkpoints back inline: ${error.message}`));
    worker.on('exit', (code) => {
      if (this.worker === worker)
        this.fallBack(`checkpoints back inline: the worker exited (${code})`);
    });
    this.worker = worker;
    this.connection.pragma(`wal_autocheckpoint = ${SAFETY_PAGES}`);
  }

  private fallBack(reason: string): void {
    const worker = this.worker;
    if (!worker) return;
    this.worker = null;
    this.warn(reason);
    try {
      this.connection.pragma(`wal_autocheckpoint = ${INLINE_PAGES}`);
    } catch {
      // The connection is closing; nothing left to checkpoint for.
    }
    void worker.terminate();
  }
}
