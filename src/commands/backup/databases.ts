/**
 * Database helpers shared by backup, its --verify, and restore: the app user's target,
 * scratch databases that are always dropped, and the table list with row counts.
 */
import type { Client } from 'pg';
import type { Config } from '../../lib/config/keys.js';
import type { LoadedConfig } from '../../lib/config/load.js';
import type { Context } from '../../lib/cli/context.js';
import { resolveAppPassword } from '../../lib/config/credentials.js';
import { UsageError } from '../../lib/cli/errors.js';
import { appTarget, quoteIdent, withClient, type ConnTarget } from '../../lib/pg/client.js';

/**
 * Any name PostgreSQL accepts (1–63 bytes, no NUL): it reaches pg_dump and psql only
 * through PGDATABASE, never argv, and file names encode it (backup-files.ts).
 */
export function requireDbName(name: string, flag: string): void {
  const bytes = Buffer.byteLength(name);
  if (bytes === 0 || bytes > 63 || name.includes('\0')) {
    throw new UsageError(`${flag} ${JSON.stringify(name)} is not a PostgreSQL database name`, { hint: 'database names are 1 to 63 bytes long' });
  }
}

/** The app user's connection to `database`; the password from configuration or the password file. */
export async function appTargetFor(loaded: LoadedConfig, ctx: Pick<Context, 'env' | 'home' | 'secrets' | 'libpqSocketDir'>, database: string): Promise<ConnTarget> {
  const cfg = loaded.values;
  const label = loaded.resolved.POSTGRES_PASSWORD?.source?.label;
  let pw = await resolveAppPassword(cfg, ctx, label, database);
  // A database the password file does not name yet (a new restore target): the app user's usual entry.
  if (pw.password === undefined && database !== cfg.POSTGRES_DB) pw = await resolveAppPassword(cfg, ctx, label, cfg.POSTGRES_DB);
  return appTarget(cfg, pw.password, database);
}

/** A database to connect to for CREATE/DROP/RENAME of `avoid` (never `avoid` itself). */
export function maintenanceTarget(cfg: Config, t: ConnTarget, ...avoid: string[]): ConnTarget {
  const db = [cfg.POSTGRES_DB, 'postgres', 'template1'].find((d) => !avoid.includes(d))!;
  return { ...t, database: db };
}

export async function createDatabase(c: Client, name: string): Promise<void> {
  await c.query(`CREATE DATABASE ${quoteIdent(name)}`);
}

export async function dropDatabase(t: ConnTarget, name: string): Promise<void> {
  await withClient(t, (c) => c.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`));
}

/** A user table and its row count. */
export interface TableCount {
  table: string;
  rows: number;
}

const TABLES_SQL = `SELECT format('%I.%I', n.nspname, c.relname) AS name
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p')
   AND n.nspname NOT IN ('pg_catalog', 'information_schema')
   AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'
 ORDER BY 1`;

/** Every user table (schema-qualified, quoted) with its exact row count. */
export async function tableCounts(c: Client): Promise<TableCount[]> {
  const names = (await c.query<{ name: string }>(TABLES_SQL)).rows.map((r) => r.name);
  const out: TableCount[] = [];
  for (const table of names) {
    const r = await c.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${table}`);
    out.push({ table, rows: Number(r.rows[0]!.n) });
  }
  return out;
}

/** How many user tables a database holds. */
export async function countTables(c: Client): Promise<number> {
  const r = await c.query<{ n: string }>(`SELECT count(*)::text AS n FROM (${TABLES_SQL}) t`);
  return Number(r.rows[0]!.n);
}

/** Runs `fn` for each item with at most `limit` at once; results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
