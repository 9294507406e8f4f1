/**
 * The URL keys setup-db writes into `.env.local`: every `*DATABASE_URL` that the project's `.env`,
 * `.env.template` or `.env.example` declares, built from the app user, its password
 * (percent-encoded), the host and port, the database (POSTGRES_DB for DATABASE_URL; for the
 * others the one the declared URL names, else POSTGRES_DB) and the declared scheme. They live in the same file as POSTGRES_PASSWORD, written by the same
 * atomic rename, so the never-locked-out rule covers them: they change exactly when it does.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { parseDotenv } from '../../lib/config/dotenv.js';
import type { Config } from '../../lib/config/keys.js';
import { formatDatabaseUrl, isUrlKey, parseDatabaseUrl } from '../../lib/config/url-keys.js';

/** The files that declare which URL keys a project's server reads, most specific first. */
export const DECLARING_FILES = ['.env', '.env.template', '.env.example'] as const;

/** A URL key a project declares, and the declared value it is shaped after (may be empty). */
export interface DeclaredUrlKey {
  key: string;
  declared: string;
  file: string;
}

/** Every URL key declared in the project, each with the first non-empty declaration found (`.env` first). */
export async function declaredUrlKeys(cwd: string): Promise<DeclaredUrlKey[]> {
  const found = new Map<string, DeclaredUrlKey>();
  for (const name of DECLARING_FILES) {
    const text = await fs.readFile(path.join(cwd, name), 'utf8').catch(() => '');
    for (const e of parseDotenv(text).entries) {
      if (!isUrlKey(e.key)) continue;
      const prev = found.get(e.key);
      if (!prev || (prev.declared === '' && e.value !== '')) found.set(e.key, { key: e.key, declared: e.value, file: name });
    }
  }
  return [...found.values()].sort((a, b) => a.key.localeCompare(b.key));
}

/** The value each declared URL key gets for the app user and `password`. */
export function urlKeyValues(declared: DeclaredUrlKey[], cfg: Config, password: string): { key: string; value: string }[] {
  return declared.map(({ key, declared: d }) => {
    let scheme = 'postgresql';
    let database = cfg.POSTGRES_DB;
    let query: string | undefined;
    try {
      const u = parseDatabaseUrl(d);
      scheme = u.scheme;
      // DATABASE_URL is the main database: the one setup-db creates and verify-db checks, whatever a
      // template's placeholder names (verify-env warns when it names another). Other keys (a
      // registry, the tests) name the database their declaration names.
      database = key === 'DATABASE_URL' ? cfg.POSTGRES_DB : (u.database ?? cfg.POSTGRES_DB);
      query = u.query;
    } catch {
      // An empty or placeholder declaration: the plain scheme and the main database.
    }
    return { key, value: formatDatabaseUrl({ scheme, user: cfg.POSTGRES_USER, password, host: cfg.POSTGRES_HOST, port: cfg.POSTGRES_PORT, database, query }) };
  });
}

/** A warning for each URL key naming a database setup-db neither creates nor checks (the server would fail to connect). */
export function urlKeyWarnings(declared: DeclaredUrlKey[], values: { key: string; value: string }[], cfg: Config): string[] {
  const made = new Set([cfg.POSTGRES_DB, cfg.POSTGRES_TEST_DB]);
  const out: string[] = [];
  for (const { key, value } of values) {
    const db = parseDatabaseUrl(value).database;
    if (db === undefined || made.has(db)) continue;
    const file = declared.find((d) => d.key === key)?.file ?? '.env';
    out.push(`${key} names the database "${db}" (as ${file} declares it), which setup-db does not create: set POSTGRES_TEST_DB=${db} (or create it) if the server needs it, or change the database in ${file}; \`mcpctl doctor\` logs in with every URL key`);
  }
  return out;
}
