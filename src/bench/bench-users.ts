/**
 * Users for HTTP benchmarks: one officer per agency is 10,000 users, and creating or logging in
 * each through the API would spend minutes in scrypt. The benchmarks instead insert the rows
 * directly (with a password hash no password matches, so nobody can log in as them) and sign
 * their tokens with the JWT secret the benchmark gave the server. Everything after that, token
 * verification and the user lookup on every request included, is the server's normal path.
 */
import { JwtService } from '@nestjs/jwt';

/** A well-formed scrypt record that matches no password. */
const UNUSABLE_HASH =
  'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

export interface BenchUser {
  username: string;
  role: 'officer' | 'aggregator' | 'admin';
  agencyCode: string | null;
}

/** The INSERT for one user row, with `?` placeholders (numbered for PostgreSQL by the caller). */
export const INSERT_USER = `INSERT INTO users
  (username, password_hash, role, agency_code, disabled, created_at, updated_at)
  VALUES (?, ?, ?, ?, 0, ?, ?)`;

export function userParams(u: BenchUser, now: number): unknown[] {
  return [u.username, UNUSABLE_HASH, u.role, u.agencyCode, now, now];
}

/** The officer of a synthetic agency (`BENCH_00001` → `bench.bench_00001`). */
export function officerFor(agencyCode: string): BenchUser {
  return { username: `bench.${agencyCode.toLowerCase()}`, role: 'officer', agencyCode };
}

export const BENCH_AGGREGATOR: BenchUser = {
  username: 'bench.aggregator',
  role: 'aggregator',
  agencyCode: null,
};

/** Signs access tokens the way AuthService does (HS256, sub and role, iat/exp in seconds). */
export function tokenSigner(secret: string, nowMs: number): (u: BenchUser) => string {
  const jwt = new JwtService({ secret, signOptions: { algorithm: 'HS256' } });
  const iat = Math.floor(nowMs / 1000);
  return (u) => jwt.sign({ sub: u.username, role: u.role, iat, exp: iat + 24 * 3600 });
}
