/**
 * The server's lifecycle as far as work is concerned: whether it still takes new work, the HTTP
 * requests in flight, and the background jobs (timer sweep, notification dispatch, checkpoints)
 * running now. A graceful shutdown starts draining, waits for both to reach zero, and only then
 * closes the database.
 */
import { Injectable } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { errorBody } from '../common/error.filter.js';
import { DomainError, ErrorCode } from '../core/errors.js';

/** Routes that still answer while draining: liveness, and readiness (which then says "no"). */
const ANSWERED_WHILE_DRAINING = new Set(['/api/health/live', '/api/health/ready']);

@Injectable()
export class LifecycleService {
  private isDraining = false;
  private readonly requests = new Set<Response>();
  private readonly jobs = new Set<Promise<unknown>>();
  private waiters: Array<() => void> = [];

  /** True once shutdown began: readiness fails and new requests get 503 SHUTTING_DOWN. */
  get draining(): boolean {
    return this.isDraining;
  }

  /** HTTP requests accepted and not yet answered. */
  get requestsInFlight(): number {
    return this.requests.size;
  }

  /** Background jobs running now. */
  get jobsRunning(): number {
    return this.jobs.size;
  }

  startDraining(): void {
    this.isDraining = true;
    // Answers still to be written close their connection, so clients reconnect elsewhere.
    for (const res of this.requests) if (!res.headersSent) res.setHeader('Connection', 'close');
    this.notify();
  }

  /**
   * Runs a background job unless the server is draining (then it returns null without running
   * it); a drain waits for the jobs already running.
   */
  async runJob<T>(job: () => Promise<T>): Promise<T | null> {
    if (this.draining) return null;
    const running = job();
    this.jobs.add(running);
    try {
      return await running;
    } finally {
      this.jobs.delete(running);
      this.notify();
    }
  }

  /**
   * Express middleware, mounted before everything else: counts requests in flight and, while
   * draining, answers new ones with 503 and `Connection: close` (except liveness and readiness).
   */
  readonly middleware = (req: Request, res: Response, next: NextFunction): void => {
    if (this.draining && !ANSWERED_WHILE_DRAINING.has(req.path)) {
      const { statusCode, body } = errorBody(
        new DomainError(
          ErrorCode.SHUTTING_DOWN,
          'The server is shutting down and takes no new requests; retry on another replica',
        ),
      );
      res.setHeader('Connection', 'close');
      res.status(statusCode).json(body);
      return;
    }
    this.requests.add(res);
    const done = (): void => {
      if (this.requests.delete(res) && this.draining) this.notify();
    };
    res.once('finish', done);
    res.once('close', done);
    if (this.draining) res.setHeader('Connection', 'close');
    next();
  };

  /** Resolves once draining and no request nor job is left (or after `timeoutMs`: false). */
  async idle(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.requests.size > 0 || this.jobs.size > 0) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 1000));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return true;
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
