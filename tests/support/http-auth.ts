/** Users and tokens for HTTP tests: one user per role, officers bound to agencies. */
import type { INestApplicationContext } from '@nestjs/common';
import type request from 'supertest';
import { UsersService } from '../../src/users/users.service.js';
import { TEST_ADMIN_PASSWORD } from './test-app.js';

export const PASSWORD = 'mat-khau-thu-nghiem';

export const TEST_USERS = [
  { username: 'tonghop.snn', role: 'aggregator', agencyCode: 'SO_NNPTNT' },
  { username: 'canbo.snn', role: 'officer', agencyCode: 'SO_NNPTNT' },
  { username: 'canbo.sct', role: 'officer', agencyCode: 'SO_CONGTHUONG' },
  { username: 'lanhdao.ubnd', role: 'leader' },
  { username: 'kiemtoan', role: 'auditor' },
] as const;

export type TestUsername = 'admin' | (typeof TEST_USERS)[number]['username'];

export async function seedUsers(app: INestApplicationContext): Promise<void> {
  const users = app.get(UsersService);
  for (const u of TEST_USERS) await users.create({ ...u, password: PASSWORD });
}

export async function login(
  http: ReturnType<typeof request>,
  username: TestUsername,
): Promise<string> {
  const password = username === 'admin' ? TEST_ADMIN_PASSWORD : PASSWORD;
  const res = await http.post('/api/auth/login').send({ username, password });
  if (res.status !== 200)
    throw new Error(`login ${username}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.accessToken as string;
}

/** Tokens of every test user, by username. */
export async function loginAll(
  http: ReturnType<typeof request>,
): Promise<Record<TestUsername, string>> {
  const names: TestUsername[] = ['admin', ...TEST_USERS.map((u) => u.username)];
  const tokens = {} as Record<TestUsername, string>;
  for (const n of names) tokens[n] = await login(http, n);
  return tokens;
}
