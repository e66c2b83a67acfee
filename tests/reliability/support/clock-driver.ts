/**
 * Moves the virtual clock across the escalation ladder while the clients work, and runs the
 * timer sweep after each move, so timers come due and fire while the server is being killed.
 * A move or a sweep that gets no answer is sent again until one does (both are safe to repeat).
 */
import type { Random } from '../../../src/simulation/prng.js';
import { attempt, untilAnswered } from './chaos-http.js';

export class ClockDriver {
  /** Every time it asked the server to set (epoch ms), in order: the clock never goes back. */
  readonly asked: number[] = [];
  /** The last time the server acknowledged. */
  acknowledged: number | null = null;
  sweeps = 0;
  /** Timers the answered sweeps fired (the minute job and unanswered sweeps fire others). */
  firedBySweeps = 0;
  readonly failures: string[] = [];

  constructor(
    private readonly url: string,
    private readonly adminToken: string,
    private readonly rng: Random,
    private readonly signal: AbortSignal,
  ) {}

  /** Sets the clock to `ms`, retrying until the server answers. */
  async set(ms: number): Promise<void> {
    this.asked.push(ms);
    const res = await untilAnswered(
      () =>
        attempt(this.url, 'POST', '/api/admin/clock', this.adminToken, {
          now: new Date(ms).toISOString(),
        }),
      this.signal,
    );
    if (res.status !== 200) {
      this.failures.push(`POST /api/admin/clock: ${res.status} ${JSON.stringify(res.body)}`);
      return;
    }
    this.acknowledged = ms;
  }

  /** Runs the sweep now, retrying until the server answers; returns how many fired. */
  async sweep(): Promise<number> {
    const res = await untilAnswered<{ fired: unknown[] }>(
      () => attempt(this.url, 'POST', '/api/admin/sweep', this.adminToken),
      this.signal,
    );
    if (res.status !== 200) {
      this.failures.push(`POST /api/admin/sweep: ${res.status} ${JSON.stringify(res.body)}`);
      return 0;
    }
    this.sweeps += 1;
    this.firedBySweeps += res.body.fired.length;
    return res.body.fired.length;
  }

  /**
   * Walks `steps` (ascending epoch ms), never further than `allowed()` steps, sweeping after
   * each move and between moves, until `stop()`.
   */
  async run(steps: number[], allowed: () => number, stop: () => boolean): Promise<void> {
    let next = 0;
    try {
      while (!stop() && this.failures.length === 0) {
        if (next < steps.length && next < allowed()) await this.set(steps[next++]!);
        await this.sweep();
        await new Promise((r) => setTimeout(r, this.rng.int(50, 300)));
      }
    } catch (error) {
      this.failures.push(`clock driver: ${(error as Error).message}`);
    }
  }

  /**
   * Whether `now`, read from a restarted server, is a time this driver asked for (not the real
   * time) and not older than `floor`, the time acknowledged before the read was sent.
   */
  plausibleAfterRestart(now: number, floor: number | null): boolean {
    return this.asked.includes(now) && (floor === null || now >= floor);
  }
}
