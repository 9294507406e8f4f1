/**
 * The project's known secrets, for the rollback's search of what the stash would copy
 * (secrets.ts): read from its configuration and the password file. Kept apart from the search so
 * that the rollback loads the configuration's modules only while git works (preflight.ts).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ConfigError, loadConfig, type Resolved } from '../../lib/config/load.js';
import { parseDotenv } from '../../lib/config/dotenv.js';
import { lookupPgpass, parseLine, pgpassHost, readPgpass } from '../../lib/config/pgpass.js';
import { isUrlKey, parseDatabaseUrl } from '../../lib/config/url-keys.js';
import { SecretRegistry } from '../../lib/cli/redact.js';
import { isExamplePassword, type ConfigKey } from '../../lib/config/keys.js';
import type { SecretsCtx } from './secrets.js';

const valuesOf = (r: Resolved | undefined) => (r ? [r.value, ...r.overridden.map((o) => o.value)] : []);

/**
 * Every value the project knows as a secret: POSTGRES_PASSWORD and SETUP_POSTGRES_PASSWORD from
 * every source (environment, .env.local, .env — a stale one is still a password someone used),
 * the passwords inside the URL keys, and the password-file entries libpq would use for the app
 * and admin roles. An invalid configuration still yields what it resolved: rollback does not
 * need the configuration to be valid, only to know what must not be stashed.
 */
export async function projectSecrets(ctx: SecretsCtx): Promise<string[]> {
  const registry = ctx.secrets ?? new SecretRegistry();
  let resolved: Record<ConfigKey, Resolved> | undefined;
  const out: (string | undefined)[] = [];
  try {
    const loaded = await loadConfig({ cwd: ctx.cwd, env: ctx.env, secrets: registry });
    resolved = loaded.resolved;
    for (const { value } of Object.values(loaded.urlKeys)) out.push(urlPassword(value));
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    resolved = e.resolved;
  }
  out.push(...valuesOf(resolved?.POSTGRES_PASSWORD), ...valuesOf(resolved?.SETUP_POSTGRES_PASSWORD));
  if (ctx.home !== undefined && resolved) {
    const file = await readPgpass(ctx.env, ctx.home);
    const v = (k: ConfigKey, fallback: string) => resolved![k]?.value ?? fallback;
    const server = { host: v('POSTGRES_HOST', 'localhost'), port: v('POSTGRES_PORT', '5432') };
    const keys = [
      { ...server, user: v('POSTGRES_USER', 'mcp_user'), database: v('POSTGRES_DB', 'project_registry') },
      { ...server, user: v('POSTGRES_USER', 'mcp_user'), database: v('POSTGRES_TEST_DB', 'test_workflow_mcp') },
    ];
    if (file.bytes) {
      for (const key of keys) out.push(lookupPgpass(file.bytes, key));
      out.push(...adminEntries(file.bytes, { ...server, user: v('SETUP_POSTGRES_USER', 'postgres') }));
    }
  }
  const found = [...new Set(out.filter((s): s is string => !!s))];
  for (const s of found) registry.add(s);
  return found;
}

/**
 * Every password-file entry the admin role could use on this server, whatever its database
 * field: setup-db connects to several databases as admin, and any of those lines is the
 * admin's password (libpq's first-match rule picks one per database, not one per role).
 */
function adminEntries(bytes: Buffer, key: { host: string; port: string; user: string }): string[] {
  const host = pgpassHost(key.host);
  const out: string[] = [];
  for (const line of bytes.toString('utf8').split('\n')) {
    const f = parseLine(line);
    if (!f) continue;
    const [h, p, , u, pw] = f as [string, string, string, string, string];
    if ((h === '*' || h === host) && (p === '*' || p === key.port) && (u === '*' || u === key.user) && pw) out.push(pw);
  }
  return out;
}

function urlPassword(url: string): string | undefined {
  try {
    return parseDatabaseUrl(url).password;
  } catch {
    return undefined;
  }
}

/** The password of any URL (redis://:pw@host, amqp://user:pw@host), percent-decoded as a client would send it. */
function anyUrlPassword(url: string): string | undefined {
  try {
    const pw = new URL(url).password;
    return pw ? decodeURIComponent(pw) : undefined;
  } catch {
    return undefined;
  }
}

/** An env file larger than this is no env file: not read (a link to a device, a huge log named `x.env`). */
const ENV_FILE_LIMIT = 1 << 20;

/**
 * The passwords in the ignored env files `files` (relative to the top folder `root`): the stash
 * covers the whole repository, not only the project nearest the current folder, so a password
 * kept in `svc/.env.local` or in the top folder's `.env` (while mcpctl runs in a subfolder) must
 * be searched for too. Each file is read with the project's own .env parser: POSTGRES_PASSWORD,
 * SETUP_POSTGRES_PASSWORD, every value whose name says secret (API_TOKEN, …) and the passwords
 * inside URL values (envFileSecrets). Unreadable ones are skipped: they hold nothing this search
 * could know.
 */
/**
 * Names that say "secret" in the conventions people use for env files (DB_PASSWORD, API_TOKEN,
 * OPENAI_API_KEY, AWS_SECRET_ACCESS_KEY, JWT_SECRET, GITHUB_PAT, PRIVATE_KEY, *_CREDENTIALS …).
 */
const SECRET_NAME = /PASS(?:WORD|WD)?|PWD|SECRET|TOKEN|(?:^|_)(?:API_?)?KEY(?:_|$)|PRIVATE|CREDENTIAL|AUTH|(?:^|_)PAT(?:_|$)|SALT|SIGNING/i;

/**
 * The secrets one entry of an env file holds: a value whose name says secret (placeholders such
 * as `changeme` left out), and the password inside any URL value (`REDIS_URL=redis://:pw@…`).
 * Values under 8 bytes are dropped by the search itself (they would match ordinary text).
 */
export function envFileSecrets(key: string, value: string): string[] {
  const out: string[] = [];
  if ((key === 'POSTGRES_PASSWORD' || key === 'SETUP_POSTGRES_PASSWORD' || SECRET_NAME.test(key)) && value && !isExamplePassword(value)) out.push(value);
  const inUrl = isUrlKey(key) ? urlPassword(value) : /^[a-z][a-z0-9+.-]*:\/\/[^/\s]*@/i.test(value) ? anyUrlPassword(value) : undefined;
  if (inUrl) out.push(inUrl);
  return out;
}

export async function ignoredEnvSecrets(ctx: SecretsCtx, root: string, files: string[]): Promise<string[]> {
  const out: (string | undefined)[] = [];
  await Promise.all(
    files.map(async (rel) => {
      const file = path.join(root, rel);
      // Through a link too (the secret is the target's), but only to a regular file of sane size: never a FIFO.
      const st = await fs.stat(file).catch(() => undefined);
      if (!st?.isFile() || st.size > ENV_FILE_LIMIT) return;
      const text = await fs.readFile(file, 'utf8').catch(() => undefined);
      if (text === undefined) return;
      for (const { key, value } of parseDotenv(text, ctx.env).entries) out.push(...envFileSecrets(key, value));
    }),
  );
  const found = [...new Set(out.filter((s): s is string => !!s))];
  for (const s of found) ctx.secrets?.add(s);
  return found;
}
