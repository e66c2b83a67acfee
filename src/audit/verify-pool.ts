/**
 * Worker threads for audit verifies. Each runs one job at a time on its own connection; jobs
 * wait here in order of arrival for the next free worker. VerifyService keeps one pool warm
 * between verifies and closes it when idle and at shutdown.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { PACKAGE_ROOT } from '../config/app-config.js';
import type { JobOutcome, VerifyJob } from './verify-jobs.js';
import type { VerifyWorkerData, VerifyWorkerReply, VerifyWorkerRequest } from './verify-worker.js';

/** The built worker (tests run the sources, and use the build made by their global setup). */
export const VERIFY_WORKER_FILE = path.join(PACKAGE_ROOT, 'dist', 'audit', 'verify-worker.js');

interface Pending {
  job: VerifyJob;
  maxProblems: number;
  resolve: (outcome: JobOutcome) => void;
  reject: (error: Error) => void;
}

interface Slot {
  worker: Worker;
  busy: Pending | null;
}

export class VerifyPool {
  private readonly waiting: Pending[] = [];
  private nextId = 1;
  private broken: Error | null = null;

  private constructor(private readonly slots: Slot[]) {
    for (const slot of slots) {
      slot.worker.on('message', (reply: VerifyWorkerReply) => {
        const done = slot.busy;
        if (!done || !('id' in reply)) return;
        slot.busy = null;
        if ('outcome' in reply) done.resolve(reply.outcome);
        else done.reject(new Error(`verify worker: ${reply.error}`));
        this.dispatch();
      });
      slot.worker.on('error', (error) => this.fail(error));
    }
  }

  /** Starts `size` workers and waits until each has its connection. */
  static async open(size: number, data: VerifyWorkerData): Promise<VerifyPool> {
    if (!existsSync(VERIFY_WORKER_FILE)) {
      throw new Error(`the verify worker is not built (${VERIFY_WORKER_FILE}): run npm run build`);
    }
    const slots: Slot[] = [];
    try {
      for (let i = 0; i < size; i++) {
        const worker = new Worker(VERIFY_WORKER_FILE, {
          workerData: data,
          // A larger young generation than the default: verifying makes many short-lived objects
          // (rows, events, snapshots), and fewer scavenges cost less CPU time.
          resourceLimits: { maxYoungGenerationSizeMb: 48 },
        });
        slots.push({ worker, busy: null });
        await new Promise<void>((resolve, reject) => {
          const onMessage = (reply: VerifyWorkerReply) => {
            worker.off('error', reject);
            if ('ready' in reply) resolve();
            else if ('failed' in reply) reject(new Error(`verify worker: ${reply.failed}`));
          };
          worker.once('message', onMessage);
          worker.once('error', reject);
        });
      }
    } catch (error) {
      await Promise.all(slots.map((s) => s.worker.terminate()));
      throw error;
    }
    return new VerifyPool(slots);
  }

  get size(): number {
    return this.slots.length;
  }

  run(job: VerifyJob, maxProblems: number): Promise<JobOutcome> {
    if (this.broken) return Promise.reject(this.broken);
    return new Promise<JobOutcome>((resolve, reject) => {
      this.waiting.push({ job, maxProblems, resolve, reject });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    await Promise.all(
      this.slots.map(
        (slot) =>
          new Promise<void>((resolve) => {
            slot.worker.once('exit', () => resolve());
            slot.worker.postMessage('close');
            // A worker that does not close in time is stopped.
            setTimeout(() => void slot.worker.terminate(), 5000).unref();
          }),
      ),
    );
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.busy || !this.waiting.length) continue;
      const pending = this.waiting.shift()!;
      slot.busy = pending;
      slot.worker.postMessage({
        id: this.nextId++,
        job: pending.job,
        maxProblems: pending.maxProblems,
      } satisfies VerifyWorkerRequest);
    }
  }

  private fail(error: Error): void {
    this.broken = new Error(`verify worker failed: ${error.message}`);
    for (const slot of this.slots) {
      slot.busy?.reject(this.broken);
      slot.busy = null;
    }
    for (const pending of this.waiting.splice(0)) pending.reject(this.broken);
  }
}
