import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { INestApplicationContext } from '@nestjs/common';
import type { DomainError, ValidationError } from '../../src/core/errors.js';
import { Database } from '../../src/database/database.js';
import { UsersService } from '../../src/users/users.service.js';
import { describeEachDatabase } from '../support/databases.js';
import { createTestContext, TEST_ADMIN_PASSWORD, type TestHarness } from '../support/test-app.js';

async function rejection(p: Promise<unknown>): Promise<DomainError> {
  try {
    await p;
  } catch (e) {
    return e as DomainError;
  }
  throw new Error('expected a rejection');
}

describeEachDatabase('users', (dialect) => {
  let h: TestHarness<INestApplicationContext>;
  let users: UsersService;

  beforeAll(async () => {
    h = await createTestContext(dialect);
    users = h.app.get(UsersService);
  });
  afterAll(async () => h?.close());

  it('the first start created admin with DONDOC_ADMIN_PASSWORD', async () => {
    expect(await users.authenticate('admin', TEST_ADMIN_PASSWORD)).toMatchObject({
      username: 'admin',
      role: 'admin',
    });
    expect(await users.authenticate('admin', 'wrong-password')).toBeNull();
  });

  it('stores only a scrypt hash of the password', async () => {
    await users.create({
      username: 'canbo.tuphap',
      password: 'mật khẩu dài',
      role: 'officer',
      agencyCode: 'SO_TUPHAP',
    });
    const [row] = await h.app
      .get(Database)
      .read((sql) =>
        sql.query<{ password_hash: string }>('SELECT password_hash FROM users WHERE username = ?', [
          'canbo.tuphap',
        ]),
      );
    expect(row!.password_hash).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(row!.password_hash).not.toContain('mật khẩu');
    expect(await users.authenticate('canbo.tuphap', 'mật khẩu dài')).toMatchObject({
      agencyCode: 'SO_TUPHAP',
    });
  });

  it('names every bad field of a new user and creates nothing', async () => {
    const before = (await users.list()).length;
    const err = (await rejection(
      users.create({ username: 'X', password: 'short', role: 'king' }),
    )) as ValidationError;
    expect(err.code).toBe('VALIDATION_FAILED');
    expect(err.fields.map((f) => f.path).sort()).toEqual(['password', 'role', 'username']);
    const officer = (await rejection(
      users.create({ username: 'canbo.x', password: 'long-enough', role: 'officer' }),
    )) as ValidationError;
    expect(officer.fields[0]).toMatchObject({ path: 'agencyCode' });
    const unknown = (await rejection(
      users.create({
        username: 'canbo.y',
        password: 'long-enough',
        role: 'officer',
        agencyCode: 'SO_KHONG_CO',
      }),
    )) as ValidationError;
    expect(unknown.fields[0]?.message).toContain('SO_KHONG_CO');
    const dup = await rejection(
      users.create({ username: 'canbo.tuphap', password: 'long-enough', role: 'leader' }),
    );
    expect(dup.code).toBe('VALIDATION_FAILED');
    expect((await users.list()).length).toBe(before);
  });

  it('a disabled user cannot log in; the last enabled admin cannot be disabled', async () => {
    await users.setDisabled('canbo.tuphap', true);
    expect(await users.authenticate('canbo.tuphap', 'mật khẩu dài')).toBeNull();
    expect(await users.callerFor('canbo.tuphap')).toBeNull();
    const last = await rejection(users.setDisabled('admin', true));
    expect(last.code).toBe('VALIDATION_FAILED');
    expect(await users.callerFor('admin')).not.toBeNull();
    await users.create({ username: 'admin2', password: 'another-admin', role: 'admin' });
    await users.setDisabled('admin', true);
    expect(await users.callerFor('admin')).toBeNull();
    expect((await rejection(users.setDisabled('nobody', true))).code).toBe('NOT_FOUND');
  });
});
