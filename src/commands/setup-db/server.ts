/**
 * The server side of setup-db: the admin connection (password from the environment, the
 * password file, or a hidden prompt), and the checks that refuse before anything changes.
 */
import type { Client } from 'pg';
import type { Config } from '../../lib/config/keys.js';
import type { Context } from '../../lib/cli/context.js';
import { UsageError, UserError } from '../../lib/cli/errors.js';
import { classifyPgError, connect, describePgError, PgConnectError, type ConnTarget } from '../../lib/pg/client.js';
import { passwordFromFile } from '../../lib/config/credentials.js';
import type { SetupState } from './types.js';

export const MIN_SERVER_VERSION_NUM = 140000;
const ADMIN_DB = 'postgres';

/** An open admin connection and where its password came from. */
export interface AdminConnection {
  client: Client;
  /** The target, password included (for connections to each database). */
  target: ConnTarget;
  passwordSource: string;
}

/** Admin connection target (no password). */
export function adminTarget(cfg: Config, database = ADMIN_DB): ConnTarget {
  return {
    host: cfg.POSTGRES_HOST,
    port: cfg.POSTGRES_PORT,
    user: cfg.SETUP_POSTGRES_USER,
    database,
    sslmode: cfg.POSTGRES_SSLMODE,
    applicationName: 'mcpctl setup-db',
  };
}

function adminError(e: unknown, t: ConnTarget, source: string): UserError {
  const err = describePgError(e, t);
  const kind = classifyPgError(err);
  if (kind !== 'auth' && kind !== 'no-role') return err;
  const server = err instanceof PgConnectError ? { serverMessage: err.serverMessage, sqlState: err.sqlState, note: err.note } : {};
  // The fix depends on where the password came from: never advise setting what is already set.
  const hint =
    kind === 'no-role'
      ? `the admin role "${t.user}" does not exist on this server: set SETUP_POSTGRES_USER to a role that can create roles and databases (usually postgres)`
      : source === 'none'
        ? 'the server asks for a password: set SETUP_POSTGRES_PASSWORD in the environment (it is never written anywhere), add a password-file entry for the admin role, or run on a terminal to be asked'
        : source.startsWith('SETUP_POSTGRES_PASSWORD')
          ? `SETUP_POSTGRES_PASSWORD is set but is not ${t.user}'s password on this server: correct it (and check SETUP_POSTGRES_USER)`
          : source === 'prompt'
            ? `the typed password is not ${t.user}'s: try again, or set SETUP_POSTGRES_PASSWORD`
            : `the password-file entry for ${t.user} (${source.replace(/^password file /, '')}) is wrong: correct it, or set SETUP_POSTGRES_PASSWORD in the environment, which wins`;
  const what = kind === 'no-role' ? `the admin role "${t.user}" does not exist` : `the admin role "${t.user}" could not log in (password from ${source})`;
  const out = new PgConnectError(kind, what, hint, { serverMessage: server.serverMessage ?? String((e as Error)?.message ?? e), sqlState: server.sqlState, target: t, note: server.note, cause: e });
  return out;
}

/**
 * Connects as SETUP_POSTGRES_USER. Password order: SETUP_POSTGRES_PASSWORD (environment),
 * the password file's entry for the admin role, a hidden prompt when the server asks for
 * one and a person is there, else none (trust / peer authentication).
 */
export async function connectAdmin(
  cfg: Config,
  ctx: Pick<Context, 'env' | 'home' | 'secrets' | 'libpqSocketDir'>,
  prompt?: (message: string) => Promise<string | undefined>,
): Promise<AdminConnection> {
  const target = adminTarget(cfg);
  let password = cfg.SETUP_POSTGRES_PASSWORD || undefined;
  let source = 'SETUP_POSTGRES_PASSWORD (environment)';
  if (!password) {
    const file = await passwordFromFile(ctx, { host: target.host, port: target.port, database: target.database, user: target.user });
    if (file.password !== undefined) {
      password = file.password;
      source = `password file ${file.path}`;
    } else source = 'none';
  }
  ctx.secrets.add(password);
  try {
    return { client: await rawConnect({ ...target, password }), target: { ...target, password }, passwordSource: source };
  } catch (e) {
    if (password === undefined && prompt && classifyPgError(e) === 'auth') {
      const typed = await prompt(`Password for the PostgreSQL admin role ${target.user}:`);
      if (typed) {
        ctx.secrets.add(typed);
        try {
          return { client: await rawConnect({ ...target, password: typed }), target: { ...target, password: typed }, passwordSource: 'prompt' };
        } catch (e2) {
          throw adminError(e2, target, 'prompt');
        }
      }
    }
    throw adminError(e, target, source);
  }
}

/** `connect`, for the admin (its errors are re-described by adminError). */
async function rawConnect(t: ConnTarget): Promise<Client> {
  return connect(t);
}

/** Refuses old servers and admins that cannot do the job, before any change. */
export function checkServer(state: SetupState['server']): void {
  if (state.versionNum < MIN_SERVER_VERSION_NUM) {
    throw new UserError(`the server runs PostgreSQL ${state.version}; mcpctl needs 14 or newer`, {
      hint: 'upgrade the server (pg_upgrade, or a newer package/container) and run again; nothing was changed',
    });
  }
  const a = state.admin;
  if (!a.superuser && !(a.createrole && a.createdb)) {
    throw new UserError(`the admin role "${a.name}" cannot create roles and databases (needs SUPERUSER, or CREATEROLE and CREATEDB); nothing was changed`, {
      code: 'privilege',
      hint: `set SETUP_POSTGRES_USER to a role that can (usually postgres), or: ALTER ROLE ${a.name} CREATEROLE CREATEDB;`,
    });
  }
}

/** The app role must not be the admin role (checked before connecting). */
export function checkRoles(cfg: Config): void {
  if (cfg.SETUP_POSTGRES_USER === cfg.POSTGRES_USER) {
    throw new UsageError(`SETUP_POSTGRES_USER and POSTGRES_USER are both "${cfg.POSTGRES_USER}"`, {
      code: 'config',
      hint: 'the app role must be a separate, unprivileged role; set POSTGRES_USER to another name',
    });
  }
}

