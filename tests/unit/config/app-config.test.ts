import { describe, expect, it } from '@jest/globals';
import path from 'node:path';
import { loadConfig } from '../../../src/config/app-config.js';
import { DomainError } from '../../../src/core/errors.js';

function problems(env: Record<string, string>): Array<{ path: string; message: string }> {
  try {
    loadConfig(env);
  } catch (e) {
    expect((e as DomainError).code).toBe('INVALID_CONFIGURATION');
    return (e as DomainError).details.problems as Array<{ path: string; message: string }>;
  }
  throw new Error('expected the configuration to be rejected');
}

describe('configuration from the environment', () => {
  it('has working defaults: port 3000, SQLite under ./data, system clock', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      port: 3000,
      databaseUrl: null,
      clock: 'system',
      adminPassword: null,
    });
    expect(c.dataDir).toBe(path.resolve('data'));
    expect(c.workflowsDir.endsWith(path.join('workflows'))).toBe(true);
  });

  it('reads each variable', () => {
    const c = loadConfig({
      PORT: '8080',
      DONDOC_DATA_DIR: '/var/lib/dondoc',
      DATABASE_URL: 'postgres://u@db:5432/dondoc',
      DONDOC_CLOCK: 'virtual',
      DONDOC_ADMIN_PASSWORD: 'correct horse',
    });
    expect(c).toMatchObject({
      port: 8080,
      dataDir: '/var/lib/dondoc',
      databaseUrl: 'postgres://u@db:5432/dondoc',
      clock: 'virtual',
      adminPassword: 'correct horse',
    });
  });

  it('verify worker threads: a whole number from 0 to 64, default up to 4 by the CPUs', () => {
    expect(loadConfig({ DONDOC_VERIFY_WORKERS: '0' }).verifyWorkers).toBe(0);
    expect(loadConfig({ DONDOC_VERIFY_WORKERS: '3' }).verifyWorkers).toBe(3);
    const byDefault = loadConfig({}).verifyWorkers;
    expect(byDefault).toBeGreaterThanOrEqual(1);
    expect(byDefault).toBeLessThanOrEqual(4);
    expect(problems({ DONDOC_VERIFY_WORKERS: 'two' })[0]!.message).toContain('whole number');
    expect(problems({ DONDOC_VERIFY_WORKERS: '65' })[0]!.message).toContain('0 to 64');
  });

  it('list-view cache: a whole number of obligations up to 1,000,000, 0 turns it off', () => {
    expect(loadConfig({}).viewCacheObligations).toBe(10_000);
    expect(loadConfig({ DONDOC_VIEW_CACHE: '0' }).viewCacheObligations).toBe(0);
    expect(problems({ DONDOC_VIEW_CACHE: 'lots' })[0]!.message).toContain('whole number');
    expect(problems({ DONDOC_VIEW_CACHE: '1000001' })[0]!.message).toContain('0 to 1000000');
  });

  it('names every bad variable at once, with what was expected', () => {
    const p = problems({
      PORT: '70000',
      DATABASE_URL: 'mysql://x',
      DONDOC_CLOCK: 'fast',
      DONDOC_ADMIN_PASSWORD: 'short',
    });
    expect(p.map((x) => x.path).sort()).toEqual([
      'DATABASE_URL',
      'DONDOC_ADMIN_PASSWORD',
      'DONDOC_CLOCK',
      'PORT',
    ]);
    expect(p.find((x) => x.path === 'PORT')?.message).toContain('1 to 65535');
    expect(p.find((x) => x.path === 'DATABASE_URL')?.message).toContain('postgres://');
  });

  it('reads the metrics token and the shutdown timeout, and refuses weak or odd values', () => {
    expect(loadConfig({})).toMatchObject({ metricsToken: null, shutdownTimeoutMs: 30_000 });
    const token = 'm'.repeat(32);
    expect(
      loadConfig({ DONDOC_METRICS_TOKEN: token, DONDOC_SHUTDOWN_TIMEOUT: '90' }),
    ).toMatchObject({ metricsToken: token, shutdownTimeoutMs: 90_000 });
    const p = problems({ DONDOC_METRICS_TOKEN: 'short', DONDOC_SHUTDOWN_TIMEOUT: '0' });
    expect(p.find((x) => x.path === 'DONDOC_METRICS_TOKEN')?.message).toContain('at least 32');
    expect(p.find((x) => x.path === 'DONDOC_SHUTDOWN_TIMEOUT')?.message).toContain('1 to 3600');
  });

  it('rejects a port that is not a number', () => {
    expect(problems({ PORT: '30a0' })[0]).toMatchObject({
      path: 'PORT',
      message: expect.stringContaining('whole number'),
    });
  });
});
