/**
 * setup-db's read-only look, before any change: the server and the role, each wanted
 * database (owner, pgvector, migrations, a registry made without mcpctl), and which stored
 * password logs in. Every connection it opens is closed on every path.
 */
import type { Client } from 'pg';
import type { LoadedConfig } from '../../lib/config/load.js';
import type { Config } from '../../lib/config/keys.js';
import type { Context } from '../../lib/cli/context.js';
import { otherStoredPasswords, passwordFromFile, pendingPath, readPending } from '../../lib/config/credentials.js';
import { migrationStatus, type Migration, type MigrationStatus } from '../../lib/pg/migrations.js';
import { appTarget, classifyPgError, withClient } from '../../lib/pg/client.js';
import type { DatabaseState, LegacyRegistry, PasswordCandidate, SetupState } from './types.js';

export async function inspectServer(c: Client, cfg: Config): Promise<Pick<SetupState, 'server' | 'role'> & { owners: Map<string, string> }> {
  const s = await c.query<{ num: string; version: string; name: string; rolsuper: boolean; rolcreaterole: boolean; rolcreatedb: boolean; vector: boolean }>(
    `SELECT current_setting('server_version_num') AS num, current_setting('server_version') AS version, r.rolname AS name,
            r.rolsuper, r.rolcreaterole, r.rolcreatedb,
            EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'vector') AS vector
       FROM pg_roles r WHERE r.rolname = current_user`,
  );
  const row = s.rows[0]!;
  // CREATE DATABASE … OWNER and OWNER TO need the admin to be able to SET ROLE to the owner (a
  // member; from 16 with the SET option), DROP DATABASE to have its privileges (an inheriting
  // member). Granting that needs CREATEROLE (up to 15, for a non-superuser role) or the ADMIN
  // option (16+: the role's creator has it).
  const v16 = Number(row.num) >= 160000;
  const role = await c.query<{ rolcanlogin: boolean; rolcreatedb: boolean; owns: string[] | null; can_set: boolean; can_grant: boolean }>(
    `SELECT rolcanlogin, rolcreatedb,
            (SELECT array_agg(datname::text ORDER BY datname) FROM pg_database WHERE datdba = r.oid) AS owns,
            pg_has_role(current_user, r.oid, 'USAGE')${v16 ? " AND pg_has_role(current_user, r.oid, 'SET')" : ''} AS can_set,
            ${v16 ? "pg_has_role(current_user, r.oid, 'MEMBER WITH ADMIN OPTION')" : '(SELECT rolcreaterole OR rolsuper FROM pg_roles WHERE rolname = current_user) AND NOT r.rolsuper'} AS can_grant
       FROM pg_roles r WHERE rolname = $1`,
    [cfg.POSTGRES_USER],
  );
  const dbs = await c.query<{ datname: string; owner: string }>('SELECT datname, pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = ANY($1)', [
    [cfg.POSTGRES_DB, cfg.POSTGRES_TEST_DB],
  ]);
  const r = role.rows[0];
  return {
    server: {
      versionNum: Number(row.num),
      version: row.version,
      admin: { name: row.name, superuser: row.rolsuper, createrole: row.rolcreaterole, createdb: row.rolcreatedb },
      vectorAvailable: row.vector,
    },
    role: r ? { canLogin: r.rolcanlogin, createDb: r.rolcreatedb, owns: r.owns ?? [], adminCanSet: r.can_set, adminCanGrant: r.can_grant } : undefined,
    owners: new Map(dbs.rows.map((d) => [d.datname, d.owner])),
  };
}

const WANTED_COLUMNS: Record<string, RegExp> = {
  version: /^(text|character varying.*)$/,
  description: /^(text|character varying.*)$/,
  checksum: /^(text|character varying.*)$/,
  applied_at: /^timestamp/,
};

/** A registry schema that mcpctl did not record, or undefined. */
async function legacyRegistry(c: Client): Promise<LegacyRegistry | undefined> {
  const s = await c.query<{ owner: string; tables: string[] | null }>(
    `SELECT pg_get_userbyid(n.nspowner) AS owner,
            (SELECT array_agg(relname::text ORDER BY relname) FROM pg_class WHERE relnamespace = n.oid AND relkind IN ('r', 'p')) AS tables
       FROM pg_namespace n WHERE n.nspname = 'registry'`,
  );
  if (!s.rows.length) return undefined;
  // The catalogs only (no to_regclass): an admin without USAGE on the schema can read them too.
  const table = "(SELECT cl.oid FROM pg_class cl JOIN pg_namespace ns ON ns.oid = cl.relnamespace WHERE ns.nspname = 'registry' AND cl.relname = 'schema_migrations')";
  const cols = await c.query<{ name: string; type: string; notnull: boolean; hasdef: boolean }>(
    `SELECT attname AS name, format_type(atttypid, atttypmod) AS type, attnotnull AS notnull, atthasdef AS hasdef
       FROM pg_attribute WHERE attrelid = ${table} AND attnum > 0 AND NOT attisdropped`,
  );
  const checks = await c.query(`SELECT 1 FROM pg_constraint WHERE conrelid = ${table} AND contype = 'c'`);
  const byName = new Map(cols.rows.map((r) => [r.name, r]));
  const compatible =
    cols.rows.length > 0 &&
    Object.entries(WANTED_COLUMNS).every(([n, re]) => re.test(byName.get(n)?.type ?? '')) &&
    cols.rows.every((r) => r.name in WANTED_COLUMNS || !r.notnull || r.hasdef) &&
    checks.rows.length === 0;
  if (compatible) {
    const rec = await c.query("SELECT 1 FROM registry.schema_migrations WHERE version = '000_registry'");
    if (rec.rows.length) return undefined;
  }
  return { schemaOwner: s.rows[0]!.owner, tables: s.rows[0]!.tables ?? [], migrationsTableIncompatible: cols.rows.length > 0 && !compatible };
}

export async function inspectDatabase(c: Client, owner: string, migrations: readonly Migration[]): Promise<DatabaseState> {
  const v = await c.query<{ ok: boolean }>("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'vector') AS ok");
  let status: MigrationStatus | undefined;
  let legacy: LegacyRegistry | undefined;
  try {
    legacy = await legacyRegistry(c);
    if (!legacy) status = await migrationStatus(c, migrations);
  } catch (e) {
    // A non-superuser admin may not read the app's schema; the app connection checks again.
    if ((e as { code?: string }).code !== '42501') throw e;
  }
  return { owner, migrations: status, vectorInstalled: v.rows[0]?.ok === true, legacy };
}

/** True when `password` logs in as the app role; a wrong password is false, anything else throws. */
async function logsIn(cfg: Config, password: string, database: string): Promise<boolean> {
  try {
    await withClient({ ...appTarget(cfg, password, database), applicationName: 'mcpctl setup-db' }, async () => undefined);
    return true;
  } catch (e) {
    if (classifyPgError(e) === 'auth') return false;
    throw e;
  }
}

/** Tries candidates concurrently; every connection is closed before this returns or throws. */
async function tryAll(cfg: Config, database: string, cands: PasswordCandidate[]): Promise<void> {
  const settled = await Promise.allSettled(cands.map((c) => logsIn(cfg, c.value, database)));
  settled.forEach((s, i) => {
    if (s.status === 'fulfilled') cands[i]!.logsIn = s.value;
  });
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
}

/**
 * Which stored password logs in as the role: the configured one first; only when it fails,
 * the pending record and the password file's other entries for this host, port and user.
 */
export async function inspectPasswords(
  cfg: Config,
  loaded: LoadedConfig,
  ctx: Pick<Context, 'env' | 'home' | 'secrets' | 'libpqSocketDir'>,
  o: { roleCanLogin: boolean; loginDb: string; rotate: boolean },
): Promise<Pick<SetupState, 'stored' | 'pending' | 'others'>> {
  const key = { host: cfg.POSTGRES_HOST, port: cfg.POSTGRES_PORT, user: cfg.POSTGRES_USER };
  const r = loaded.resolved.POSTGRES_PASSWORD;
  let stored: SetupState['stored'];
  if (cfg.POSTGRES_PASSWORD && r.source && r.source.kind !== 'flag') {
    stored = { value: cfg.POSTGRES_PASSWORD, source: `POSTGRES_PASSWORD (${r.source.label})`, fromEnvironment: r.source.kind === 'environment', logsIn: undefined };
  } else if (!o.rotate) {
    const file = await passwordFromFile(ctx, { ...key, database: cfg.POSTGRES_DB });
    if (file.password) stored = { value: file.password, source: `password file ${file.path}`, fromEnvironment: false, logsIn: undefined };
  }
  const rec = await readPending(ctx, key);
  const pending = rec ? { value: rec.password, source: `pending password ${pendingPath(ctx, key)}`, path: pendingPath(ctx, key), logsIn: undefined } : undefined;
  if (!o.roleCanLogin || o.rotate) return { stored, pending, others: [] };

  if (stored) await tryAll(cfg, o.loginDb, [stored]);
  if (stored?.logsIn) return { stored, pending, others: [] };
  const others = (await otherStoredPasswords(ctx, key)).filter((c) => c.password !== stored?.value && c.password !== pending?.value).map((c) => ({ value: c.password, source: c.source, logsIn: undefined }));
  const pendingTry = pending && pending.value !== stored?.value ? [pending] : [];
  await tryAll(cfg, o.loginDb, [...pendingTry, ...others]);
  return { stored, pending, others };
}
