/**
 * A verify worker thread: opens its own read connection (a read-only SQLite handle on the same
 * file, or one PostgreSQL client) and runs the verify jobs it is sent, one at a time, each in a
 * snapshot of its own. Started by VerifyPool from the built file (dist/audit/verify-worker.js).
 */
import { parentPort, workerData } from 'node:worker_threads';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { intValue, numberPlaceholders, type Sql } from '../database/database.js';
import { rawSql } from '../database/sqlite-database.js';
import { runJob, type JobOutcome, type VerifyJob } from './verify-jobs.js';

/** What a worker is started with. */
export interface VerifyWorkerData {
  sqliteFile: string | null;
  databaseUrl: string | null;
}

export interface VerifyWorkerRequest {
  id: number;
  job: VerifyJob;
  maxProblems: number;
}

export type VerifyWorkerReply =
  | { id: number; outcome: JobOutcome }
  | { id: number; error: string }
  | { ready: true }
  | { failed: string };

async function connect(data: VerifyWorkerData): Promise<{ sql: Sql; close: () => Promise<void> }> {
  if (data.databaseUrl) {
    const client = new pg.Client({ connectionString: data.databaseUrl });
    await client.connect();
    return {
      sql: {
        dialect: 'postgres',
        async query<T>(text: string, params: unknown[] = []): Promise<T[]> {
          return (await client.query(numberPlaceholders(text), params)).rows as T[];
        },
        async queryArrays(text: string, params: unknown[] = []): Promise<unknown[][]> {
          const result = await client.query<unknown[]>({
            text: numberPlaceholders(text),
            values: params,
            rowMode: 'array',
          });
          return result.rows;
        },
        async execute(text: string, params: unknown[] = []): Promise<number> {
          return (await client.query(numberPlaceholders(text), params)).rowCount ?? 0;
        },
        async insertReturningId(text: string, params: unknown[] = []): Promise<number> {
          const result = await client.query<{ id: unknown }>(
            numberPlaceholders(`${text} RETURNING id`),
            params,
          );
          return intValue(result.rows[0]!.id);
        },
      },
      close: () => client.end(),
    };
  }
  const db = new BetterSqlite3(data.sqliteFile!, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  return { sql: rawSql(db), close: async () => void db.close() };
}

const port = parentPort!;
const data = workerData as VerifyWorkerData;
connect(data).then(
  ({ sql, close }) => {
    port.on('message', (message: VerifyWorkerRequest | 'close') => {
      if (message === 'close') {
        void close().finally(() => port.close());
        return;
      }
      runJob(sql, message.job, message.maxProblems).then(
        (outcome) => port.postMessage({ id: message.id, outcome } satisfies VerifyWorkerReply),
        (error: unknown) =>
          port.postMessage({
            id: message.id,
            error: (error as Error).message ?? String(error),
          } satisfies VerifyWorkerReply),
      );
    });
    port.postMessage({ ready: true } satisfies VerifyWorkerReply);
  },
  (error: unknown) =>
    port.postMessage({
      failed: (error as Error).message ?? String(error),
    } satisfies VerifyWorkerReply),
);
