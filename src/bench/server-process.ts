/**
 * The built server (`dist/main.js`) as a child process of a benchmark, so the load generator and
 * the server do not share an event loop, and the server's peak RSS is its own.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { PACKAGE_ROOT } from '../config/app-config.js';

export interface BenchServer {
  child: ChildProcess;
  url: string;
  port: number;
  output(): string;
  /** Peak resident set size so far (Linux: VmHWM), MiB; null where /proc is unavailable. */
  peakRssMiB(): number | null;
  /** Starts the peak over (Linux: clear_refs 5), e.g. after seeding; false if not possible. */
  resetPeakRss(): boolean;
  /** SIGTERM (graceful shutdown) and the exit code. */
  stop(): Promise<number | null>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts the server with `env` (added to this process's environment) and waits until ready.
 * `nodeArgs` go to node before the script (e.g. `--cpu-prof` to profile the server).
 */
export async function startBenchServer(
  env: Record<string, string>,
  nodeArgs: string[] = [],
): Promise<BenchServer> {
  const port = await freePort();
  const fullEnv: NodeJS.ProcessEnv = { ...process.env, ...env, PORT: String(port) };
  if (!env.DATABASE_URL) delete fullEnv.DATABASE_URL;
  const child = spawn(process.execPath, [...nodeArgs, path.join(PACKAGE_ROOT, 'dist', 'main.js')], {
    env: fullEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  const url = `http://127.0.0.1:${port}`;
  const server: BenchServer = {
    child,
    url,
    port,
    output: () => out,
    peakRssMiB: () => {
      try {
        const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
        const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
        return kb ? Number(kb) / 1024 : null;
      } catch {
        return null;
      }
    },
    resetPeakRss: () => {
      try {
        writeFileSync(`/proc/${child.pid}/clear_refs`, '5');
        return true;
      } catch {
        return false;
      }
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
  for (let i = 0; i < 600 && child.exitCode === null; i++) {
    const res = await fetch(`${url}/api/health/ready`).catch(() => null);
    if (res?.status === 200) return server;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`the server did not become ready:\n${out}`);
}

/** A JSON request; throws with the answer when the status is not the expected one. */
export async function call<T>(
  url: string,
  method: string,
  route: string,
  token: string | null,
  body: unknown,
  expected: number[] = [200, 201],
): Promise<T> {
  const send = () =>
    fetch(`${url}${route}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  // A kept-alive connection idle for the server's keep-alive timeout (5 s) may be closed just as
  // it is reused ("fetch failed"): a GET changes nothing, so it is sent once more.
  const res = await send().catch((error: unknown) => {
    if (method !== 'GET') throw error;
    return send();
  });
  const text = await res.text();
  if (!expected.includes(res.status)) {
    throw new Error(`${method} ${route}: ${res.status} ${text.slice(0, 500)}`);
  }
  return (text ? JSON.parse(text) : null) as T;
}
