import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fsyncDir, writeFileAtomic } from '../files/atomic-write.js';
import type { Config } from './keys.js';
import type { Context } from '../cli/context.js';
import { lookupPgpass, parseLine, pgpassHost, readPgpass, type PgpassKey } from './pgpass.js';

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
  ctx: Pick<Context, 'env' | 'home' | 'secrets' | 'libpqSocketDir'>,
  key: PgpassKey,
): Promise<{ password: string | undefined; path: string; ignored?: string }> {
  const file = await readPgpass(ctx.env, ctx.home);
  const password = file.bytes === undefined ? undefined : lookupPgpass(file.bytes, key, { defaultSocketDir: ctx.libpqSocketDir });
  ctx.secrets.add(password);
  return { password, path: file.path, ignored: file.ignored };
}

/** POSTGRES_PASSWORD from configuration, else the password file's entry for the app user. */
export async function resolveAppPassword(
  cfg: Config,
  ctx: Pick<Context, 'env' | 'home' | 'secrets' | 'libpqSocketDir'>,
  sourceLabel?: string,
  database = cfg.POSTGRES_DB,
): Promise<AppPassword> {
  if (cfg.POSTGRES_PASSWORD) return { password: cfg.POSTGRES_PASSWORD, source: `POSTGRES_PASSWORD (${sourceLabel ?? 'configuration'})` };
  const file = await passwordFromFile(ctx, { host: cfg.POSTGRES_HOST, port: cfg.POSTGRES_PORT, database, user: cfg.POSTGRES_USER });
  if (file.password !== undefined) return { password: file.password, source: `password file ${file.path}` };
  return { password: undefined, source: 'none', pgpassIgnored: file.ignored };
}

/**
 * The pending-password record: setup-db's write-ahead log for a role's password. It is
 * written (0600, atomically) before the role's password changes and removed once every
 * credential file holds the new one, so whatever ends a run in between — kill -9, a full
 * disk, a lost connection — the next run finds the password that logs in and finishes.
 * One record per server and role, kept beside mcpctl's other per-user state.
 */
export interface PendingPassword {
  host: string;
  port: number;
  user: string;
  password: string;
  /** ISO time it was written. */
  createdAt: string;
}

/** `$XDG_STATE_HOME/mcpctl/pending` (default `~/.local/state/mcpctl/pending`). */
export function pendingDir(env: Readonly<Record<string, string | undefined>>, home: string): string {
  const state = env.XDG_STATE_HOME && path.isAbsolute(env.XDG_STATE_HOME) ? env.XDG_STATE_HOME : path.join(home, '.local', 'state');
  return path.join(state, 'mcpctl', 'pending');
}

export function pendingPath(ctx: Pick<Context, 'env' | 'home'>, key: { host: string; port: number; user: string }): string {
  const id = createHash('sha256').update(`${key.host}\0${key.port}\0${key.user}`).digest('hex').slice(0, 20);
  return path.join(pendingDir(ctx.env, ctx.home), `${id}.json`);
}

/** The pending record for this server and role, if any (a damaged one counts as none). */
export async function readPending(ctx: Pick<Context, 'env' | 'home' | 'secrets'>, key: { host: string; port: number; user: string }): Promise<PendingPassword | undefined> {
  const file = pendingPath(ctx, key);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const rec = JSON.parse(text) as PendingPassword;
    if (rec.host !== key.host || rec.port !== key.port || rec.user !== key.user || typeof rec.password !== 'string' || !rec.password) return undefined;
    ctx.secrets.add(rec.password);
    return rec;
  } catch {
    // Written atomically, so a torn record cannot happen; anything else is not ours to trust.
    return undefined;
  }
}

/** Writes the record (folder 0700, file 0600 from creation, atomic). */
export async function writePending(ctx: Pick<Context, 'env' | 'home'>, rec: PendingPassword): Promise<string> {
  const file = pendingPath(ctx, rec);
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFileAtomic(file, JSON.stringify(rec) + '\n', { mode: 0o600 });
  return file;
}

/** Removes the record (missing is fine). */
export async function clearPending(ctx: Pick<Context, 'env' | 'home'>, key: { host: string; port: number; user: string }): Promise<void> {
  const file = pendingPath(ctx, key);
  await fs.rm(file, { force: true });
  await fsyncDir(path.dirname(file));
}

/**
 * Every other password the password file holds for this host, port and user (any database,
 * wildcards included), distinct, in file order — candidates when the stored one fails.
 */
export async function otherStoredPasswords(ctx: Pick<Context, 'env' | 'home' | 'secrets' | 'libpqSocketDir'>, key: { host: string; port: number; user: string }): Promise<{ password: string; source: string }[]> {
  const file = await readPgpass(ctx.env, ctx.home);
  if (file.text === undefined) return [];
  const host = pgpassHost(key.host, ctx.libpqSocketDir);
  const seen = new Set<string>();
  const out: { password: string; source: string }[] = [];
  file.text.split('\n').forEach((raw, i) => {
    const f = parseLine(raw);
    if (!f) return;
    const [h, p, , u, pw] = f as [string, string, string, string, string];
    if ((h === '*' || h === host) && (p === '*' || p === String(key.port)) && (u === '*' || u === key.user) && pw && !seen.has(pw)) {
      seen.add(pw);
      ctx.secrets.add(pw);
      out.push({ password: pw, source: `password file ${file.path}:${i + 1}` });
    }
  });
  return out;
}
