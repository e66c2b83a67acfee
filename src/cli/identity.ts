/**
 * Who a CLI command acts as. Commands that change data act as a real user, named with `--as`
 * (or DONDOC_CLI_USER); reads without `--as` act as an unrestricted, read-only local reader.
 */
import { Option } from 'commander';
import type { Caller, Role } from '../core/access/caller.js';
import { DomainError, ErrorCode } from '../core/errors.js';
import { UsageError } from './errors.js';

/** The environment variable used when `--as` is absent (commands that change data only). */
export const CLI_USER_ENV = 'DONDOC_CLI_USER';

/** Reads without `--as`: whoever can run the CLI on the server can read everything, nothing more. */
export const LOCAL_READER: Caller = {
  name: 'cli',
  role: 'auditor',
  agencyCode: null,
  system: false,
};

/** The `--as <username>` option of a command that changes data. */
export function writerOption(): Option {
  return new Option('--as <username>', `act as this user (default: $${CLI_USER_ENV})`);
}

/** The `--as <username>` option of a read: restricts it to what that user may see. */
export function readerOption(): Option {
  return new Option('--as <username>', 'read as this user (default: an unrestricted local reader)');
}

/** The username a write acts as: `--as`, else DONDOC_CLI_USER; a usage error (exit 2) if neither. */
export function writerName(as: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const name = as?.trim() || env[CLI_USER_ENV]?.trim();
  if (!name) {
    throw new UsageError(
      `this command changes data: pass --as <username> (or set ${CLI_USER_ENV})`,
    );
  }
  return name;
}

/** The error for a username that is not an enabled user (exit 1). */
export function unknownUser(name: string): DomainError {
  return new DomainError(ErrorCode.UNAUTHENTICATED, `unknown or disabled user ${name}`, {
    username: name,
  });
}

/** Fails with FORBIDDEN unless the caller has `role` (as the HTTP layer's @Roles does). */
export function requireRole(caller: Caller, role: Role, command: string): void {
  if (caller.role !== role) {
    throw new DomainError(
      ErrorCode.FORBIDDEN,
      `${command} needs role ${role} (you are ${caller.role})`,
      { role: caller.role },
    );
  }
}
