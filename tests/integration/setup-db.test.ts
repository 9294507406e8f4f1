import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../helpers/cluster.js';
import { escapeField } from '../../src/lib/config/pgpass.js';
import { adminQuery, dropAll, harness } from '../helpers/pg.js';
import { runMain } from '../helpers/project.js';
import { envLocalPassword, gitIn, mode, psqlWithPgpass, setupProjectsPerTest, snapshot, tryLogin, type SetupProject } from '../helpers/setup-db.js';

const project = setupProjectsPerTest();

const setupDb = (p: SetupProject, args: string[] = [], env: Record<string, string> = {}) => runMain(['setup-db', ...args], { cwd: p.dir, env: { ...p.env, ...env } });

async function verifier(role: string): Promise<string | undefined> {
  const rows = await adminQuery<{ v: string | null }>('SELECT rolpassword AS v FROM pg_authid WHERE rolname = $1', [role]);
  return rows[0]?.v ?? undefined;
}

async function roleExists(role: string): Promise<boolean> {
  return (await adminQuery('SELECT 1 FROM pg_roles WHERE rolname = $1', [role])).length === 1;
}

describe('setup-db on a fresh server', () => {
  it('creates the role, both databases, the registry schema and 0600 credential files that psql itself accepts', async () => {
    const p = await project();
    const r = await setupDb(p);
    expect(r.code, r.stderr).toBe(0);

    const role = await adminQuery<{ rolcanlogin: boolean; rolcreatedb: boolean; rolsuper: boolean }>('SELECT rolcanlogin, rolcreatedb, rolsuper FROM pg_roles WHERE rolname = $1', [p.user]);
    expect(role).toEqual([{ rolcanlogin: true, rolcreatedb: true, rolsuper: false }]);
    const dbs = await adminQuery<{ datname: string; owner: string }>('SELECT datname, pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = ANY($1) ORDER BY datname', [[p.db, p.testDb]]);
    expect(dbs).toEqual([
      { datname: p.db, owner: p.user },
      { datname: p.testDb, owner: p.user },
    ]);
    expect(await verifier(p.user)).toMatch(/^SCRAM-SHA-256\$4096:/);

    const password = (await envLocalPassword(p))!;
    expect(password).toMatch(/^[A-Za-z0-9_-]{40}$/);
    expect(await mode(p.pgpass)).toBe(0o600);
    expect(await mode(path.join(p.dir, '.env.local'))).toBe(0o600);
    expect(await fs.readFile(p.pgpass, 'utf8')).toBe(`${p.host}:${p.port}:${p.db}:${p.user}:${password}\n${p.host}:${p.port}:${p.testDb}:${p.user}:${password}\n`);

    for (const db of [p.db, p.testDb]) {
      const q = await psqlWithPgpass(p, db, 'SELECT current_user, (SELECT count(*) FROM registry.schema_migrations)');
      expect(q, q.stderr).toMatchObject({ code: 0, stdout: `${p.user}|1\n` });
    }
    expect(r.stdout).toContain(`role ${p.user}: created`);
    expect(r.stdout).toContain(`stored in ${p.pgpass} and .env.local`);
    expect(r.stdout + r.stderr).not.toContain(password);
  });

  it('runs a second time without changing anything, keeping the verifier, the files and the data', async () => {
    const p = await project({ files: { 'migrations/001_items.sql': 'CREATE TABLE items (id int PRIMARY KEY, name text);\n' } });
    expect((await setupDb(p)).code).toBe(0);
    await psqlWithPgpass(p, p.db, "INSERT INTO items VALUES (1, 'keep me')");
    const before = { v: await verifier(p.user), files: await snapshot(p.dir), pgpass: await fs.stat(p.pgpass) };

    const r = await setupDb(p, ['--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ ok: true, changed: false, role: { state: 'in-place', password: 'kept' }, steps: [] });
    expect(doc.files.map((f: { action: string }) => f.action)).toEqual(['unchanged', 'unchanged']);
    expect(await verifier(p.user)).toBe(before.v);
    expect(await snapshot(p.dir)).toEqual(before.files);
    expect((await fs.stat(p.pgpass)).mtimeMs).toBe(before.pgpass.mtimeMs);
    expect((await psqlWithPgpass(p, p.db, 'SELECT name FROM items')).stdout).toBe('keep me\n');

    const human = await setupDb(p);
    expect(human.stdout).toContain('nothing changed');
  });

  it('keeps a password file’s other lines byte for byte, replaces stale entries, and keeps a hand-set password with : and \\', async () => {
    const p = await project();
    const handPassword = 'hand:set\\pass:word-0123456789';
    await adminQuery(`CREATE ROLE "${p.user}" LOGIN PASSWORD '${handPassword.replace(/'/g, "''")}'`);
    await adminQuery(`CREATE DATABASE "${p.db}"`);
    const keep = [
      '# my connections',
      'otherhost:5432:*:*:other\\:secret',
      `${p.host}:${p.port}:some_db:someone:x\\\\y`,
      '',
      '*:*:*:nobody:wild',
    ];
    const stale = `${p.host}:${p.port}:${p.testDb}:${p.user}:stale-old-password`;
    const hand = `${p.host}:${p.port}:${p.db}:${p.user}:${escapeField(handPassword)}`;
    await fs.writeFile(p.pgpass, [keep[0], keep[1], hand, keep[2], stale, keep[3], keep[4]].join('\n') + '\n', { mode: 0o600 });

    const r = await setupDb(p, ['--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.role).toMatchObject({ state: 'updated', password: 'kept' });
    expect(doc.databases).toEqual([
      { name: p.db, state: 'owner-changed' },
      { name: p.testDb, state: 'created' },
    ]);
    expect((await adminQuery<{ o: string }>('SELECT pg_get_userbyid(datdba) AS o FROM pg_database WHERE datname = $1', [p.db]))[0]!.o).toBe(p.user);
    const text = await fs.readFile(p.pgpass, 'utf8');
    const lines = text.split('\n');
    for (const k of keep) expect(lines).toContain(k);
    expect(lines).toContain(hand);
    expect(text).not.toContain('stale-old-password');
    expect(lines.filter((l) => l.includes(`:${p.user}:`))).toHaveLength(2);
    expect(await mode(p.pgpass)).toBe(0o600);
    expect(await envLocalPassword(p)).toBe(handPassword);
    for (const db of [p.db, p.testDb]) expect((await psqlWithPgpass(p, db)).stdout).toBe(`${p.user}\n`);
    // And the .env.local value (quoted, escaped) reads back as the same password.
    const again = await setupDb(p, ['--json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ changed: false, role: { password: 'kept' } });
  });

  it('--rotate-password: the old password stops working, the new one works, every file agrees', async () => {
    const p = await project();
    expect((await setupDb(p)).code).toBe(0);
    const old = (await envLocalPassword(p))!;
    const oldVerifier = await verifier(p.user);
    const r = await setupDb(p, ['--rotate-password']);
    expect(r.code, r.stderr).toBe(0);
    const now = (await envLocalPassword(p))!;
    expect(now).not.toBe(old);
    expect(await verifier(p.user)).not.toBe(oldVerifier);
    expect(await tryLogin(p, old)).toBe('28P01');
    expect(await tryLogin(p, now)).toBe(true);
    expect(await fs.readFile(p.pgpass, 'utf8')).toBe(`${p.host}:${p.port}:${p.db}:${p.user}:${now}\n${p.host}:${p.port}:${p.testDb}:${p.user}:${now}\n`);
    expect(r.stdout).toContain('rotated');
    expect(r.stdout + r.stderr).not.toContain(now);
  });

  it('a failing migration after a rotation still leaves files that match the role', async () => {
    const p = await project();
    expect((await setupDb(p)).code).toBe(0);
    await p.write('migrations/001_broken.sql', 'CREATE TABLE broken (;\n');
    const r = await setupDb(p, ['--rotate-password']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`migration ${path.join(p.dir, 'migrations', '001_broken.sql')} failed in ${p.db}: syntax error`);
    const now = (await envLocalPassword(p))!;
    expect(await tryLogin(p, now)).toBe(true);
    expect((await psqlWithPgpass(p, p.testDb)).stdout).toBe(`${p.user}\n`);
  });

  it('an example password in .env.local: exit 2 pointing at --rotate-password, which replaces it', async () => {
    const p = await project({ files: { '.env.local': '# local\nPOSTGRES_PASSWORD=changeme\nMCP_LOG_LEVEL=DEBUG\n' } });
    const bad = await setupDb(p);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/\.env\.local:2: POSTGRES_PASSWORD is an example value/);
    expect(bad.stderr).toContain('--rotate-password');
    const ok = await setupDb(p, ['--rotate-password']);
    expect(ok.code, ok.stderr).toBe(0);
    const text = await p.read('.env.local');
    expect(text).toMatch(/^# local\nPOSTGRES_PASSWORD=[A-Za-z0-9_-]{40}\nMCP_LOG_LEVEL=DEBUG\n$/);
    expect(await tryLogin(p, (await envLocalPassword(p))!)).toBe(true);
  });

  it('--dry-run prints the plan with the password redacted and changes nothing', async () => {
    const p = await project();
    const r = await setupDb(p, ['--dry-run']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`CREATE ROLE "${p.user}" LOGIN CREATEDB PASSWORD '[redacted]';`);
    expect(r.stdout).toContain(`CREATE DATABASE "${p.db}" OWNER "${p.user}";`);
    expect(r.stdout).toMatch(/create\s+.*\.pgpass/);
    expect(await roleExists(p.user)).toBe(false);
    expect(await snapshot(p.dir)).toEqual({});
    await expect(fs.stat(p.pgpass)).rejects.toMatchObject({ code: 'ENOENT' });
    const j = await setupDb(p, ['--dry-run', '--json']);
    expect(JSON.parse(j.stdout)).toMatchObject({ dryRun: true, changed: false, role: { state: 'created', password: 'generated' } });
  });

  it('uses POSTGRES_PASSWORD from the environment, and takes the admin password from the password file without copying it', async () => {
    const h = harness();
    const p = await project({ env: { POSTGRES_PASSWORD: 'ci-provided-password-0123456789' } });
    const adminLine = `${p.host}:${p.port}:postgres:${h.superuser}:${escapeField(h.superuserPassword)}`;
    await fs.writeFile(p.pgpass, adminLine + '\n', { mode: 0o600 });
    const env = { ...p.env };
    delete (env as Record<string, string | undefined>).SETUP_POSTGRES_PASSWORD;
    const r = await runMain(['setup-db', '--json'], { cwd: p.dir, env });
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.server.adminPasswordFrom).toBe(`password file ${p.pgpass}`);
    expect(doc.role.password).toBe('from-environment');
    expect(await tryLogin(p, 'ci-provided-password-0123456789')).toBe(true);
    const text = await fs.readFile(p.pgpass, 'utf8');
    expect(text.split('\n').filter((l) => l === adminLine)).toHaveLength(1);
    expect(await p.read('.env.local')).not.toContain(h.superuserPassword);
    expect(r.stdout + r.stderr).not.toContain(h.superuserPassword);
  });

  it('applies project migrations in both databases in name order, and stops on a changed one, naming it', async () => {
    const p = await project({
      files: {
        'db/002_more.sql': 'ALTER TABLE things ADD COLUMN note text;\n',
        'db/001_things.sql': 'CREATE TABLE things (id int);\n',
      },
    });
    const r = await runMain(['-C', p.dir, 'setup-db', '--migrations', 'db', '--json'], { cwd: '/', env: p.env });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).migrations).toEqual([
      { database: p.db, applied: ['000_registry', '001_things', '002_more'], pending: [] },
      { database: p.testDb, applied: ['000_registry', '001_things', '002_more'], pending: [] },
    ]);
    const rows = await adminQuery<{ version: string; checksum: string }>('SELECT version, checksum FROM registry.schema_migrations ORDER BY version', [], p.testDb);
    expect(rows.map((x) => x.version)).toEqual(['000_registry', '001_things', '002_more']);
    expect(rows[1]!.checksum).toMatch(/^[0-9a-f]{64}$/);

    await p.write('db/001_things.sql', 'CREATE TABLE things (id bigint);\n');
    const before = await snapshot(p.dir);
    const bad = await setupDb(p, ['--migrations', 'db', '--rotate-password']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(path.join(p.dir, 'db', '001_things.sql'));
    // Refused before any change: the rotation did not happen.
    expect(await snapshot(p.dir)).toEqual(before);
    expect(await tryLogin(p, (await envLocalPassword(p))!)).toBe(true);
  });

  it('adds the env files to .gitignore in a git work tree', async () => {
    const p = await project({ files: { '.gitignore': 'node_modules/' } });
    gitIn(p, ['init', '-q']);
    const r = await setupDb(p);
    expect(r.code, r.stderr).toBe(0);
    expect(await p.read('.gitignore')).toBe('node_modules/\n# env files (secrets)\n.env\n.env.local\n.env.*.local\n');
    expect(gitIn(p, ['status', '--porcelain', '--untracked-files=all'])).toBe('?? .gitignore\n');
    const again = await setupDb(p, ['--json']);
    expect(JSON.parse(again.stdout).changed).toBe(false);
  });

  it('--reset drops and recreates both databases only with the typed name', async () => {
    const p = await project();
    expect((await setupDb(p)).code).toBe(0);
    await psqlWithPgpass(p, p.db, 'CREATE TABLE t (x int); INSERT INTO t VALUES (1)');

    const stray = await setupDb(p, ['--confirm', p.db]);
    expect(stray.code).toBe(2);
    expect(stray.stderr).toContain('goes only with --reset');

    const none = await setupDb(p, ['--reset']);
    expect(none.code).toBe(3);
    expect(none.stderr).toContain(`--confirm ${p.db}`);
    const wrong = await setupDb(p, ['--reset', '--confirm', p.testDb]);
    expect(wrong.code).toBe(3);
    expect((await psqlWithPgpass(p, p.db, 'SELECT x FROM t')).stdout).toBe('1\n');

    const plan = await setupDb(p, ['--reset', '--dry-run']);
    expect(plan.stdout).toContain(`DROP DATABASE IF EXISTS "${p.db}" WITH (FORCE);`);
    expect((await psqlWithPgpass(p, p.db, 'SELECT x FROM t')).stdout).toBe('1\n');

    const ok = await setupDb(p, ['--reset', '--confirm', p.db, '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout).databases.map((d: { state: string }) => d.state)).toEqual(['recreated', 'recreated']);
    expect((await psqlWithPgpass(p, p.db, 'SELECT to_regclass($$t$$) IS NULL, count(*) FROM registry.schema_migrations')).stdout).toBe('t|1\n');
  });

  it('--with-pgvector without the extension installed: exit 1 with install hints, nothing changed', async () => {
    const p = await project();
    const r = await setupDb(p, ['--with-pgvector']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/vector.*not installed/);
    expect(r.stderr).toMatch(/apt install postgresql-\d+-pgvector/);
    expect(await roleExists(p.user)).toBe(false);
  });
});

describe('setup-db refuses bad input with nothing changed', () => {
  it('server down: exit 1, connection refused', async () => {
    const p = await project({ env: { POSTGRES_PORT: String(await freePort()) } });
    const r = await setupDb(p, ['--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error).toMatchObject({ code: 'refused' });
    expect(r.stderr).toMatch(/connection refused/);
    expect(await snapshot(p.dir)).toEqual({});
  });

  it('wrong admin password (28P01): exit 1 naming the admin role', async () => {
    const p = await project({ env: { SETUP_POSTGRES_PASSWORD: 'not-the-admin-password' } });
    const r = await setupDb(p, ['--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error).toMatchObject({ code: 'auth' });
    expect(r.stderr).toContain(`admin role "${harness().superuser}" could not log in`);
    expect(r.stdout + r.stderr).not.toContain('not-the-admin-password');
    expect(await roleExists(p.user)).toBe(false);
  });

  it('admin role without CREATEROLE/CREATEDB: exit 1 before any change', async () => {
    const p = await project();
    const weak = `${p.user}_adm`;
    await adminQuery(`CREATE ROLE "${weak}" LOGIN PASSWORD 'weak-admin-password-123'`);
    try {
      const r = await setupDb(p, [], { SETUP_POSTGRES_USER: weak, SETUP_POSTGRES_PASSWORD: 'weak-admin-password-123' });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`the admin role "${weak}" cannot create roles and databases`);
      expect(await roleExists(p.user)).toBe(false);
      expect(await snapshot(p.dir)).toEqual({});
    } finally {
      await dropAll({ roles: [weak] });
    }
  });

  it('an invalid identifier in POSTGRES_USER: exit 2, naming the key and its source', async () => {
    const p = await project({ env: { POSTGRES_USER: 'mcp-user; drop' } });
    const r = await setupDb(p);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/environment: POSTGRES_USER must match/);
    expect(await snapshot(p.dir)).toEqual({});
  });

  it('the admin role as app role: exit 2', async () => {
    const p = await project({ env: { POSTGRES_USER: harness().superuser } });
    const r = await setupDb(p);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('SETUP_POSTGRES_USER and POSTGRES_USER are both');
  });

  it('.env.local tracked by git: exit 1, no secret written, no role created', async () => {
    const p = await project({ files: { '.env.local': 'MCP_LOG_LEVEL=DEBUG\n' } });
    gitIn(p, ['init', '-q']);
    gitIn(p, ['add', '.env.local']);
    gitIn(p, ['commit', '-qm', 'oops']);
    const r = await setupDb(p);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/refusing to write the password into .*\.env\.local: git tracks it/);
    expect(await p.read('.env.local')).toBe('MCP_LOG_LEVEL=DEBUG\n');
    expect(await roleExists(p.user)).toBe(false);
    await expect(fs.stat(p.pgpass)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('an unwritable password-file folder: exit 1 before any change', async () => {
    // Tests run as root, which ignores permission bits: a folder that is really a regular
    // file (ENOTDIR) cannot take a file for anyone.
    const p = await project();
    const notAFolder = path.join(p.home, 'not-a-folder');
    await fs.writeFile(notAFolder, 'x');
    const r = await setupDb(p, [], { PGPASSFILE: path.join(notAFolder, 'pgpass') });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cannot write the password file ${path.join(notAFolder, 'pgpass')}`);
    expect(r.stderr).toContain('PGPASSFILE');
    expect(await roleExists(p.user)).toBe(false);
    expect(await snapshot(p.dir)).toEqual({});
  });
});
