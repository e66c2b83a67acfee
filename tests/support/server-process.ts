/** The built server (`dist/main.js`) as a child process, for shutdown and multi-replica tests. */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import type { TestDatabase } from './databases.js';
import { TEST_ADMIN_PASSWORD } from './test-app.js';

const MAIN = path.resolve('dist', 'main.js');

/** Shared by every replica of a test, so a token from one is valid on the others. */
export const TEST_JWT_SECRET = 'test-jwt-secret-shared-by-the-replicas-0123456789';

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface ServerProcess {
  child: ChildProcess;
  port: number;
  url: string;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  /** Resolves with the exit code once the process ended. */
  exited: Promise<number | null>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Starts a server on `db` with a virtual clock and waits until it is ready. `as` runs it as
 * another user (fault tests run as root, to whom no file is read-only). A `PORT` in `extraEnv`
 * is used as given (a restarted server keeps its address); otherwise a free one.
 */
export async function startServer(
  db: Pick<TestDatabase, 'dataDir' | 'databaseUrl'>,
  extraEnv: Record<string, string> = {},
  as: Pick<SpawnOptions, 'uid' | 'gid'> = {},
): Promise<ServerProcess> {
  const port = extraEnv.PORT ? Number(extraEnv.PORT) : await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    PORT: String(port),
    DONDOC_DATA_DIR: db.dataDir,
    DONDOC_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
    DONDOC_JWT_SECRET: TEST_JWT_SECRET,
    DONDOC_CLOCK: 'virtual',
    DONDOC_OPEN_CURRENT_CYCLE: 'false',
    ...extraEnv,
  };
  delete env.DATABASE_URL;
  if (db.databaseUrl) env.DATABASE_URL = db.databaseUrl;
  const child = spawn(process.execPath, [MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'], ...as });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  const url = `http://127.0.0.1:${port}`;
  const server: ServerProcess = {
    child,
    port,
    url,
    output: () => out,
    exited,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
  let gone = false;
  void exited.then(() => (gone = true));
  for (let i = 0; i < 300 && !gone; i++) {
    const res = await fetch(`${url}/api/health/ready`).catch(() => null);
    if (res?.status === 200) return server;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`the server did not become ready:\n${out}`);
}

/** Logs in on `server` and returns the access token. */
export async function loginOn(
  server: Pick<ServerProcess, 'url'>,
  username = 'admin',
  password = TEST_ADMIN_PASSWORD,
): Promise<string> {
  const res = await fetch(`${server.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (res.status !== 200) throw new Error(`login ${username}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { accessToken: string }).accessToken;
}

/** A JSON request with a bearer token; resolves with the status and the parsed body. */
export async function api<T = unknown>(
  server: Pick<ServerProcess, 'url'>,
  token: string,
  method: string,
  route: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${server.url}${route}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}
