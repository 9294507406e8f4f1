/**
 * Database helpers shared by backup, its --verify, and restore: the app user's target,
 * scratch databases that are always dropped, and the table list with row counts.
 */
import { randomBytes } from 'node:crypto';
import type { Client } from 'pg';
import type { Config } from '../lib/config/keys.js';
import type { LoadedConfig } from '../lib/config/load.js';
import type { Context } from '../lib/context.js';
import { resolveAppPassword } from '../lib/credentials.js';
import { UsageError } from '../lib/errors.js';
import { appTarget, quoteIdent, withClient, type ConnTarget } from '../lib/pg.js';

/** Database names mcpctl will put in a file name and on pg_dump's command line. */
export const DB_NAME = /^[A-Za-z_][A-Za-z0-9_$-]{0,62}$/;

export function requireDbName(name: string, flag: string): void {
  if (!DB_NAME.test(name)) throw new UsageError(`${flag} ${JSON.stringify(name)} is not a database name mcpctl handles`, { hint: 'use letters, digits, _ and - (at most 63), starting with a letter or _' });
}

/** The app user's connection to `database`; the password from configuration or the password file. */
export async function appTargetFor(loaded: LoadedConfig, ctx: Pick<Context, 'env' | 'home'>, database: string): Promise<ConnTarget> {
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

/** A unique scratch database name, e.g. `mcpctl_restorecheck_3f9a1c2b7e`. */
export function scratchName(prefix: string): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
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
