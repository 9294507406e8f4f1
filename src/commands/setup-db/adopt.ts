/**
 * `setup-db --adopt`: a registry schema made without mcpctl (the old init_registry_schema.sql,
 * run as the admin) becomes mcpctl's — like Flyway's baseline-on-migrate. Ownership moves to
 * the app role (so its migrations can use the schema); a built-in table whose shape differs
 * from the built-in migration's (schema_migrations with integer versions or a check
 * constraint, system_info without text key/value) is renamed aside with its rows; what the
 * built-in migration adds is created when missing; then the built-in migration is recorded as
 * applied. Nothing is dropped. One transaction: a failure leaves the schema as it was.
 */
import type { Client } from 'pg';
import { UserError } from '../../lib/errors.js';
import { builtinMigration } from '../../lib/migrations.js';
import { quoteIdent, withTransaction } from '../../lib/pg.js';

const ALTER_BY_KIND: Record<string, string> = { r: 'TABLE', p: 'TABLE', v: 'VIEW', m: 'MATERIALIZED VIEW', f: 'FOREIGN TABLE', S: 'SEQUENCE' };
const TEXT = /^(text|character varying.*)$/;

/** What the built-in migration needs of each table, column by column (type pattern). */
const BUILTIN_SHAPE: Record<string, Record<string, RegExp>> = {
  schema_migrations: { version: TEXT, description: TEXT, checksum: TEXT, applied_at: /^timestamp/ },
  system_info: { key: TEXT, value: TEXT },
};

/** The tables adoption renamed aside (old name → new name), for the result and messages. */
export interface AdoptOutcome {
  renamed: { from: string; to: string }[];
}

export async function adoptRegistry(c: Client, role: string, database: string): Promise<AdoptOutcome> {
  const qRole = quoteIdent(role);
  const builtin = builtinMigration();
  const renamed: AdoptOutcome['renamed'] = [];
  try {
    await withTransaction(c, async () => {
      await c.query(`ALTER SCHEMA registry OWNER TO ${qRole}`);
      // Sequences owned by a column follow their table; the others are moved one by one.
      const rels = await c.query<{ relname: string; relkind: string }>(
        `SELECT relname, relkind FROM pg_class cl
          WHERE relnamespace = 'registry'::regnamespace AND relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
            AND NOT (relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = cl.oid AND d.deptype IN ('a', 'i')))
            AND NOT relispartition`,
      );
      for (const r of rels.rows) await c.query(`ALTER ${ALTER_BY_KIND[r.relkind]} registry.${quoteIdent(r.relname)} OWNER TO ${qRole}`);
      for (const [table, shape] of Object.entries(BUILTIN_SHAPE)) {
        if (await fits(c, table, shape)) continue;
        let aside = `${table}_legacy`;
        for (let i = 2; (await c.query('SELECT to_regclass($1) IS NOT NULL AS x', [`registry.${aside}`])).rows[0]!.x; i++) aside = `${table}_legacy_${i}`;
        await c.query(`ALTER TABLE registry.${quoteIdent(table)} RENAME TO ${quoteIdent(aside)}`);
        renamed.push({ from: `registry.${table}`, to: `registry.${aside}` });
      }
      await c.query(builtin.sql);
      // The old system_info had no updated_at: added (its rows kept), so the table is the built-in one.
      await c.query('ALTER TABLE registry.system_info ADD COLUMN IF NOT EXISTS updated_at timestamptz NOT NULL DEFAULT now()');
      for (const t of ['system_info', 'schema_migrations']) await c.query(`ALTER TABLE registry.${t} OWNER TO ${qRole}`);
      await c.query('INSERT INTO registry.schema_migrations (version, description, checksum) SELECT $1, $2, $3 WHERE NOT EXISTS (SELECT 1 FROM registry.schema_migrations WHERE version = $1)', [
        builtin.version,
        `${builtin.description} (adopted)`,
        builtin.checksum,
      ]);
    });
  } catch (e) {
    if ((e as { code?: string }).code === '42501') throw await permissionError(c, e, role, database);
    throw e;
  }
  return { renamed };
}

/** True when registry.`table` is missing (the built-in migration creates it) or has the columns it needs. */
async function fits(c: Client, table: string, shape: Record<string, RegExp>): Promise<boolean> {
  const cols = await c.query<{ name: string; type: string; notnull: boolean; hasdef: boolean }>(
    `SELECT attname AS name, format_type(atttypid, atttypmod) AS type, attnotnull AS notnull, atthasdef AS hasdef
       FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped`,
    [`registry.${table}`],
  );
  if (!cols.rows.length) return true;
  const byName = new Map(cols.rows.map((r) => [r.name, r]));
  const checks = await c.query("SELECT 1 FROM pg_constraint WHERE conrelid = to_regclass($1) AND contype = 'c'", [`registry.${table}`]);
  return (
    Object.entries(shape).every(([n, re]) => re.test(byName.get(n)?.type ?? '')) &&
    // A column mcpctl does not fill must be fillable without it.
    cols.rows.every((r) => r.name in shape || r.name === 'updated_at' || !r.notnull || r.hasdef) &&
    checks.rows.length === 0
  );
}

/**
 * The admin may not take the registry over: say who owns what, which roles the admin would have
 * to be a member of, and the ways out (run as that owner or a superuser, or have the owner hand
 * it over) — never "fix the file".
 */
async function permissionError(c: Client, e: unknown, role: string, database: string): Promise<UserError> {
  const facts = await c
    .query<{ admin: string; owner: string; member: boolean; objects: string[] }>(
      `SELECT current_user AS admin, o.owner, pg_has_role(current_user, o.owner, 'MEMBER') AS member, array_agg(o.what ORDER BY o.what) AS objects
         FROM (SELECT pg_get_userbyid(nspowner) AS owner, 'schema registry' AS what FROM pg_namespace WHERE nspname = 'registry'
               UNION ALL
               SELECT pg_get_userbyid(cl.relowner), 'registry.' || cl.relname FROM pg_class cl JOIN pg_namespace ns ON ns.oid = cl.relnamespace
                WHERE ns.nspname = 'registry' AND cl.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')) o
        WHERE o.owner <> $1 GROUP BY o.owner ORDER BY o.owner`,
      [role],
    )
    .then((r) => r.rows)
    .catch(() => []);
  const me = await c
    .query<{ admin: string; member: boolean }>("SELECT current_user AS admin, pg_has_role(current_user, $1, 'MEMBER') AS member", [role])
    .then((r) => r.rows[0])
    .catch(() => undefined);
  const admin = me?.admin ?? 'the admin role';
  // The roles the admin would have to be a member of: every owner of a registry object, and the app role.
  const missing = [...facts.filter((f) => !f.member).map((f) => f.owner), ...(me && !me.member ? [role] : [])];
  const owners = facts.map((f) => f.owner);
  const owned = facts.map((f) => `${f.owner} owns ${f.objects.join(', ')}`).join('; ');
  const statements = [`ALTER SCHEMA registry OWNER TO ${role};`, ...facts.flatMap((f) => f.objects.filter((o) => o !== 'schema registry').map((o) => `ALTER TABLE ${o} OWNER TO ${role};`))];
  const ways = [
    `run \`mcpctl setup-db --adopt\` again with SETUP_POSTGRES_USER set to a superuser`,
    ...(missing.length ? [`as a superuser: ${missing.map((m) => `GRANT ${m} TO ${admin};`).join(' ')} then run it again`] : []),
    ...(owners.length ? [`have ${owners.join(' / ')} run in ${database}: ${statements.join(' ')}`] : []),
  ];
  return new UserError(
    `cannot adopt the registry schema in ${database}: ${(e as Error).message}${owned ? ` (${owned})` : ''}; the admin role ${admin} is not a superuser${missing.length ? ` nor a member of ${missing.join(', ')}` : ''}, so it cannot hand the schema to ${role}; nothing of the registry was changed`,
    {
      code: 'privilege',
      hint: ways.join('; or '),
      details: { database, admin, owners: facts.map((f) => ({ role: f.owner, objects: f.objects, adminIsMember: f.member })), adminMemberOfAppRole: me?.member },
      cause: e,
    },
  );
}
