/**
 * `setup-db --adopt`: a registry schema made without mcpctl (the old init_registry_schema.sql,
 * run as the admin) becomes mcpctl's — like Flyway's baseline-on-migrate. Ownership moves to
 * the app role (so its migrations can use the schema), an incompatible schema_migrations table
 * is renamed aside with its rows, what the built-in migration adds is created when missing,
 * and the built-in migration is recorded as applied. Nothing is dropped. One transaction.
 */
import type { Client } from 'pg';
import { builtinMigration } from '../../lib/migrations.js';
import { quoteIdent, withTransaction } from '../../lib/pg.js';

const ALTER_BY_KIND: Record<string, string> = { r: 'TABLE', p: 'TABLE', v: 'VIEW', m: 'MATERIALIZED VIEW', f: 'FOREIGN TABLE', S: 'SEQUENCE' };

export async function adoptRegistry(c: Client, role: string): Promise<void> {
  const qRole = quoteIdent(role);
  const builtin = builtinMigration();
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
    const cols = await c.query<{ name: string }>("SELECT attname AS name FROM pg_attribute WHERE attrelid = to_regclass('registry.schema_migrations') AND attnum > 0 AND NOT attisdropped");
    const names = new Set(cols.rows.map((r) => r.name));
    const checks = await c.query("SELECT 1 FROM pg_constraint WHERE conrelid = to_regclass('registry.schema_migrations') AND contype = 'c'");
    const compatible = ['version', 'description', 'checksum', 'applied_at'].every((n) => names.has(n)) && checks.rows.length === 0;
    if (names.size && !compatible) {
      let aside = 'schema_migrations_legacy';
      for (let i = 2; (await c.query('SELECT to_regclass($1) IS NOT NULL AS x', [`registry.${aside}`])).rows[0]!.x; i++) aside = `schema_migrations_legacy_${i}`;
      await c.query(`ALTER TABLE registry.schema_migrations RENAME TO ${quoteIdent(aside)}`);
    }
    await c.query(builtin.sql);
    for (const t of ['system_info', 'schema_migrations']) await c.query(`ALTER TABLE registry.${t} OWNER TO ${qRole}`);
    await c.query('INSERT INTO registry.schema_migrations (version, description, checksum) SELECT $1, $2, $3 WHERE NOT EXISTS (SELECT 1 FROM registry.schema_migrations WHERE version = $1)', [
      builtin.version,
      `${builtin.description} (adopted)`,
      builtin.checksum,
    ]);
  });
}
