/**
 * Limits login attempts per client address (rate-limiter-flexible, in memory). Answers 429
 * RATE_LIMITED with the seconds to wait. @nestjs/throttler 6 is CommonJS and cannot load
 * NestJS 12 (ESM-only) inside Jest on Node 20, so the limiter library is used directly.
 */
import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request, Response } from 'express';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { DomainError, ErrorCode } from '../core/errors.js';

@Injectable()
export class LoginRateLimitGuard implements CanActivate {
  private readonly limiter: RateLimiterMemory;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.limiter = new RateLimiterMemory({ points: config.loginRateLimit, duration: 60 });
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request>();
    try {
      await this.limiter.consume(req.ip ?? 'unknown');
      return true;
    } catch (result) {
      if (!(result instanceof RateLimiterRes)) throw result;
      const retryAfter = Math.max(1, Math.ceil(result.msBeforeNext / 1000));
      context.switchToHttp().getResponse<Response>().setHeader('Retry-After', String(retryAfter));
      throw new DomainError(
        ErrorCode.RATE_LIMITED,
        `Too many login attempts; try again in ${retryAfter} s`,
        {
          retryAfterSeconds: retryAfter,
        },
      );
    }
  }
}
