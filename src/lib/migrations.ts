/**
 * Schema migrations shared by setup-db (which applies them) and verify-db (which checks
 * them): the built-in registry migration, then the project's `migrations/*.sql` in name
 * order, each recorded in registry.schema_migrations with a SHA-256 checksum.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Client } from 'pg';
import { InterruptedError, UserError } from './errors.js';
import { withTransaction } from './pg.js';

/** One migration, built-in or from a file. */
export interface Migration {
  /** Unique, sortable: the file name without `.sql` (built-in: `000_registry`). */
  version: string;
  description: string;
  sql: string;
  /** SHA-256 of the SQL text, hex. */
  checksum: string;
  /** `built-in`, or the file's path. */
  source: string;
}

export const BUILTIN_VERSION = '000_registry';

const BUILTIN_SQL = `CREATE SCHEMA IF NOT EXISTS registry;
CREATE TABLE IF NOT EXISTS registry.system_info (
  key text PRIMARY KEY,
  value text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS registry.schema_migrations (
  version text PRIMARY KEY,
  description text NOT NULL,
  checksum text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
);
`;

export function sha256(text: string | Uint8Array): string {
  return createHash('sha256').update(text).digest('hex');
}

export function builtinMigration(): Migration {
  return { version: BUILTIN_VERSION, description: 'registry schema', sql: BUILTIN_SQL, checksum: sha256(BUILTIN_SQL), source: 'built-in' };
}

/** The built-in migration followed by `dir/*.sql` in name order (a missing folder means none). */
export async function loadMigrations(dir: string | undefined): Promise<Migration[]> {
  const list = [builtinMigration()];
  if (!dir) return list;
  let names: string[];
  try {
    names = (await fs.readdir(dir)).filter((n) => n.endsWith('.sql')).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return list;
    throw new UserError(`cannot read migrations folder ${dir}: ${(e as Error).message}`, { exitCode: 2 });
  }
  for (const name of names) {
    const file = path.join(dir, name);
    const sql = await fs.readFile(file, 'utf8');
    const version = name.slice(0, -4);
    if (version === BUILTIN_VERSION) throw new UserError(`${file}: the name ${BUILTIN_VERSION} is reserved for the built-in migration`, { exitCode: 2 });
    list.push({ version, description: version.replace(/^\d+[_-]?/, '').replace(/[_-]+/g, ' ') || version, sql, checksum: sha256(sql), source: file });
  }
  return list;
}

/** What the database holds compared with the migrations. */
export interface MigrationStatus {
  /** registry.schema_migrations exists. */
  tablePresent: boolean;
  applied: { version: string; checksum: string }[];
  pending: Migration[];
  /** Applied, but the file's checksum differs from the recorded one. */
  changed: { migration: Migration; recorded: string }[];
  /** Recorded as applied, with no migration of that version any more. */
  unknown: string[];
}

export async function migrationStatus(client: Client, migrations: readonly Migration[]): Promise<MigrationStatus> {
  const t = await client.query<{ ok: boolean }>("SELECT to_regclass('registry.schema_migrations') IS NOT NULL AS ok");
  const tablePresent = t.rows[0]?.ok === true;
  const applied = tablePresent
    ? (await client.query<{ version: string; checksum: string }>('SELECT version, checksum FROM registry.schema_migrations ORDER BY version')).rows
    : [];
  const byVersion = new Map(applied.map((a) => [a.version, a.checksum]));
  const known = new Set(migrations.map((m) => m.version));
  return {
    tablePresent,
    applied,
    pending: migrations.filter((m) => !byVersion.has(m.version)),
    changed: migrations.filter((m) => byVersion.has(m.version) && byVersion.get(m.version) !== m.checksum).map((m) => ({ migration: m, recorded: byVersion.get(m.version)! })),
    unknown: applied.map((a) => a.version).filter((v) => !known.has(v)),
  };
}

/** Error for a migration file edited after it was applied (exit 1, names the file). */
export function changedMigrationError(changed: MigrationStatus['changed']): UserError {
  const names = changed.map((c) => c.migration.source).join(', ');
  return new UserError(`migration changed after it was applied: ${names}`, {
    hint: 'restore the applied version of the file and put the change in a new migration file',
    details: { changed: changed.map((c) => ({ version: c.migration.version, file: c.migration.source, recorded: c.recorded, current: c.migration.checksum })) },
  });
}

/**
 * Applies pending migrations in order, each in its own transaction with its record.
 * Refuses (before applying anything) when an applied migration has changed.
 */
export async function applyMigrations(
  client: Client,
  migrations: readonly Migration[],
  onApplied: (m: Migration) => void = () => undefined,
  signal?: AbortSignal,
): Promise<Migration[]> {
  const status = await migrationStatus(client, migrations);
  if (status.changed.length) throw changedMigrationError(status.changed);
  const done: Migration[] = [];
  for (const m of status.pending) {
    // Between migrations an interrupt stops cleanly: what is applied is recorded.
    if (signal?.aborted) throw new InterruptedError(`interrupted before migration ${m.version}${done.length ? ` (applied before it: ${done.map((d) => d.version).join(', ')})` : ''}`);
    await withTransaction(client, async (c) => {
      await c.query(m.sql);
      await c.query('INSERT INTO registry.schema_migrations (version, description, checksum) VALUES ($1, $2, $3)', [m.version, m.description, m.checksum]);
    });
    done.push(m);
    onApplied(m);
  }
  return done;
}
