/**
 * The SQLite checkpointer's worker thread (see sqlite-checkpointer.ts): its own connection to the
 * database file, on which it copies the write-ahead log into the database (`PRAGMA
 * wal_checkpoint(PASSIVE)`: it never blocks the writer or the readers) whenever the writer has
 * committed since the last look, at most every `intervalMs`. Replies `{ ready }` once connected,
 * `{ checkpointed: { log, copied } }` after each checkpoint, and `{ failed }` on an error, after
 * which it stops (the writer then checkpoints inline again). Started from the build
 * (dist/database/sqlite-checkpoint-worker.js).
 */
import BetterSqlite3 from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';

export interface CheckpointWorkerData {
  file: string;
  intervalMs: number;
  /** Int32Array over a SharedArrayBuffer: [0] counts the writer's commits. */
  commits: SharedArrayBuffer;
}

export type CheckpointWorkerReply =
  { ready: true } | { checkpointed: { log: number; copied: number } } | { failed: string };

function main(): void {
  const port = parentPort;
  if (!port) return;
  const data = workerData as CheckpointWorkerData;
  const commits = new Int32Array(data.commits);
  let db: BetterSqlite3.Database;
  try {
    db = new BetterSqlite3(data.file, { fileMustExist: true });
    // Never wait on the writer's locks: a checkpoint that cannot proceed now runs next time.
    db.pragma('busy_timeout = 0');
  } catch (error) {
    port.postMessage({ failed: (error as Error).message } satisfies CheckpointWorkerReply);
    return;
  }
  let seen = Atomics.load(commits, 0);
  const timer = setInterval(() => {
    const now = Atomics.load(commits, 0);
    if (now === seen) return;
    seen = now;
    try {
      const [row] = db.pragma('wal_checkpoint(PASSIVE)') as Array<{
        busy: number;
        log: number;
        checkpointed: number;
      }>;
      port.postMessage({
        checkpointed: { log: row?.log ?? 0, copied: row?.checkpointed ?? 0 },
      } satisfies CheckpointWorkerReply);
    } catch (error) {
      // Another checkpoint holds the lock (the writer's own, past its safety bound): next time.
      if (/^SQLITE_(BUSY|LOCKED)/.test((error as { code?: string }).code ?? '')) {
        seen = -1;
        return;
      }
      clearInterval(timer);
      db.close();
      port.postMessage({ failed: (error as Error).message } satisfies CheckpointWorkerReply);
    }
  }, data.intervalMs);
  port.on('message', (message: unknown) => {
    if (message !== 'stop') return;
    clearInterval(timer);
    db.close();
    port.close();
  });
  port.postMessage({ ready: true } satisfies CheckpointWorkerReply);
}

main();
