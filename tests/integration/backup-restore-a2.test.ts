// Review A2: SQL in a backup runs as the app role, which may own other databases and can always
// change itself. A restore must change nothing outside its target database — plainly, or hidden in
// a DO block, a function called by SELECT, a trigger, a CHECK constraint or a column default fired
// during COPY, a deferred constraint trigger, or an unmodified-looking pg_dump archive — and must not
// refuse real pg_dump output of a realistic database (owners, GRANTs, comments, extensions, large objects).
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminQuery, harness, uniqueName } from '../helpers/pg.js';
import { runMain } from '../helpers/project.js';
import { describeDb, makeApp, type App } from './backup-fixtures.js';
import { needsClientTools } from '../helpers/pg-major.js';

const dump = await needsClientTools();
const exists = async (db: string) => (await adminQuery('SELECT 1 FROM pg_database WHERE datname = $1', [db])).length === 1;

/** Everything outside a database the app role could change: its password hash, settings, databases, comments. */
async function sharedState(role: string, other: string): Promise<unknown> {
  const [r] = await adminQuery<{ s: unknown }>(
    `WITH me AS (SELECT oid FROM pg_roles WHERE rolname = $1)
     SELECT json_build_object(
       'password', (SELECT rolpassword FROM pg_authid WHERE oid = (SELECT oid FROM me)),
       'rolconfig', (SELECT rolconfig FROM pg_roles WHERE oid = (SELECT oid FROM me)),
       'settings', (SELECT json_agg(json_build_object('db', setdatabase, 'cfg', setconfig) ORDER BY setdatabase) FROM pg_db_role_setting
                     WHERE setrole = (SELECT oid FROM me) OR setdatabase IN (SELECT oid FROM pg_database WHERE datdba = (SELECT oid FROM me))),
       'databases', (SELECT json_agg(json_build_object('name', datname, 'owner', datdba, 'limit', datconnlimit, 'allow', datallowconn) ORDER BY datname)
                      FROM pg_database WHERE datdba = (SELECT oid FROM me) OR datname = $2),
       'comments', (SELECT json_agg(description ORDER BY objoid) FROM pg_shdescription
                     WHERE objoid = (SELECT oid FROM me) OR objoid IN (SELECT oid FROM pg_database WHERE datdba = (SELECT oid FROM me)))
     ) AS s`,
    [role, other],
  );
  return r!.s;
}

/** A real SCRAM login with the password the project holds. */
async function logsIn(app: App): Promise<boolean> {
  const h = harness();
  const c = new pg.Client({ host: h.host, port: h.port, user: app.role, password: app.password, database: app.db });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

function pgDump(app: App, args: string[], db: string): Promise<void> {
  const h = harness();
  return new Promise<void>((res, rej) => {
    const p = spawn('pg_dump', [...args, '-h', h.host, '-p', String(h.port), '-U', app.role, db], { env: { ...process.env, PGPASSWORD: app.password }, stdio: ['ignore', 'ignore', 'inherit'] });
    p.on('exit', (c) => (c === 0 ? res() : rej(new Error(`pg_dump ${c}`))));
  });
}

/** Runs `ALTER …` (a shared-catalog write) from wherever it is hidden. */
const act = (sql: string) => `EXECUTE ${"'" + sql.replace(/'/g, "''") + "'"}`;
const fn = (name: string, sql: string, returns = 'boolean', ret = 'true') =>
  `CREATE FUNCTION public.${name}() RETURNS ${returns} LANGUAGE plpgsql AS $f$ BEGIN ${act(sql)}; RETURN ${ret}; END $f$;\n`;

describe('review A2: a restore changes nothing outside its target database', () => {
  let app: App;
  let other: string;
  let group: string;
  let before: unknown;
  beforeAll(async () => {
    app = await makeApp();
    other = `${app.db}_other`;
    await app.query(`CREATE DATABASE ${other}`);
    app.databases.push(other);
    // A group role the app role belongs to: REASSIGN OWNED can hand its databases over to it.
    group = `${app.role}_grp`;
    await adminQuery(`CREATE ROLE ${group} NOLOGIN`);
    await adminQuery(`GRANT ${group} TO ${app.role}`);
    before = await sharedState(app.role, other);
  });
  afterAll(async () => {
    await app?.cleanup();
    await adminQuery(`DROP ROLE IF EXISTS ${group}`);
  });

  const attacks = (o: string, g: string): [string, string][] => [
    ['ALTER ROLE CURRENT_USER PASSWORD', `CREATE TABLE t (a int);\nALTER ROLE CURRENT_USER PASSWORD 'owned';\n`],
    ['ALTER ROLE … SET', `ALTER ROLE CURRENT_USER SET work_mem = '7MB';\n`],
    ['ALTER ROLE … IN DATABASE … SET', `ALTER ROLE CURRENT_USER IN DATABASE ${o} SET work_mem = '7MB';\n`],
    ['ALTER DATABASE other RENAME', `ALTER DATABASE ${o} RENAME TO ${o}_x;\n`],
    ['ALTER DATABASE other OWNER', `ALTER DATABASE ${o} OWNER TO CURRENT_USER;\n`],
    ['ALTER DATABASE other SET', `ALTER DATABASE ${o} SET work_mem = '7MB';\n`],
    ['ALTER DATABASE other CONNECTION LIMIT', `ALTER DATABASE ${o} CONNECTION LIMIT 0;\n`],
    ['REASSIGN OWNED', `REASSIGN OWNED BY CURRENT_USER TO ${g};\n`],
    ['COMMENT ON DATABASE', `COMMENT ON DATABASE ${o} IS 'owned';\n`],
    ['a DO block', `DO $d$ BEGIN ${act("ALTER ROLE CURRENT_USER PASSWORD 'owned'")}; END $d$;\n`],
    ['a function called by SELECT', fn('f', `ALTER DATABASE ${o} RENAME TO ${o}_x`) + 'SELECT public.f();\n'],
    [
      'a trigger fired during COPY',
      fn('tf', "ALTER ROLE CURRENT_USER SET work_mem = '7MB'", 'trigger', 'NEW') +
        'CREATE TABLE public.t (a int);\nCREATE TRIGGER tr BEFORE INSERT ON public.t FOR EACH ROW EXECUTE FUNCTION public.tf();\nCOPY public.t (a) FROM stdin;\n1\n\\.\n',
    ],
    [
      'a CHECK constraint during COPY',
      `CREATE FUNCTION public.ok(a integer) RETURNS boolean LANGUAGE plpgsql AS $f$ BEGIN ${act(`COMMENT ON DATABASE ${o} IS 'owned'`)}; RETURN true; END $f$;\n` +
        'CREATE TABLE public.c (a integer CHECK (public.ok(a)));\nCOPY public.c (a) FROM stdin;\n1\n\\.\n',
    ],
    [
      'a column default during COPY',
      fn('d', `ALTER DATABASE ${o} OWNER TO CURRENT_USER`, 'integer', '1') + 'CREATE TABLE public.c (a integer, b integer DEFAULT public.d());\nCOPY public.c (a) FROM stdin;\n1\n\\.\n',
    ],
    [
      'a deferred constraint trigger that fires at COMMIT',
      fn('late', "ALTER ROLE CURRENT_USER PASSWORD 'owned'", 'trigger', 'NULL') +
        'CREATE TABLE public.q (a int);\nCREATE CONSTRAINT TRIGGER late AFTER INSERT ON public.q DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION public.late();\nINSERT INTO public.q VALUES (1);\n',
    ],
    [
      // Re-defers itself while mcpctl's SET CONSTRAINTS ALL IMMEDIATE runs, and acts only at COMMIT.
      'a constraint trigger that re-defers itself past the check',
      `CREATE TABLE public.q (a int);\nCREATE FUNCTION public.sly() RETURNS trigger LANGUAGE plpgsql AS $f$ BEGIN
  IF pg_catalog.current_query() ~* '^\\s*commit' THEN ${act("ALTER ROLE CURRENT_USER SET work_mem = '7MB'")};
  ELSE SET CONSTRAINTS ALL DEFERRED; INSERT INTO public.q VALUES (1); END IF; RETURN NULL; END $f$;
CREATE CONSTRAINT TRIGGER sly AFTER INSERT ON public.q DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION public.sly();\nINSERT INTO public.q VALUES (0);\n`,
    ],
  ];

  it('every attack is refused with a clear error, exit 1; the role still logs in, nothing outside changed, no target created', async () => {
    const out: string[] = [];
    let k = 0;
    for (const [name, sql] of attacks(other, group)) {
      const target = `${app.db}_a2_${k++}`;
      const file = path.join(app.project.dir, `a2_${k}.sql.gz`);
      await fs.writeFile(file, gzipSync(sql));
      const r = await runMain(['backup', 'restore', file, '--db', target], { cwd: app.project.dir, env: app.env });
      if (r.code !== 1 || !/refusing to restore: the backup (changed pg_\w+|changed a database or role outside the target|defines a deferrable constraint)/.test(r.stderr)) out.push(`${name}: exit ${r.code}\n${r.stderr}`);
      if (await exists(target)) out.push(`${name}: the target ${target} exists`);
      if (!(await logsIn(app))) out.push(`${name}: the stored password no longer logs in`);
      const now = await sharedState(app.role, other);
      if (JSON.stringify(now) !== JSON.stringify(before)) out.push(`${name}: shared state changed: ${JSON.stringify(now)}`);
      if (out.length) break;
    }
    expect(out).toEqual([]);
  }, 120_000);

  it.skipIf(dump.skip)(`an unmodified-looking pg_dump archive (custom and plain) whose CHECK function acts on restore is refused${dump.note}`, async () => {
    const src = `${app.db}_src`;
    await app.query(`CREATE DATABASE ${src}`);
    app.databases.push(src);
    await app.query(
      `CREATE FUNCTION public.ok(a integer) RETURNS boolean LANGUAGE plpgsql AS $f$ BEGIN
         IF pg_catalog.current_database() <> '${src}' THEN EXECUTE 'ALTER ROLE CURRENT_USER SET work_mem = ''7MB'''; END IF; RETURN true; END $f$;
       CREATE TABLE public.c (a integer CHECK (public.ok(a)));
       INSERT INTO public.c VALUES (1), (2);`,
      src,
    );
    const start = await sharedState(app.role, other);
    for (const [flag, name] of [['-Fc', 'src.dump'], ['-Fp', 'src.sql']] as const) {
      const file = path.join(app.project.dir, name);
      await pgDump(app, [flag, '-f', file], src);
      const target = `${app.db}_fc${flag === '-Fc' ? 'c' : 'p'}`;
      const r = await runMain(['backup', 'restore', file, '--db', target], { cwd: app.project.dir, env: app.env });
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/refusing to restore: the backup changed pg_db_role_setting/);
      expect(await exists(target)).toBe(false);
      expect(await sharedState(app.role, other)).toEqual(start);
      expect(await logsIn(app)).toBe(true);
    }
  }, 120_000);
});

describe.skipIf(dump.skip)(`review A2: real pg_dump output of a realistic database restores (no false positive)${dump.note}`, () => {
  let app: App;
  let reader: string;
  let src: string;
  beforeAll(async () => {
    app = await makeApp({ seed: true });
    reader = uniqueName('reader');
    await adminQuery(`CREATE ROLE ${reader}`);
    src = app.db;
    const ext = (await adminQuery("SELECT 1 FROM pg_available_extensions WHERE name = 'pgcrypto'")).length === 1;
    await app.query(`
      ${ext ? 'CREATE EXTENSION pgcrypto; CREATE TABLE secrets (id serial PRIMARY KEY, h bytea DEFAULT public.digest(\'x\', \'sha256\'));' : ''}
      COMMENT ON TABLE projects IS 'projects, with a ''quote''';
      COMMENT ON COLUMN items.note IS 'a note';
      CREATE SEQUENCE counter START 42; SELECT nextval('counter');
      GRANT SELECT ON projects, items TO ${reader};
      GRANT USAGE ON SCHEMA extra TO ${reader};
      ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO ${reader};
      CREATE TABLE parent (id int PRIMARY KEY);
      CREATE TABLE child (pid int REFERENCES parent DEFERRABLE INITIALLY DEFERRED);
      INSERT INTO parent VALUES (1); INSERT INTO child VALUES (1);
      CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.note := coalesce(NEW.note, 'n'); RETURN NEW; END $$;
      CREATE TRIGGER items_touch BEFORE INSERT ON items FOR EACH ROW EXECUTE FUNCTION touch();
      SELECT lo_from_bytea(0, 'large object bytes');
    `);
  }, 120_000);
  afterAll(async () => {
    await app?.cleanup();
    await adminQuery(`DROP ROLE IF EXISTS ${reader}`);
  });

  for (const [flag, name] of [['-Fp', 'full.sql'], ['-Fc', 'full.dump']] as const) {
    it(`pg_dump ${flag} with owners, GRANTs, comments, sequences, extensions and large objects: exit 0, the same database`, async () => {
      const file = path.join(app.project.dir, name);
      await pgDump(app, [flag, '-f', file], src);
      const target = `${app.db}_full${flag === '-Fc' ? 'c' : 'p'}`;
      const r = await runMain(['backup', 'restore', file, '--db', target, '--json'], { cwd: app.project.dir, env: app.env });
      expect(r.code, r.stderr).toBe(0);
      expect(await describeDb(app, target)).toEqual(await describeDb(app, src));
      const q = 'SELECT (SELECT count(*) FROM pg_largeobject_metadata)::int AS lo, (SELECT last_value FROM counter)::int AS seq, has_table_privilege($$READER$$, $$projects$$, $$SELECT$$) AS granted';
      // Archives go through `pg_restore --no-owner --no-acl` (load.ts); a plain file keeps its GRANTs.
      expect(await app.query(q.replace('READER', reader), target)).toEqual([{ lo: 1, seq: 42, granted: flag === '-Fp' }]);
    }, 120_000);
  }
});
