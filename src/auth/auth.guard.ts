/**
 * The global guard: every route needs a valid bearer token unless marked @Public(), and the
 * caller's role must be one of the route's @Roles(). Attaches the caller to the request.
 */
import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import type { Caller, Role } from '../core/access/caller.js';
import { DomainError, ErrorCode } from '../core/errors.js';
import { PUBLIC_KEY, ROLES_KEY } from './auth.decorators.js';
import { AuthService } from './auth.service.js';

@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const req = context.switchToHttp().getRequest<Request & { caller?: Caller }>();
    const header = req.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(header) : null;
    if (!match) {
      throw new DomainError(
        ErrorCode.UNAUTHENTICATED,
        'Not authenticated: send Authorization: Bearer <accessToken>',
        {
          reason: 'no token',
        },
      );
    }
    req.caller = await this.auth.verify(match[1]!);
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets);
    if (roles && !roles.includes(req.caller.role as Role)) {
      throw new DomainError(
        ErrorCode.FORBIDDEN,
        `Role ${req.caller.role} may not do this (needs ${roles.join(' or ')})`,
      );
    }
    return true;
  }
}
