import { describe, expect, it } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const ROOT = process.cwd();
const MAIN = path.join(ROOT, 'dist', 'main.js');

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'dondoc-start-'));
}

function baseEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  delete env.DATABASE_URL;
  return env;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

describe('starting the server', () => {
  it('refuses to start on a bad configuration, naming each bad variable', () => {
    const r = spawnSync('node', [MAIN], {
      env: baseEnv({ DONDOC_DATA_DIR: tempDir(), PORT: 'eighty', DONDOC_CLOCK: 'sometimes' }),
      encoding: 'utf8',
      timeout: 20000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('PORT');
    expect(r.stderr).toContain('DONDOC_CLOCK');
    expect(r.stderr).toContain('expected "system" or "virtual"');
  });

  it('refuses to start with an invalid plan, naming the file and the path inside it', () => {
    const workflows = tempDir();
    fs.mkdirSync(path.join(workflows, 'broken'));
    fs.copyFileSync(
      path.join(ROOT, 'tests/fixtures/plans/broken/unknown-agency-reference.yaml'),
      path.join(workflows, 'broken', 'plan.yaml'),
    );
    const r = spawnSync('node', [MAIN], {
      env: baseEnv({ DONDOC_DATA_DIR: tempDir(), DONDOC_WORKFLOWS_DIR: workflows }),
      encoding: 'utf8',
      timeout: 20000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(path.join('broken', 'plan.yaml'));
    expect(r.stderr).toMatch(/tasks\[\d+\]\.(lead|coordinating)\.agencies\[\d+\]/);
  });

  it("first start: prints admin's generated password once; serves the plan with the current cycle open", async () => {
    const port = await freePort();
    const dataDir = tempDir();
    const env = baseEnv({ DONDOC_DATA_DIR: dataDir, PORT: String(port) });
    delete env.DONDOC_ADMIN_PASSWORD;
    const start = () => {
      const child = spawn('node', [MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      return { child, output: () => out };
    };
    const waitHealthy = async () => {
      // A first start migrates the database and opens the current cycle: give a loaded CI
      // machine time (seen: 9–15 s at load 12).
      const deadline = Date.now() + 45_000;
      while (Date.now() < deadline) {
        const res = await fetch(`http://127.0.0.1:${port}/api/health`).catch(() => null);
        if (res?.status === 200) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error('the server did not become healthy');
    };
    const stop = async (child: ReturnType<typeof spawn>) => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    };
    const login = (password: string) =>
      fetch(`http://127.0.0.1:${port}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password }),
      });

    const first = start();
    let password: string;
    try {
      await waitHealthy();
      const match = /generated password: (\S+)/.exec(first.output());
      expect(match).not.toBeNull();
      password = match![1]!;
      const res = await login(password);
      expect(res.status).toBe(200);
      const { accessToken } = (await res.json()) as { accessToken: string };
      const year = new Intl.DateTimeFormat('en', {
        timeZone: 'Asia/Ho_Chi_Minh',
        year: 'numeric',
      }).format(new Date());
      const cycle = await fetch(
        `http://127.0.0.1:${port}/api/plans/thanh-hoa-nq46/cycles/${year}`,
        {
          headers: { authorization: `Bearer ${accessToken}` },
        },
      );
      expect(cycle.status).toBe(200);
      const body = (await cycle.json()) as { counts: { byStage: Record<string, number> } };
      // The current year's roster, as the registry has it on 1 January of that year.
      const roster: Record<string, number> = { '2024': 54, '2025': 53 };
      expect(Object.values(body.counts.byStage).reduce((a, b) => a + b, 0)).toBe(
        roster[year] ?? 21,
      );
      expect(fs.existsSync(path.join(dataDir, 'dondoc.sqlite'))).toBe(true);
      expect(fs.statSync(path.join(dataDir, 'jwt-secret')).mode & 0o777).toBe(0o600);
    } finally {
      await stop(first.child);
    }

    // The second start neither prints a password nor changes it.
    const second = start();
    try {
      await waitHealthy();
      expect(second.output()).not.toContain('generated password');
      expect((await login(password)).status).toBe(200);
    } finally {
      await stop(second.child);
    }
  }, 120_000);
});
