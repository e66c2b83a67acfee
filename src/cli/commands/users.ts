/**
 * `dondoc user add|list|disable|enable`: user management (adding, disabling and enabling need
 * role admin, as on HTTP). A new user's password is read from standard input (--password-stdin)
 * or DONDOC_NEW_PASSWORD, never from an argument: arguments show in the process list.
 */
import type { Command } from 'commander';
import { ROLES } from '../../core/access/caller.js';
import { UsageError } from '../errors.js';
import { requireRole, writerName, writerOption } from '../identity.js';
import { readSecretLine } from '../input.js';
import { print, printJson, table } from '../output.js';

/** Where the new user's password comes from when --password-stdin is not given. */
export const NEW_PASSWORD_ENV = 'DONDOC_NEW_PASSWORD';

interface AddOptions {
  role: string;
  agency?: string;
  passwordStdin?: boolean;
  as?: string;
}

interface ListOptions {
  json?: boolean;
}

interface WriteOptions {
  as?: string;
}

async function newPassword(username: string, options: AddOptions): Promise<string> {
  if (options.passwordStdin) return readSecretLine(`Password for ${username}: `);
  const password = process.env[NEW_PASSWORD_ENV];
  if (!password) {
    throw new UsageError(
      `no password for ${username}: pass --password-stdin and write it on standard input, ` +
        `or set ${NEW_PASSWORD_ENV}`,
    );
  }
  return password;
}

function registerSetDisabled(user: Command, name: 'disable' | 'enable'): void {
  const disabled = name === 'disable';
  user
    .command(name)
    .description(
      disabled
        ? 'disable an account: it can no longer sign in or act (needs role admin)'
        : 'enable a disabled account again (needs role admin)',
    )
    .argument('<username>', 'the user')
    .addOption(writerOption())
    .action(async (username: string, options: WriteOptions) => {
      const as = writerName(options.as);
      const { withApp } = await import('../app-context.js');
      const { UsersService } = await import('../../users/users.service.js');
      await withApp(async ({ app, caller }) => {
        requireRole(caller, 'admin', `user ${name}`);
        const changed = await app.get(UsersService).setDisabled(username, disabled);
        print(`${disabled ? 'Disabled' : 'Enabled'} user ${changed.username}.`);
      }, as);
    });
}

export function registerUserCommands(program: Command): void {
  const user = program.command('user').description('manage the users who sign in and act');

  user
    .command('add')
    .description('add a user (needs role admin)')
    .argument('<username>', 'the new username (a-z, 0-9, ".", "_", "-")')
    .requiredOption('--role <role>', `the role: one of ${ROLES.join(', ')}`)
    .option('--agency <code>', 'the agency code the user acts for (required for an officer)')
    .option(
      '--password-stdin',
      `read the password from the first line of standard input (default: $${NEW_PASSWORD_ENV})`,
    )
    .addOption(writerOption())
    .action(async (username: string, options: AddOptions) => {
      const as = writerName(options.as);
      const password = await newPassword(username, options);
      const { withApp } = await import('../app-context.js');
      const { UsersService } = await import('../../users/users.service.js');
      await withApp(async ({ app, caller }) => {
        requireRole(caller, 'admin', 'user add');
        const created = await app.get(UsersService).create({
          username,
          password,
          role: options.role,
          agencyCode: options.agency ?? null,
        });
        print(
          `Created user ${created.username} (${created.role}` +
            `${created.agencyCode ? ` of ${created.agencyCode}` : ''}).`,
        );
      }, as);
    });

  user
    .command('list')
    .description('list the users: username, role, agency, disabled')
    .option('--json', 'print JSON ({ items, total }) instead of a table')
    .action(async (options: ListOptions) => {
      const { withApp } = await import('../app-context.js');
      const { UsersService } = await import('../../users/users.service.js');
      await withApp(async ({ app }) => {
        const users = await app.get(UsersService).list();
        if (options.json) {
          printJson({ items: users, total: users.length });
          return;
        }
        const rows = users.map((u) => [
          u.username,
          u.role,
          u.agencyCode ?? '-',
          u.disabled ? 'yes' : 'no',
        ]);
        print(table(['USERNAME', 'ROLE', 'AGENCY', 'DISABLED'], rows), `${users.length} user(s)`);
      });
    });

  registerSetDisabled(user, 'disable');
  registerSetDisabled(user, 'enable');
}
