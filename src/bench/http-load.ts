/**
 * Load segments with autocannon, and their figures. Routes are measured in interleaved rounds
 * (empty route, then each route, repeated), and each route's throughput is compared with the
 * empty route's in the same round: on a shared machine the background load drifts by 2× within a
 * minute, and adjacent segments see nearly the same drift.
 */
import autocannon, { type Options, type Request, type Result } from 'autocannon';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { STEPS } from './steps.js';

export interface Segment {
  requests: number;
  seconds: number;
  non2xx: number;
  errors: number;
  /** Response times, ms (autocannon's, one per response). */
  latencies: number[];
}

/** One autocannon run; collects every response time. */
export function runSegment(options: Options): Promise<Segment> {
  const latencies: number[] = [];
  return new Promise((resolve, reject) => {
    const instance = autocannon(options, (error: unknown, result: Result) => {
      if (error) return reject(error instanceof Error ? error : new Error(String(error)));
      resolve({
        requests: result.requests.total,
        seconds: result.duration,
        non2xx: result.non2xx,
        errors: result.errors,
        latencies,
      });
    });
    instance.on('response', (_client, _status, _bytes, ms) => latencies.push(ms));
  });
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** A route's figures over all rounds. */
export interface RouteFigures {
  name: string;
  requests: number;
  seconds: number;
  /** All its requests over all its seconds. */
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Per round: this route's req/s over the empty route's in the same round. */
  roundRatios: number[];
  /** The median of roundRatios. */
  ratio: number;
  non2xx: number;
  errors: number;
}

export function figures(name: string, segments: Segment[], emptyRps: number[]): RouteFigures {
  const requests = segments.reduce((s, x) => s + x.requests, 0);
  const seconds = segments.reduce((s, x) => s + x.seconds, 0);
  const latencies = segments.flatMap((x) => x.latencies).sort((a, b) => a - b);
  const roundRatios = segments.map((x, i) => x.requests / x.seconds / emptyRps[i]!);
  return {
    name,
    requests,
    seconds,
    reqPerSec: requests / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    roundRatios,
    ratio: median(roundRatios),
    non2xx: segments.reduce((s, x) => s + x.non2xx, 0),
    errors: segments.reduce((s, x) => s + x.errors, 0),
  };
}

/** Prints rows as an aligned table. */
export function printTable(header: string[], cells: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) =>
    c.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ');
  console.log(['', line(header), widths.map((w) => '-'.repeat(w)).join('  ')].join('\n'));
  for (const c of cells) console.log(line(c));
}

/**
 * Writes a benchmark's figures to `file` (in the working folder), prints its problems, and
 * returns the exit code: 1 when there are problems, else 0.
 */
export function finish(file: string, results: unknown, problems: string[]): number {
  writeFileSync(path.resolve(file), JSON.stringify(results, null, 2) + '\n');
  console.log(`results written to ${file}`);
  if (problems.length === 0) return 0;
  console.error('\nPROBLEMS:');
  for (const p of problems) console.error(`  - ${p}`);
  return 1;
}

/**
 * The POST requests that take every obligation through its four lifecycle events, each request
 * on a different obligation: request k sends step ⌊k / n⌋ to obligation k mod n, so an
 * obligation's next step is sent only after every other obligation got this one. The officer
 * (`officerTokens[i]`) starts and submits; the aggregator aggregates and reports to UBND.
 * `total` is how many requests there are in all.
 */
export function lifecycleRequests(
  ids: readonly string[],
  officerTokens: readonly string[],
  aggregatorToken: string,
): { request: { method: 'POST'; setupRequest: (req: Request) => Request }; total: number } {
  let k = 0;
  return {
    total: ids.length * STEPS.length,
    request: {
      method: 'POST',
      setupRequest: (req) => {
        const i = k % ids.length;
        const s = Math.min(Math.floor(k / ids.length), STEPS.length - 1);
        k += 1;
        const step = STEPS[s]!;
        return {
          ...req,
          path: `/api/obligations/${ids[i]}/events`,
          headers: {
            authorization: `Bearer ${s < 2 ? officerTokens[i] : aggregatorToken}`,
            'content-type': 'application/json',
          },
          body: JSON.stringify({ type: step.type, payload: step.payload(i) }),
        };
      },
    },
  };
}
