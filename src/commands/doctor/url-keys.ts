/**
 * doctor's `url-keys` check: every URL key the server will be given (`DATABASE_URL`,
 * `REGISTRY_DATABASE_URL`, …) logs in to the database it names. verify-db checks the POSTGRES_*
 * settings; the server reads the URLs — and a URL shaped after a template can name a database
 * that setup-db never created (`…/codebase_mcp_registry`). Found here, not by the server at start-up.
 */
import type { Config } from '../../lib/config/keys.js';
import { parseDatabaseUrl } from '../../lib/config/url-keys.js';
import { PgConnectError, withClient, type ConnTarget } from '../../lib/pg.js';
import { fail, pass, skip, type CheckOutcome } from '../../lib/report.js';
import { redact } from '../../lib/redact.js';

const SSLMODES: readonly string[] = ['disable', 'prefer', 'require', 'verify-ca', 'verify-full'];

/** Where a URL key connects, as the server's driver would read it (libpq's defaults for what it leaves out). */
export function urlTarget(url: string, cfg: Config, appPassword: string | undefined, timeoutMs: number): ConnTarget {
  const u = parseDatabaseUrl(url);
  const user = u.user ?? cfg.POSTGRES_USER;
  return {
    host: u.host ?? 'localhost',
    port: u.port ?? 5432,
    user,
    // No password in the URL: the server's driver falls back to the password file, which holds the app user's.
    password: u.password ?? (user === cfg.POSTGRES_USER ? appPassword : undefined),
    database: u.database ?? user,
    sslmode: (u.sslmode && SSLMODES.includes(u.sslmode) ? u.sslmode : cfg.POSTGRES_SSLMODE) as Config['POSTGRES_SSLMODE'],
    timeoutMs,
    applicationName: 'mcpctl doctor',
  };
}

function parseSafe(url: string): { password?: string } | undefined {
  try {
    return parseDatabaseUrl(url);
  } catch {
    return undefined;
  }
}

/** Logs in with each URL key; one outcome naming every key that cannot, and why. */
export async function urlKeysOutcome(urlKeys: Readonly<Record<string, { value: string; source: { label: string } }>>, cfg: Config, appPassword: string | undefined, timeoutMs: number): Promise<CheckOutcome> {
  const keys = Object.keys(urlKeys).sort();
  if (!keys.length) return skip('no URL key (…DATABASE_URL) is set: the server gets POSTGRES_* only');
  const ok: string[] = [];
  const bad: { key: string; message: string; hint?: string }[] = [];
  for (const key of keys) {
    const { value } = urlKeys[key]!;
    const source = urlKeys[key]!.source.label;
    const secrets = [parseSafe(value)?.password, appPassword].filter((x): x is string => !!x);
    let t: ConnTarget;
    try {
      t = urlTarget(value, cfg, appPassword, timeoutMs);
    } catch (e) {
      bad.push({ key, message: redact(`${key} (${source}) ${(e as Error).message}`, secrets) });
      continue;
    }
    try {
      await withClient(t, (c) => c.query('SELECT 1'));
      ok.push(`${key} (${t.user}@${t.database})`);
    } catch (e) {
      const why = redact(e instanceof PgConnectError ? e.message : String((e as Error)?.message ?? e), secrets);
      const hint =
        e instanceof PgConnectError && e.kind === 'no-database'
          ? `the URL names "${t.database}", which setup-db creates only as POSTGRES_DB or POSTGRES_TEST_DB: set one of them to it and run \`mcpctl setup-db\`, or change the database where the project declares ${key} (.env, .env.template or .env.example)`
          : e instanceof PgConnectError
            ? e.hint
            : undefined;
      bad.push({ key, message: `${key} (${source}): ${why}`, hint });
    }
  }
  if (bad.length) {
    const hints = bad.map((b) => b.hint).filter((h): h is string => !!h);
    return fail(bad.map((b) => b.message).join('; '), hints.length ? [...new Set(hints)].join('; ') : 'run `mcpctl setup-db` to write the URL keys again');
  }
  return pass(`log in: ${ok.join(', ')}`);
}
