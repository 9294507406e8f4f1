/**
 * `setup-db --adopt` against registries made without mcpctl: the built-in tables are checked
 * (another shape is renamed aside with its rows, a missing column added), the built-in
 * migration is recorded as the baseline, nothing is dropped; an admin that may not take the
 * schema over gets a message naming who owns what, and nothing changes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { adminClient, adminQuery, dropAll, uniqueName } from '../helpers/pg.js';
import { runCli } from '../helpers/project.js';
import { psqlWithPgpass, setupProjectsPerTest, type SetupProject } from '../helpers/setup-db.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

// Registered after the clean-ups above, so run before them: a project's databases go before the roles a test made.
const newProject = setupProjectsPerTest();
async function project(): Promise<SetupProject> {
  const p = await newProject();
  expect((await runCli(['setup-db'], { cwd: p.dir, env: p.env })).code).toBe(0);
  return p;
}

/** Replaces mcpctl's registry in both databases with `sql` (run as the superuser). */
async function legacyRegistry(p: SetupProject, sql: string): Promise<void> {
  for (const db of [p.db, p.testDb]) {
    const c = await adminClient(db);
    await c.query('DROP SCHEMA registry CASCADE');
    await c.query(sql);
    await c.end();
  }
}

const q = (p: SetupProject, sql: string) => psqlWithPgpass(p, p.db, sql).then((r) => r.stdout);

describe('setup-db --adopt checks the built-in tables', () => {
  it('an old system_info (varchar key, nullable value, no updated_at) is kept with its rows and completed', async () => {
    const p = await project();
    await legacyRegistry(
      p,
      `CREATE SCHEMA registry;
       CREATE TABLE registry.system_info (key varchar(64) PRIMARY KEY, value text);
       INSERT INTO registry.system_info VALUES ('schema_version', '1.0');`,
    );
    const r = await runCli(['setup-db', '--adopt', '--json'], { cwd: p.dir, env: p.env });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).adopted).toEqual([p.db, p.testDb]);
    expect(await q(p, "SELECT value, updated_at IS NOT NULL FROM registry.system_info WHERE key = 'schema_version'")).toBe('1.0|t\n');
    expect(await q(p, "SELECT description FROM registry.schema_migrations WHERE version = '000_registry'")).toBe('registry schema (adopted)\n');
    expect(await q(p, "SELECT count(*) FROM pg_class WHERE relnamespace = 'registry'::regnamespace AND relname LIKE '%legacy%'")).toBe('0\n');
    expect((await runCli(['verify-db'], { cwd: p.dir, env: p.env })).code).toBe(0);
  });

  it('a system_info of another shape is renamed aside with its rows; the built-in one is created', async () => {
    const p = await project();
    await legacyRegistry(
      p,
      `CREATE SCHEMA registry;
       CREATE TABLE registry.system_info (id serial PRIMARY KEY, payload jsonb NOT NULL);
       INSERT INTO registry.system_info (payload) VALUES ('{"v": 1}');`,
    );
    const r = await runCli(['setup-db', '--adopt', '--debug'], { cwd: p.dir, env: p.env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('registry.system_info had another shape than the built-in table: renamed to registry.system_info_legacy (rows kept)');
    expect(await q(p, "SELECT payload->>'v' FROM registry.system_info_legacy")).toBe('1\n');
    expect(await q(p, "SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute WHERE attrelid = 'registry.system_info'::regclass AND attnum > 0")).toBe('key,value,updated_at\n');
    // The app role owns everything now, the renamed table and its sequence included.
    expect(await q(p, `SELECT count(*) FROM pg_class WHERE relnamespace = 'registry'::regnamespace AND pg_get_userbyid(relowner) <> '${p.user}'`)).toBe('0\n');
    const again = await runCli(['setup-db', '--json'], { cwd: p.dir, env: p.env });
    expect(JSON.parse(again.stdout).changed).toBe(false);
  });
});

describe('setup-db --adopt without the privilege to take the schema over', () => {
  it('names the owner and the admin, says what to run, changes nothing; as a superuser it adopts', async () => {
    const owner = uniqueName('legacy_owner');
    const admin = uniqueName('adm');
    const adminPassword = 'admin-password-0123456789abcdef';
    // Dropped after the project's databases (clean-ups run in reverse).
    cleanups.push(() => dropAll({ roles: [owner, admin] }));
    const p = await project();
    await adminQuery(`CREATE ROLE ${owner} NOLOGIN`);
    // A non-superuser admin as hosted services give: CREATEROLE CREATEDB, a member of the app role.
    await adminQuery(`CREATE ROLE ${admin} LOGIN CREATEROLE CREATEDB PASSWORD '${adminPassword}'`);
    await adminQuery(`GRANT ${p.user} TO ${admin}`);
    await legacyRegistry(
      p,
      `CREATE SCHEMA registry AUTHORIZATION ${owner};
       CREATE TABLE registry.schema_migrations (version integer PRIMARY KEY, applied_at timestamp DEFAULT now());
       INSERT INTO registry.schema_migrations (version) VALUES (1);
       ALTER TABLE registry.schema_migrations OWNER TO ${owner};`,
    );
    const env = { ...p.env, SETUP_POSTGRES_USER: admin, SETUP_POSTGRES_PASSWORD: adminPassword };
    const r = await runCli(['setup-db', '--adopt', '--json'], { cwd: p.dir, env });
    expect(r.code, r.stderr).toBe(1);
    const err = JSON.parse(r.stdout).error;
    expect(err.code).toBe('privilege');
    expect(err.message).toContain(`cannot adopt the registry schema in ${p.db}`);
    expect(err.message).toContain(`${owner} owns registry.schema_migrations, schema registry`);
    expect(err.message).toContain(`the admin role ${admin} is not a superuser nor a member of ${owner}`);
    expect(err.message).not.toContain('fix the file');
    expect(err.hint).toContain('SETUP_POSTGRES_USER set to a superuser');
    expect(err.hint).toContain(`GRANT ${owner} TO ${admin};`);
    expect(err.hint).toContain(`ALTER SCHEMA registry OWNER TO ${p.user};`);
    expect(err.hint).not.toMatch(/report it/);
    // Nothing of the registry changed.
    expect(await adminQuery("SELECT pg_get_userbyid(nspowner) AS o FROM pg_namespace WHERE nspname = 'registry'", [], p.db)).toEqual([{ o: owner }]);
    expect(await adminQuery("SELECT to_regclass('registry.schema_migrations_legacy') IS NULL AS x", [], p.db)).toEqual([{ x: true }]);
    // As the superuser, the same run adopts.
    const ok = await runCli(['setup-db', '--adopt'], { cwd: p.dir, env: p.env });
    expect(ok.code, ok.stderr).toBe(0);
    expect(await q(p, 'SELECT count(*) FROM registry.schema_migrations_legacy')).toBe('1\n');
  });
});
