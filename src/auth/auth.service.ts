/** Login and token verification. Token times come from the injected clock. */
import { createSecretKey } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { CLOCK } from '../clock/clocks.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import type { Caller } from '../core/access/caller.js';
import type { Clock } from '../core/clock.js';
import { DomainError, ErrorCode } from '../core/errors.js';
import { UsersService, type User } from '../users/users.service.js';
import { loadJwtSecret } from './jwt-secret.js';

interface TokenClaims {
  sub: string;
  role: string;
  iat: number;
  exp: number;
}

@Injectable()
export class AuthService {
  /**
   * Signs and verifies with the secret as a KeyObject, made once: given a string, jsonwebtoken
   * first tries it as a public key, fails, and then makes the key, on every request (a third of
   * an authenticated GET's CPU time in `npm run bench:http`).
   */
  private readonly jwt: JwtService;

  constructor(
    private readonly users: UsersService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.jwt = new JwtService({ secret: createSecretKey(Buffer.from(loadJwtSecret(config))) });
  }

  async login(
    username: string,
    password: string,
  ): Promise<{
    accessToken: string;
    expiresAt: string;
    user: Pick<User, 'username' | 'role'> & { agencyCode?: string };
  }> {
    const user = await this.users.authenticate(username, password);
    if (!user) throw new DomainError(ErrorCode.UNAUTHENTICATED, 'Invalid username or password');
    const iat = Math.floor(this.clock.now().getTime() / 1000);
    const exp = iat + this.config.tokenTtlSeconds;
    const claims: TokenClaims = { sub: user.username, role: user.role, iat, exp };
    const accessToken = await this.jwt.signAsync(claims, { algorithm: 'HS256' });
    return {
      accessToken,
      expiresAt: new Date(exp * 1000).toISOString(),
      user: {
        username: user.username,
        role: user.role,
        ...(user.agencyCode ? { agencyCode: user.agencyCode } : {}),
      },
    };
  }

  /** The caller a bearer token stands for; UNAUTHENTICATED says why a token is refused. */
  async verify(token: string): Promise<Caller> {
    let claims: TokenClaims;
    try {
      claims = await this.jwt.verifyAsync<TokenClaims>(token, {
        algorithms: ['HS256'],
        clockTimestamp: Math.floor(this.clock.now().getTime() / 1000),
      });
    } catch (error) {
      const name = (error as Error).name;
      const reason = name === 'TokenExpiredError' ? 'token expired' : 'invalid token';
      throw new DomainError(ErrorCode.UNAUTHENTICATED, `Not authenticated: ${reason}`, { reason });
    }
    const caller = await this.users.callerFor(claims.sub);
    if (!caller) {
      throw new DomainError(
        ErrorCode.UNAUTHENTICATED,
        'Not authenticated: user unknown or disabled',
        {
          reason: 'user unknown or disabled',
        },
      );
    }
    return caller;
  }
}
