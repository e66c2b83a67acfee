/** Users: creation, listing, disabling, password checks, and the first start's admin. */
import { Inject, Injectable, Logger } from '@nestjs/common';
import { CLOCK } from '../clock/clocks.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { ROLES, type Caller, type Role } from '../core/access/caller.js';
import type { Clock } from '../core/clock.js';
import { DomainError, ErrorCode, ValidationError } from '../core/errors.js';
import { Database, intValue, type Sql } from '../database/database.js';
import { AgencyRegistryService } from '../agencies/agency-registry.service.js';
import { PlanRegistry } from '../plans/plan-registry.service.js';
import { generatePassword, hashPassword, verifyPassword } from './password.util.js';

export interface User {
  username: string;
  role: Role;
  agencyCode: string | null;
  /** Where e-mail notifications go; null = none. */
  email: string | null;
  disabled: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface NewUser {
  username: string;
  password: string;
  role: string;
  agencyCode?: string | null;
  email?: string | null;
}

interface UserRow extends User {
  passwordHash: string;
}

const USERNAME = /^[a-z0-9][a-z0-9._-]{1,63}$/;

/** A plain mailbox address (local@domain.tld); no display name, no spaces, at most 254 chars. */
const EMAIL =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

/** Whether `value` is an e-mail address a notification can be sent to. */
export function isEmailAddress(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 254 && EMAIL.test(value);
}

function toRow(r: Record<string, unknown>): UserRow {
  return {
    username: String(r.username),
    role: r.role as Role,
    agencyCode: r.agency_code == null ? null : String(r.agency_code),
    email: r.email == null ? null : String(r.email),
    disabled: intValue(r.disabled) === 1,
    createdAt: new Date(intValue(r.created_at)).toISOString(),
    updatedAt: new Date(intValue(r.updated_at)).toISOString(),
    passwordHash: String(r.password_hash),
  };
}

function publicUser({ passwordHash: _hash, ...user }: UserRow): User {
  return user;
}

/** A hash that never matches, so an unknown username costs as much as a wrong password. */
const DUMMY_HASH =
  'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

@Injectable()
export class UsersService {
  private readonly logger = new Logger(UsersService.name);

  constructor(
    private readonly db: Database,
    private readonly plans: PlanRegistry,
    private readonly registries: AgencyRegistryService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Checks a new user's fields; throws VALIDATION_FAILED naming each bad one. */
  private validate(input: NewUser): void {
    const fields: Array<{ path: string; message: string }> = [];
    if (!USERNAME.test(input.username)) {
      fields.push({
        path: 'username',
        message:
          'expected 2–64 characters: a-z, 0-9, ".", "_", "-", starting with a letter or digit',
      });
    }
    if (
      typeof input.password !== 'string' ||
      input.password.length < 8 ||
      input.password.length > 200
    ) {
      fields.push({ path: 'password', message: 'expected 8–200 characters' });
    }
    if (!ROLES.includes(input.role as Role)) {
      fields.push({ path: 'role', message: `expected one of ${ROLES.join(', ')}` });
    }
    if (input.role === 'officer' && !input.agencyCode) {
      fields.push({
        path: 'agencyCode',
        message: 'an officer needs the code of the agency they act for',
      });
    }
    // An agency of a plan, a successor of one, or any agency of a registry (e.g. a new one).
    const code = input.agencyCode;
    if (
      code &&
      !this.plans.list().some((p) => p.agencies.has(code)) &&
      !this.registries.knows(code)
    ) {
      fields.push({
        path: 'agencyCode',
        message: `unknown agency code ${JSON.stringify(input.agencyCode)}`,
      });
    }
    if (input.email != null && !isEmailAddress(input.email)) {
      fields.push({ path: 'email', message: 'expected an e-mail address such as ten@example.vn' });
    }
    if (fields.length)
      throw new ValidationError(fields.map((f) => `${f.path}: ${f.message}`).join('; '), fields);
  }

  async create(input: NewUser): Promise<User> {
    this.validate(input);
    const hash = await hashPassword(input.password);
    const now = this.clock.now().getTime();
    const inserted = await this.db.write((tx) =>
      insertUser(tx, { ...input, role: input.role as Role }, hash, now),
    );
    if (!inserted) {
      throw new DomainError(
        ErrorCode.VALIDATION_FAILED,
        `User "${input.username}" already exists`,
        {
          fields: [{ path: 'username', message: 'already taken' }],
        },
      );
    }
    return (await this.find(input.username))!;
  }

  async list(): Promise<User[]> {
    const rows = await this.db.read((sql) => sql.query('SELECT * FROM users ORDER BY username'));
    return rows.map((r) => publicUser(toRow(r)));
  }

  async find(username: string): Promise<User | null> {
    const row = await this.findRow(username);
    return row ? publicUser(row) : null;
  }

  private async findRow(username: string): Promise<UserRow | null> {
    const rows = await this.db.read((sql) =>
      sql.query('SELECT * FROM users WHERE username = ?', [username]),
    );
    return rows[0] ? toRow(rows[0]) : null;
  }

  /** Disables or re-enables an account; a disabled user's tokens stop working at once. */
  async setDisabled(username: string, disabled: boolean): Promise<User> {
    const changed = await this.db.write(async (tx) => {
      if (disabled) {
        const admins = await tx.query<{ username: string }>(
          `SELECT username FROM users WHERE role = 'admin' AND disabled = 0`,
        );
        if (admins.length === 1 && admins[0]!.username === username) {
          // Nobody could re-enable it: keep at least one admin able to log in.
          throw new ValidationError('Cannot disable the last enabled admin', [
            { path: 'disabled', message: 'create or enable another admin first' },
          ]);
        }
      }
      return tx.execute('UPDATE users SET disabled = ?, updated_at = ? WHERE username = ?', [
        disabled ? 1 : 0,
        this.clock.now().getTime(),
        username,
      ]);
    });
    if (changed !== 1)
      throw new DomainError(ErrorCode.NOT_FOUND, `Unknown user "${username}"`, { username });
    return (await this.find(username))!;
  }

  /** The user for a username and password, or null; the cost is the same for unknown users. */
  async authenticate(username: string, password: string): Promise<User | null> {
    const row = await this.findRow(username);
    const ok = await verifyPassword(password, row?.passwordHash ?? DUMMY_HASH);
    return row && ok && !row.disabled ? publicUser(row) : null;
  }

  /** The acting identity of an enabled user (for tokens and the CLI's --as). */
  async callerFor(username: string): Promise<Caller | null> {
    const user = await this.find(username);
    if (!user || user.disabled) return null;
    return { name: user.username, role: user.role, agencyCode: user.agencyCode, system: false };
  }

  /** First start: create `admin`, with DONDOC_ADMIN_PASSWORD or a generated password printed once. */
  async ensureAdmin(): Promise<void> {
    if (await this.findRow('admin')) return;
    const password = this.config.adminPassword ?? generatePassword();
    const hash = await hashPassword(password);
    const created = await this.db.write((tx) =>
      insertUser(
        tx,
        { username: 'admin', role: 'admin', agencyCode: null },
        hash,
        this.clock.now().getTime(),
      ),
    );
    if (!created) return;
    if (this.config.adminPassword) {
      this.logger.log('Created user "admin" with the password in DONDOC_ADMIN_PASSWORD');
    } else {
      // Printed once, on the console only; it is stored nowhere but as a hash.
      console.log(
        `\nCreated user "admin" with the generated password: ${password}\n(shown only now; change it or set DONDOC_ADMIN_PASSWORD before the first start)\n`,
      );
    }
  }
}

async function insertUser(
  tx: Sql,
  user: { username: string; role: Role; agencyCode?: string | null; email?: string | null },
  hash: string,
  now: number,
): Promise<boolean> {
  const changed = await tx.execute(
    `INSERT INTO users (username, password_hash, role, agency_code, email, disabled, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, 0, ?, ?) ON CONFLICT (username) DO NOTHING`,
    [user.username, hash, user.role, user.agencyCode ?? null, user.email ?? null, now, now],
  );
  return changed === 1;
}
