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
  /** Where the password came from, for messages (never the value). */
  passwordSource?: string;
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

/**
 * Opens a connection (with libpq's `prefer` fallback to plain TCP). Every failure is a
 * PgConnectError carrying its kind; a failed attempt's socket is always closed.
 */
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
    if (!(t.sslmode === 'prefer' && ssl && NO_SSL.test((e as Error).message))) throw describePgError(e, t);
    // The plain retry's failure is the one that counts (and is described like any other).
    try {
      return await attempt(false);
    } catch (e2) {
      throw describePgError(e2, t, 'TLS was refused by the server (sslmode=prefer), so a plain connection was tried');
    }
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

/**
 * The kind of a connection (or statement) failure, for distinct hints and for callers that
 * decide by kind (serve --wait stops at once on the permanent ones).
 */
export type PgFailureKind = 'auth' | 'no-role' | 'no-database' | 'pg_hba' | 'tls' | 'refused' | 'timeout' | 'no-host' | 'privilege' | 'other';

/**
 * Kinds that retrying cannot fix: the server answered and said no. (A missing database is
 * not among them: a container may still be creating it.)
 */
export const PERMANENT_KINDS: ReadonlySet<PgFailureKind> = new Set(['auth', 'no-role', 'pg_hba']);

export function classifyPgError(e: unknown): PgFailureKind {
  if (e instanceof PgConnectError) return e.kind;
  const err = e as { code?: string; message?: string };
  const msg = err.message ?? '';
  if (err.code === '28000' || err.code === '28P01') {
    if (/no pg_hba\.conf entry|pg_hba/i.test(msg)) return 'pg_hba';
    if (/role .* does not exist/i.test(msg)) return 'no-role';
    return 'auth';
  }
  if (/password authentication failed|no password supplied|client password must be a string|SASL/i.test(msg)) return 'auth';
  if (err.code === '3D000') return 'no-database';
  if (err.code === '42501') return 'privilege';
  if (err.code === 'ECONNREFUSED' || err.code === 'ENOENT' || /ECONNREFUSED/.test(msg)) return 'refused';
  if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') return 'no-host';
  if (/timeout|timed out|ETIMEDOUT/i.test(msg) || err.code === 'ETIMEDOUT') return 'timeout';
  if (/SSL|TLS|certificate|self[- ]signed/i.test(msg)) return 'tls';
  return 'other';
}

/**
 * A failed connection or statement, typed by kind. `message` and `hint` are for people;
 * `serverMessage` is what the server (or the socket) said, redacted, shown with --debug;
 * `sqlState` is the server's error code when it sent one. `code` (for --json) is the kind.
 */
export class PgConnectError extends UserError {
  readonly kind: PgFailureKind;
  readonly serverMessage: string;
  readonly sqlState: string | undefined;
  /** Where the connection went (no password). */
  readonly target: { host: string; port: number; user: string; database: string };
  /** How the connection was made, when that matters (the sslmode=prefer plain retry). */
  readonly note: string | undefined;
  constructor(kind: PgFailureKind, message: string, hint: string, o: { serverMessage: string; sqlState?: string; target: ConnTarget; note?: string; cause?: unknown }) {
    super(message, { hint, code: kind === 'other' ? 'failed' : kind, cause: o.cause });
    this.name = 'PgConnectError';
    this.kind = kind;
    this.serverMessage = o.serverMessage;
    this.sqlState = o.sqlState;
    this.target = { host: o.target.host, port: o.target.port, user: o.target.user, database: o.target.database };
    this.note = o.note;
  }
  /** True when retrying cannot help (wrong password, missing role, pg_hba). */
  get permanent(): boolean {
    return PERMANENT_KINDS.has(this.kind);
  }
}

/** A PgConnectError whose message and hint say what went wrong and how to fix it. */
export function describePgError(e: unknown, t: ConnTarget, note?: string): UserError {
  if (e instanceof UserError) return e;
  const where = t.host.startsWith('/') ? `socket ${t.host}/.s.PGSQL.${t.port}` : `${t.host}:${t.port}`;
  const raw = redact((e as Error)?.message ?? String(e));
  const kind = classifyPgError(e);
  const from = t.passwordSource ? ` (password from ${t.passwordSource})` : '';
  const hints: Record<PgFailureKind, [string, string]> = {
    auth:
      t.password === undefined || t.password === ''
        ? [`the server asks for a password for user "${t.user}" at ${where} and none was given`, `set POSTGRES_PASSWORD (.env.local) or add a password-file entry; \`mcpctl setup-db\` creates both`]
        : [`password authentication failed for user "${t.user}" at ${where}${from}`, `check POSTGRES_PASSWORD (.env.local) and the password file: \`mcpctl setup-db\` repairs them when another stored password logs in; \`mcpctl setup-db --rotate-password\` sets a new one`],
    'no-role': [`the role "${t.user}" does not exist on ${where}`, 'run `mcpctl setup-db` to create it, or check POSTGRES_USER'],
    pg_hba: [`the server refuses connections for user "${t.user}" to database "${t.database}" from this host (no pg_hba.conf entry)`, `add a line for this host, user and database to the server's pg_hba.conf (e.g. host ${t.database} ${t.user} <client-address>/32 scram-sha-256) and reload it; with sslmode=disable a hostssl-only rule does not match`],
    'no-database': [`database "${t.database}" does not exist on ${where}`, 'run `mcpctl setup-db` to create it'],
    refused: [
      `cannot connect to PostgreSQL at ${where}: connection refused`,
      'is the server running? Start it (e.g. `pg_ctlcluster 15 main start` or `brew services start postgresql`) and check POSTGRES_HOST/POSTGRES_PORT',
    ],
    timeout: [`connecting to ${where} timed out`, 'check the host and port, firewalls, and that the server is not overloaded; raise --timeout if the network is slow'],
    tls: [
      NO_SSL.test(raw) ? `TLS problem connecting to ${where}: the server does not support TLS, and POSTGRES_SSLMODE=${t.sslmode} requires it` : `TLS problem connecting to ${where}: ${raw}`,
      'set POSTGRES_SSLMODE to match the server (disable, prefer, require, verify-ca, verify-full), or enable ssl on the server; for verify-* check the server certificate',
    ],
    'no-host': [`host ${t.host} cannot be resolved`, 'check POSTGRES_HOST'],
    privilege: [`permission denied: ${raw}`, `grant the needed privilege to ${t.user}, or run \`mcpctl setup-db\``],
    other: [`PostgreSQL error at ${where}: ${raw}`, 'run again with --debug for details'],
  };
  const [message, hint] = hints[kind];
  const sqlState = typeof (e as { code?: unknown })?.code === 'string' && /^[0-9A-Z]{5}$/.test((e as { code: string }).code) ? (e as { code: string }).code : undefined;
  return new PgConnectError(kind, message, hint, { serverMessage: raw, sqlState, target: t, note, cause: e });
}
