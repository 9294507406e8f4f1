import type { Config } from './config/keys.js';
import type { Context } from './context.js';
import { lookupPgpass, readPgpass } from './pgpass.js';
import { registerSecret } from './redact.js';

/** The app user's password and where it came from (never the value in messages). */
export interface AppPassword {
  password: string | undefined;
  /** e.g. "POSTGRES_PASSWORD (.env.local:3)", "password file /home/u/.pgpass", "none". */
  source: string;
  /** Why the password file was not used, when it exists but libpq would ignore it. */
  pgpassIgnored?: string;
}

/** POSTGRES_PASSWORD from configuration, else the password file's entry for the app user. */
export async function resolveAppPassword(
  cfg: Config,
  ctx: Pick<Context, 'env' | 'home'>,
  sourceLabel?: string,
  database = cfg.POSTGRES_DB,
): Promise<AppPassword> {
  if (cfg.POSTGRES_PASSWORD) return { password: cfg.POSTGRES_PASSWORD, source: `POSTGRES_PASSWORD (${sourceLabel ?? 'configuration'})` };
  const file = await readPgpass(ctx.env, ctx.home);
  if (file.text !== undefined) {
    const pw = lookupPgpass(file.text, { host: cfg.POSTGRES_HOST, port: cfg.POSTGRES_PORT, database, user: cfg.POSTGRES_USER });
    if (pw !== undefined) {
      registerSecret(pw);
      return { password: pw, source: `password file ${file.path}` };
    }
  }
  return { password: undefined, source: 'none', pgpassIgnored: file.ignored };
}
