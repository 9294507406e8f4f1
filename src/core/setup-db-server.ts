/**
 * The server side of setup-db: the admin connection (password from the environment, the
 * password file, or a hidden prompt) and a read-only look at what already exists.
 */
import type { Client } from 'pg';
import type { Config } from '../lib/config/keys.js';
import type { Context } from '../lib/context.js';
import { UsageError, UserError } from '../lib/errors.js';
import { migrationStatus, type Migration, type MigrationStatus } from '../lib/migrations.js';
import { classifyPgError, connect, describePgError, type ConnTarget } from '../lib/pg.js';
import { passwordFromFile } from '../lib/credentials.js';
import { registerSecret } from '../lib/redact.js';

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
  if (classifyPgError((err.cause as unknown) ?? e) !== 'auth') return err;
  return new UserError(`the admin role "${t.user}" could not log in (password from ${source})`, {
    code: 'auth',
    hint: 'set SETUP_POSTGRES_PASSWORD in the environment (it is never written anywhere), add a password-file entry for the admin role, or run on a terminal to be asked; SETUP_POSTGRES_USER names the admin role',
    cause: e,
  });
}

/**
 * Connects as SETUP_POSTGRES_USER. Password order: SETUP_POSTGRES_PASSWORD (environment),
 * the password file's entry for the admin role, a hidden prompt when the server asks for
 * one and a person is there, else none (trust / peer authentication).
 */
export async function connectAdmin(
  cfg: Config,
  ctx: Pick<Context, 'env' | 'home'>,
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
  registerSecret(password);
  try {
    return { client: await rawConnect({ ...target, password }), target: { ...target, password }, passwordSource: source };
  } catch (e) {
    if (password === undefined && prompt && classifyPgError(e) === 'auth') {
      const typed = await prompt(`Password for the PostgreSQL admin role ${target.user}:`);
      if (typed) {
        registerSecret(typed);
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

/** `connect` but keeping the raw pg error (so auth failures can be told apart). */
async function rawConnect(t: ConnTarget): Promise<Client> {
  try {
    return await connect(t);
  } catch (e) {
    throw (e as UserError).cause ?? e;
  }
}

/** What the server holds before setup-db changes anything. */
export interface ServerState {
  versionNum: number;
  version: string;
  admin: { name: string; superuser: boolean; createrole: boolean; createdb: boolean };
  role: { canLogin: boolean; createDb: boolean } | undefined;
  /** Owner of each wanted database that exists. */
  databases: Map<string, { owner: string }>;
  vectorAvailable: boolean;
}

export async function inspectServer(c: Client, cfg: Config): Promise<ServerState> {
  const s = await c.query<{ num: string; version: string; name: string; rolsuper: boolean; rolcreaterole: boolean; rolcreatedb: boolean; vector: boolean }>(
    `SELECT current_setting('server_version_num') AS num, current_setting('server_version') AS version, r.rolname AS name,
            r.rolsuper, r.rolcreaterole, r.rolcreatedb,
            EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'vector') AS vector
       FROM pg_roles r WHERE r.rolname = current_user`,
  );
  const row = s.rows[0]!;
  const role = await c.query<{ rolcanlogin: boolean; rolcreatedb: boolean }>('SELECT rolcanlogin, rolcreatedb FROM pg_roles WHERE rolname = $1', [cfg.POSTGRES_USER]);
  const dbs = await c.query<{ datname: string; owner: string }>('SELECT datname, pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = ANY($1)', [
    [cfg.POSTGRES_DB, cfg.POSTGRES_TEST_DB],
  ]);
  const r = role.rows[0];
  return {
    versionNum: Number(row.num),
    version: row.version,
    admin: { name: row.name, superuser: row.rolsuper, createrole: row.rolcreaterole, createdb: row.rolcreatedb },
    role: r ? { canLogin: r.rolcanlogin, createDb: r.rolcreatedb } : undefined,
    databases: new Map(dbs.rows.map((d) => [d.datname, { owner: d.owner }])),
    vectorAvailable: row.vector,
  };
}

/** Refuses old servers and admins that cannot do the job, before any change. */
export function checkServer(state: ServerState): void {
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

/** Per existing database: migration status (undefined when the admin may not read it) and pgvector. */
export interface DatabaseState {
  migrations: MigrationStatus | undefined;
  vectorInstalled: boolean;
}

export async function inspectDatabase(c: Client, migrations: readonly Migration[]): Promise<DatabaseState> {
  const v = await c.query<{ ok: boolean }>("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'vector') AS ok");
  let status: MigrationStatus | undefined;
  try {
    status = await migrationStatus(c, migrations);
  } catch (e) {
    // A non-superuser admin may not read the app's schema; the app connection checks again.
    if ((e as { code?: string }).code !== '42501') throw e;
  }
  return { migrations: status, vectorInstalled: v.rows[0]?.ok === true };
}
