/** Checks shared by the SQLite fault tests (tests/reliability/sqlite-*.test.ts). */
import { expect } from '@jest/globals';
import BetterSqlite3 from 'better-sqlite3';
import path from 'node:path';
import { appliedKeys, auditVerify, type Answer, type FaultCommand } from './fault-commands.js';
import type { ServerProcess } from './server-process.js';

export function databaseFile(dataDir: string): string {
  return path.join(dataDir, 'dondoc.sqlite');
}

/** `PRAGMA integrity_check` on a read-only handle of the file (the server may hold it open). */
export function integrity(dataDir: string): string {
  const db = new BetterSqlite3(databaseFile(dataDir), { readonly: true, fileMustExist: true });
  try {
    return db.pragma('integrity_check', { simple: true }) as string;
  } finally {
    db.close();
  }
}

/**
 * After a fault: the file is intact, the chains verify, the acknowledged commands are there once
 * each and nothing else is (no command that failed was applied).
 */
export async function expectIntact(
  server: ServerProcess,
  token: string,
  dataDir: string,
  obligations: string[],
  acked: FaultCommand[],
): Promise<void> {
  expect(integrity(dataDir)).toBe('ok');
  const applied = await appliedKeys(server, token, obligations);
  expect(acked.map((c) => applied.get(c.key) ?? 0)).toEqual(acked.map(() => 1));
  expect(applied.size).toBe(acked.length);
  const verify = await auditVerify(server, token);
  expect(verify).toMatchObject({ ok: true, problems: [] });
  // OBLIGATION_OPENED of each obligation, then one event per acknowledged command.
  expect(verify.events).toBe(obligations.length + acked.length);
}

/** Every answer is `status` with `code`, a message matching `message`, and nothing internal. */
export function expectFault(
  answers: Answer[],
  status: number,
  code: string,
  message: RegExp,
  retryAfter: string | null,
): void {
  for (const a of answers) {
    expect(a.status).toBe(status);
    expect(a.body).toMatchObject({ statusCode: status, code });
    expect(String(a.body?.message)).toMatch(message);
    expect(a.retryAfter).toBe(retryAfter);
    // Nothing internal: no driver code, no SQL, no stack.
    expect(JSON.stringify(a.body)).not.toMatch(/SQLITE|INSERT|UPDATE|at \w+ \(/);
  }
}
