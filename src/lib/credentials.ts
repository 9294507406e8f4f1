import type { Config } from './config/keys.js';
import type { Context } from './context.js';
import { lookupPgpass, readPgpass, type PgpassKey } from './pgpass.js';
import { registerSecret } from './redact.js';

/** The app user's password and where it came from (never the value in messages). */
export interface AppPassword {
  password: string | undefined;
  /** e.g. "POSTGRES_PASSWORD (.env.local:3)", "password file /home/u/.pgpass", "none". */
  source: string;
  /** Why the password file was not used, when it exists but libpq would ignore it. */
  pgpassIgnored?: string;
}

/**
 * The password libpq would take from the password file for `key` (registered as a secret),
 * the file's path, and why the file was ignored when libpq would ignore it.
 */
export async function passwordFromFile(
  ctx: Pick<Context, 'env' | 'home'>,
  key: PgpassKey,
): Promise<{ password: string | undefined; path: string; ignored?: string }> {
  const file = await readPgpass(ctx.env, ctx.home);
  const password = file.bytes === undefined ? undefined : lookupPgpass(file.bytes, key);
  registerSecret(password);
  return { password, path: file.path, ignored: file.ignored };
}

/** POSTGRES_PASSWORD from configuration, else the password file's entry for the app user. */
export async function resolveAppPassword(
  cfg: Config,
  ctx: Pick<Context, 'env' | 'home'>,
  sourceLabel?: string,
  database = cfg.POSTGRES_DB,
): Promise<AppPassword> {
  if (cfg.POSTGRES_PASSWORD) return { password: cfg.POSTGRES_PASSWORD, source: `POSTGRES_PASSWORD (${sourceLabel ?? 'configuration'})` };
  const file = await passwordFromFile(ctx, { host: cfg.POSTGRES_HOST, port: cfg.POSTGRES_PORT, database, user: cfg.POSTGRES_USER });
  if (file.password !== undefined) return { password: file.password, source: `password file ${file.path}` };
  return { password: undefined, source: 'none', pgpassIgnored: file.ignored };
}
