/**
 * The one adapter for PostgreSQL connections: connection options from configuration,
 * `withClient` / `withTransaction`, and errors turned into messages with a fix.
 * `pg` is imported lazily so that commands that do not talk to a server start fast.
 */
import type { Client, ClientConfig } from 'pg';
import { UserError } from './errors.js';
import { redact } from './redact.js';
import type { Config } from './config/keys.js';
import { pgMajorFromNum } from './versions.js';

/** Where and as whom to connect. */
export interface ConnTarget {
  host: string;
  port: number;
  user: string;
  password?: string;
  database: string;
  sslmode: Config['POSTGRES_SSLMODE'];
  /** Connect timeout in ms (default 5000). */
  timeoutMs?: number;
  applicationName?: string;
}

/** The app user's target for `database` (default POSTGRES_DB). */
export function appTarget(cfg: Config, password: string | undefined, database = cfg.POSTGRES_DB): ConnTarget {
  return {
    host: cfg.POSTGRES_HOST,
    port: cfg.POSTGRES_PORT,
    user: cfg.POSTGRES_USER,
    password,
    database,
    sslmode: cfg.POSTGRES_SSLMODE,
  };
}

function sslFor(mode: ConnTarget['sslmode'], host: string): ClientConfig['ssl'] {
  switch (mode) {
    case 'disable':
      return false;
    case 'prefer':
    case 'require':
      return host.startsWith('/') ? false : { rejectUnauthorized: false };
    case 'verify-ca':
      return { rejectUnauthorized: true, checkServerIdentity: () => undefined };
    case 'verify-full':
      return { rejectUnauthorized: true };
  }
}

/** pg client options; the password travels in memory only, never on a command line. */
export function clientConfig(t: ConnTarget, ssl: ClientConfig['ssl'] = sslFor(t.sslmode, t.host)): ClientConfig {
  return {
    host: t.host,
    port: t.port,
    user: t.user,
    // An empty function keeps pg from reading PGPASSWORD or its own (non-libpq) pgpass parser.
    password: t.password ?? (() => ''),
    database: t.database,
    ssl,
    connectionTimeoutMillis: t.timeoutMs ?? 5000,
    application_name: t.applicationName ?? 'mcpctl',
  } as ClientConfig;
}

const NO_SSL = /does not support SSL|server does not support ssl/i;

/** Opens a connection (with libpq's `prefer` fallback to plain TCP). */
export async function connect(t: ConnTarget): Promise<Client> {
  const { default: pg } = await import('pg');
  const attempt = async (ssl: ClientConfig['ssl']) => {
    const c = new pg.Client(clientConfig(t, ssl));
    // An idle connection's error must not crash the process; the next query reports it.
    c.on('error', () => undefined);
    try {
      await c.connect();
      return c;
    } catch (e) {
      await c.end().catch(() => undefined);
      throw e;
    }
  };
  const ssl = sslFor(t.sslmode, t.host);
  try {
    return await attempt(ssl);
  } catch (e) {
    if (t.sslmode === 'prefer' && ssl && NO_SSL.test((e as Error).message)) return attempt(false);
    throw describePgError(e, t);
  }
}

/** Runs `fn` with a connected client and always closes it. */
export async function withClient<T>(t: ConnTarget, fn: (c: Client) => Promise<T>): Promise<T> {
  const c = await connect(t);
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** Runs `fn` inside BEGIN/COMMIT; rolls back on any error. */
export async function withTransaction<T>(c: Client, fn: (c: Client) => Promise<T>): Promise<T> {
  await c.query('BEGIN');
  try {
    const r = await fn(c);
    await c.query('COMMIT');
    return r;
  } catch (e) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw e;
  }
}

/** The server's own version (never the client's): server_version_num, its major, and the display text. */
export async function serverVersion(c: Client): Promise<{ num: number; major: number; text: string }> {
  const r = await c.query<{ num: string; text: string }>("SELECT current_setting('server_version_num') AS num, current_setting('server_version') AS text");
  const num = Number(r.rows[0]!.num);
  return { num, major: pgMajorFromNum(num), text: r.rows[0]!.text };
}

/** Double-quotes an identifier that has already been validated (defence in depth). */
export function quoteIdent(id: string): string {
  return '"' + id.replace(/"/g, '""') + '"';
}

/** Single-quotes a literal (only for statements that cannot take parameters, e.g. ALTER ROLE). */
export function quoteLiteral(s: string): string {
  return "'" + s.replace(/'/g, "''") + "'";
}

/** The kind of a connection failure, for distinct hints. */
export type PgFailureKind = 'auth' | 'no-database' | 'refused' | 'timeout' | 'tls' | 'no-host' | 'privilege' | 'other';

export function classifyPgError(e: unknown): PgFailureKind {
  const err = e as { code?: string; message?: string };
  const msg = err.message ?? '';
  if (err.code === '28P01' || err.code === '28000' || /password authentication failed|no password supplied|SASL/i.test(msg)) return 'auth';
  if (err.code === '3D000') return 'no-database';
  if (err.code === '42501') return 'privilege';
  if (err.code === 'ECONNREFUSED' || err.code === 'ENOENT' || /ECONNREFUSED/.test(msg)) return 'refused';
  if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') return 'no-host';
  if (/timeout|timed out|ETIMEDOUT/i.test(msg) || err.code === 'ETIMEDOUT') return 'timeout';
  if (/SSL|TLS|certificate|self[- ]signed/i.test(msg)) return 'tls';
  return 'other';
}

/** A UserError whose message and hint say what went wrong and how to fix it. */
export function describePgError(e: unknown, t: ConnTarget): UserError {
  if (e instanceof UserError) return e;
  const where = t.host.startsWith('/') ? `socket ${t.host}/.s.PGSQL.${t.port}` : `${t.host}:${t.port}`;
  const raw = redact((e as Error)?.message ?? String(e));
  const kind = classifyPgError(e);
  const hints: Record<PgFailureKind, [string, string]> = {
    auth: [
      `password authentication failed for user "${t.user}" at ${where}`,
      `check POSTGRES_PASSWORD (.env.local) or the password file; \`mcpctl setup-db --rotate-password\` sets a new one`,
    ],
    'no-database': [`database "${t.database}" does not exist on ${where}`, 'run `mcpctl setup-db` to create it'],
    refused: [
      `cannot connect to PostgreSQL at ${where}: connection refused`,
      'is the server running? Start it (e.g. `pg_ctlcluster 15 main start` or `brew services start postgresql`) and check POSTGRES_HOST/POSTGRES_PORT',
    ],
    timeout: [`connecting to ${where} timed out`, 'check the host and port, firewalls, and that the server is not overloaded; raise --timeout if the network is slow'],
    tls: [`TLS problem connecting to ${where}: ${raw}`, 'check POSTGRES_SSLMODE (disable, prefer, require, verify-ca, verify-full) and the server certificate'],
    'no-host': [`host ${t.host} cannot be resolved`, 'check POSTGRES_HOST'],
    privilege: [`permission denied: ${raw}`, `grant the needed privilege to ${t.user}, or run \`mcpctl setup-db\``],
    other: [`PostgreSQL error at ${where}: ${raw}`, 'run again with --debug for details'],
  };
  const [message, hint] = hints[kind];
  return new UserError(message, { hint, code: kind === 'other' ? 'failed' : kind, cause: e });
}
