/**
 * The peer benchmark: the same four-step lifecycle for the same obligations at the same
 * concurrency, in bpmn-engine (its state persisted to SQLite after every step) and in dondoc
 * (CommandService on SQLite: event row, state, timers, hash chain, one durable commit per
 * command), each side in its own child process so its peak RSS is its own. Both sides first
 * open every obligation (dondoc opens the cycle; the peer starts a process instance for each and
 * persists it), then `concurrency` workers take each obligation through its four steps; both
 * are timed from the first opening to the last step. The sides alternate for BENCH_ROUNDS
 * rounds and each ratio is the median over the rounds. A benchmark, not a test: it fails (exit 1) only
 * when a side's integrity check fails (every obligation completed and persisted).
 *
 * The peer keeps its waiting instances in memory by default (its fastest way); with
 * BENCH_PEER_MODE=recover (or both) it recovers each from SQLite at every step instead.
 *
 * `npm run bench:peer`. Overrides: BENCH_OBLIGATIONS (2,000), BENCH_CONCURRENCY (64),
 * BENCH_ROUNDS (2), BENCH_PEER_MODE (memory | recover | both).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { finish, median, printTable } from './http-load.js';
import { envInt } from './bench-env.js';
import type { PeerRunResult } from './peer/run-result.js';

const OBLIGATIONS = envInt('BENCH_OBLIGATIONS', 2_000);
const CONCURRENCY = envInt('BENCH_CONCURRENCY', 64);
const ROUNDS = envInt('BENCH_ROUNDS', 2);
/** memory (default), recover, or both: how the peer keeps its waiting instances. */
const PEER_MODE = process.env.BENCH_PEER_MODE ?? 'memory';
const TARGET_THROUGHPUT = 30;
const TARGET_RSS = 1 / 5;
const HERE = path.dirname(fileURLToPath(import.meta.url));

const log = (msg: string) => console.log(`[bench:peer] ${msg}`);

function runSide(
  side: 'dondoc' | 'bpmn-engine',
  dir: string,
  mode: 'memory' | 'recover' = 'memory',
): Promise<PeerRunResult> {
  const script = path.join(
    HERE,
    'peer',
    side === 'dondoc' ? 'dondoc-side.run.js' : 'bpmn-side.run.js',
  );
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [script, dir, String(OBLIGATIONS), String(CONCURRENCY), mode],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, NODE_ENV: 'production' },
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => {
      const last = out.trim().split('\n').at(-1) ?? '';
      try {
        if (code !== 0) throw new Error(`exit ${code}`);
        resolve(JSON.parse(last) as PeerRunResult);
      } catch (e) {
        reject(new Error(`${side} failed (${(e as Error).message}):\n${out}\n${err}`));
      }
    });
  });
}

type Variant = 'dondoc' | 'bpmn-engine (memory)' | 'bpmn-engine (recover)';

async function main(): Promise<number> {
  const tmp = mkdtempSync(path.join(tmpdir(), 'dondoc-bench-peer-'));
  const problems: string[] = [];
  const runs: Array<PeerRunResult & { variant: Variant }> = [];
  const loadBefore = loadavg();
  const peerModes: Array<'memory' | 'recover'> =
    PEER_MODE === 'both' ? ['memory', 'recover'] : [PEER_MODE === 'recover' ? 'recover' : 'memory'];
  log(
    `${OBLIGATIONS} obligations × 4 steps, concurrency ${CONCURRENCY}, ${ROUNDS} round(s), peer mode ${peerModes.join(' and ')}`,
  );
  try {
    for (let r = 0; r < ROUNDS; r++) {
      const variants: Variant[] = [
        'dondoc',
        ...peerModes.map((m) => `bpmn-engine (${m})` as Variant),
      ];
      // Alternate the order, so no side always runs on a warmer or cooler machine.
      if (r % 2 === 1) variants.reverse();
      for (const variant of variants) {
        const dir = mkdtempSync(path.join(tmp, 'run-'));
        const result =
          variant === 'dondoc'
            ? await runSide('dondoc', dir)
            : await runSide('bpmn-engine', dir, variant.includes('recover') ? 'recover' : 'memory');
        rmSync(dir, { recursive: true, force: true });
        runs.push({ ...result, variant });
        problems.push(...result.problems.map((p) => `${variant}, round ${r + 1}: ${p}`));
        log(
          `round ${r + 1} ${variant}: ${(result.steps / result.seconds).toFixed(0)} steps/s, peak RSS ${result.peakRssMiB.toFixed(0)} MiB (load ${loadavg()[0]!.toFixed(1)})`,
        );
      }
    }
  } catch (error) {
    problems.push(`benchmark aborted: ${(error as Error)?.stack ?? String(error)}`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }

  const of = (variant: Variant) => runs.filter((r) => r.variant === variant);
  const ours = of('dondoc');
  const rows = (['dondoc', 'bpmn-engine (memory)', 'bpmn-engine (recover)'] as Variant[])
    .filter((v) => of(v).length)
    .map((v) => {
      const list = of(v);
      return [
        v,
        String(list[0]!.steps),
        list.map((r) => r.seconds.toFixed(2)).join(', '),
        median(list.map((r) => r.steps / r.seconds)).toFixed(0),
        median(list.map((r) => r.steps / r.stepSeconds)).toFixed(0),
        median(list.map((r) => r.peakRssMiB)).toFixed(0),
      ];
    });
  printTable(
    [
      'side',
      'steps',
      'seconds, open + steps (each round)',
      'steps/s (median)',
      'steps only/s',
      'peak RSS MiB',
    ],
    rows,
  );
  const ratios: Record<string, { throughput: number[]; rss: number[] }> = {};
  for (const mode of peerModes) {
    const peer = of(`bpmn-engine (${mode})`);
    const n = Math.min(ours.length, peer.length);
    const throughput = Array.from(
      { length: n },
      (_, i) => ours[i]!.steps / ours[i]!.seconds / (peer[i]!.steps / peer[i]!.seconds),
    );
    const rss = Array.from({ length: n }, (_, i) => ours[i]!.peakRssMiB / peer[i]!.peakRssMiB);
    ratios[mode] = { throughput, rss };
    const t = median(throughput);
    const m = median(rss);
    console.log(
      `\nvs bpmn-engine (${mode}): throughput ${t.toFixed(1)}× (rounds ${throughput.map((x) => x.toFixed(1)).join(', ')}; target ≥ ${TARGET_THROUGHPUT}×: ${t >= TARGET_THROUGHPUT ? 'met' : 'NOT met'}), ` +
        `peak RSS ${m.toFixed(2)} (rounds ${rss.map((x) => x.toFixed(2)).join(', ')}; target ≤ ${TARGET_RSS.toFixed(2)}: ${m <= TARGET_RSS ? 'met' : 'NOT met'})`,
    );
  }
  const loadAfter = loadavg();
  console.log(
    `load average (1 min) before ${loadBefore[0]!.toFixed(1)}, after ${loadAfter[0]!.toFixed(1)}; ${cpus().length} cores`,
  );
  return finish(
    'bench-results-peer.json',
    {
      generatedAt: new Date().toISOString(),
      node: process.version,
      cores: cpus().length,
      loadAverage: { before: loadBefore, after: loadAfter },
      obligations: OBLIGATIONS,
      concurrency: CONCURRENCY,
      runs,
      ratios,
      integrity: { ok: problems.length === 0, problems },
    },
    problems,
  );
}

process.exitCode = await main();
