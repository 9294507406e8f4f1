/**
 * Issue 11's reproductions, each against the real throwaway cluster with the CLI as a child
 * process (so that a hang is a failure: runCli's timeout would end it): stale passwords, a
 * second project on the same role, subfolders, adoption, COMMIT in a migration.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, promises as fs, rmdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseDotenv } from '../../src/lib/config/dotenv.js';
import { readPending, writePending } from '../../src/lib/config/credentials.js';
import { escapeField } from '../../src/lib/config/pgpass.js';
import { adminClient, adminQuery, dropAll } from '../helpers/pg.js';
import { BIN, runCli } from '../helpers/project.js';
import { needsClientTools } from '../helpers/pg-major.js';
import { envLocalPassword, psqlWithPgpass, setupProjectsPerTest, tryLogin, type SetupProject } from '../helpers/setup-db.js';

const roles: string[] = [];
// Registered first, so run last (after hooks run in reverse): the projects' databases are gone by then.
afterEach(() => dropAll({ roles: roles.splice(0) }));
const newProject = setupProjectsPerTest();
async function project(opts: Parameters<typeof newProject>[0] = {}): Promise<SetupProject> {
  const p = await newProject(opts);
  // The default sslmode (prefer) against a server without TLS: the plain retry path.
  delete (p.env as Record<string, string | undefined>).POSTGRES_SSLMODE;
  return p;
}

/** Root that may mount a tmpfs (not so in an unprivileged container): the ENOSPC test needs it. */
function canMountTmpfs(): boolean {
  if (process.getuid?.() !== 0) return false;
  const d = mkdtempSync(path.join(os.tmpdir(), 'mcpctl-tmpfs-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', d], { stdio: 'ignore' });
    execFileSync('umount', [d], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    rmdirSync(d);
  }
}

/** The CLI as a child; `ms` proves it ended by itself (runCli kills it after 30 s). */
async function cli(p: SetupProject, args: string[], o: { env?: Record<string, string>; cwd?: string } = {}) {
  const t0 = Date.now();
  const r = await runCli(args, { cwd: o.cwd ?? p.dir, env: { ...p.env, ...o.env }, timeoutMs: 30_000 });
  return { ...r, ms: Date.now() - t0 };
}

async function alterPassword(role: string, password: string) {
  const c = await adminClient();
  try {
    await c.query(`ALTER ROLE "${role}" PASSWORD '${password}'`);
  } finally {
    await c.end();
  }
}

/** Backups need a pg_dump that can dump the test server; the reason goes into the test's name otherwise. */
const dump = await needsClientTools();

describe('1. a stored password that no longer logs in', () => {
  it('with no other stored password: exit 3 naming --rotate-password and the databases the role owns — no internal error, no hang', async () => {
    const p = await project();
    expect((await cli(p, ['setup-db'])).code).toBe(0);
    await alterPassword(p.user, 'someone-else-changed-it-0123456789');
    await fs.writeFile(p.pgpass, '', { mode: 0o600 });
    for (let i = 0; i < 3; i++) {
      const r = await cli(p, ['setup-db', '--json']);
      expect(r.code, r.stderr).toBe(3);
      expect(r.ms).toBeLessThan(20_000);
      const doc = JSON.parse(r.stdout);
      expect(doc.error.code).toBe('refused');
      expect(doc.error.message).toContain(`the role "${p.user}" already exists and none of the stored passwords logs in`);
      expect(doc.error.message).toContain(`it owns ${p.db}, ${p.testDb}`);
      expect(doc.error.hint).toContain('--rotate-password');
      expect(doc.error.hint).not.toContain('report it');
    }
    const dry = await cli(p, ['setup-db', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('A real run would refuse (exit 3)');
    // Nothing was rotated silently.
    expect(await tryLogin(p, 'someone-else-changed-it-0123456789')).toBe(true);
    // backup with the wrong password: a login error, not "internal".
    const b = await cli(p, ['backup', '--json']);
    expect(b.code).toBe(1);
    expect(JSON.parse(b.stdout).error.code).toBe('auth');
    expect(b.stderr).not.toContain('internal');
  });

  it('with the right password in another password-file entry (any database): it is reused and the files are repaired', async () => {
    const p = await project();
    expect((await cli(p, ['setup-db'])).code).toBe(0);
    const right = 'the-current-password-0123456789abc';
    await alterPassword(p.user, right);
    await fs.appendFile(p.pgpass, `*:${p.port}:elsewhere_db:${p.user}:${escapeField(right)}\n`);
    const r = await cli(p, ['setup-db', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).role).toMatchObject({ password: 'reused' });
    expect(await envLocalPassword(p)).toBe(right);
    expect((await psqlWithPgpass(p, p.db)).stdout).toBe(`${p.user}\n`);
    expect((await cli(p, ['verify-db'])).code).toBe(0);
  });
});

describe('2. a second project on the same server and role', () => {
  it('B reuses the role’s password from the shared password file; A keeps working; one password for the role', async () => {
    const a = await project();
    const b = await project();
    // Same HOME/password file, same role, other databases.
    Object.assign(b.env, { HOME: a.home, PGPASSFILE: a.pgpass, POSTGRES_USER: a.user });
    expect((await cli(a, ['setup-db'])).code).toBe(0);
    const r = await cli(b, ['setup-db', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).role).toMatchObject({ state: 'in-place', password: 'reused' });
    expect((await cli(a, ['verify-db'])).code).toBe(0);
    expect((await cli(b, ['verify-db'])).code).toBe(0);
    const passwords = new Set((await fs.readFile(a.pgpass, 'utf8')).split('\n').filter(Boolean).map((l) => l.split(':')[4]));
    expect(passwords.size).toBe(1);
    await dropAll({ databases: [b.db, b.testDb] });
  });
});

describe('4. run from a subfolder', () => {
  // Backups need a pg_dump that can dump the test server (PG_MAJOR=17 with Debian's pg_dump 15 cannot).
  it.skipIf(dump.skip)(`backup from a subfolder: default --dir is the project's, a typed one the start folder's${dump.note}`, async () => {
    const p = await project({ files: { '.env': 'MCP_LOG_LEVEL=INFO\n', 'src/pkg/mod.py': '', 'migrations/001_t.sql': 'CREATE TABLE t (x int);\n' } });
    await fs.mkdir(path.join(p.dir, '.git'));
    expect((await cli(p, ['setup-db'])).code).toBe(0);
    const sub = path.join(p.dir, 'src', 'pkg');
    const b = await cli(p, ['backup', '--json'], { cwd: sub });
    expect(b.code, b.stderr).toBe(0);
    expect(path.dirname(JSON.parse(b.stdout).backups[0].path)).toBe(path.join(p.dir, 'backups'));
    const typed = await cli(p, ['backup', '--dir', 'here', '--json'], { cwd: sub });
    expect(path.dirname(JSON.parse(typed.stdout).backups[0].path)).toBe(path.join(sub, 'here'));
  });

  it('acts on the project root; from a folder with no project it warns and uses defaults', async () => {
    const p = await project({ files: { '.env': 'MCP_LOG_LEVEL=INFO\n', 'src/pkg/mod.py': '', 'migrations/001_t.sql': 'CREATE TABLE t (x int);\n' } });
    await fs.mkdir(path.join(p.dir, '.git'));
    expect((await cli(p, ['setup-db'])).code).toBe(0);
    const sub = path.join(p.dir, 'src', 'pkg');
    // Default paths (migrations/, backups/) are the project's; typed ones are the start folder's.
    const v = await cli(p, ['verify-db', '--json'], { cwd: sub });
    expect(v.code, v.stderr).toBe(0);
    expect(JSON.parse(v.stdout).checks.find((c: { name: string }) => c.name === 'schema')).toMatchObject({ status: 'pass' });
    const dry = await cli(p, ['setup-db', '--dry-run', '--json'], { cwd: sub });
    expect(JSON.parse(dry.stdout)).toMatchObject({ project: p.dir, steps: [] });
    await expect(fs.stat(path.join(sub, '.env.local'))).rejects.toMatchObject({ code: 'ENOENT' });
    const explain = await cli(p, ['verify-env', '--explain'], { cwd: sub });
    expect(explain.stdout + explain.stderr).toContain(`project folder: ${p.dir}`);
    // No marker up to the work tree's root: a warning, and the folder itself.
    const empty = path.join(p.home, 'elsewhere');
    await fs.mkdir(empty);
    const none = await cli(p, ['verify-db', '--json'], { cwd: empty });
    expect(none.stderr).toContain('no project found');
  });
});

describe('6. a registry made by the old scripts', () => {
  it('--dry-run says what it found; a plain run refuses (exit 3) naming --adopt; --adopt takes it over and verify-db passes', async () => {
    const p = await project();
    // The old flow: the role and databases, then the registry created as the admin.
    expect((await cli(p, ['setup-db'])).code).toBe(0);
    for (const db of [p.db, p.testDb]) {
      const c = await adminClient(db);
      await c.query('DROP SCHEMA registry CASCADE');
      await c.query(`CREATE SCHEMA registry;
        CREATE TABLE registry.system_info (key varchar(64) PRIMARY KEY, value text);
        CREATE TABLE registry.schema_migrations (version integer PRIMARY KEY CHECK (version > 0), applied_at timestamp DEFAULT now());
        INSERT INTO registry.schema_migrations (version) VALUES (1);
        CREATE TABLE registry.projects (id serial PRIMARY KEY, name text NOT NULL CHECK (name <> ''));
        INSERT INTO registry.projects (name) VALUES ('kept');`);
      await c.end();
    }
    await p.write('migrations/001_more.sql', 'ALTER TABLE registry.projects ADD COLUMN note text;\n');
    const dry = await cli(p, ['setup-db', '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(`database ${p.db} holds a registry schema that mcpctl did not record`);
    expect(dry.stdout).toContain('--adopt');
    const plain = await cli(p, ['setup-db']);
    expect(plain.code).toBe(3);
    expect(plain.stderr).toContain('--adopt');
    expect(plain.stderr).not.toContain('fix the file');
    const adopt = await cli(p, ['setup-db', '--adopt']);
    expect(adopt.code, adopt.stderr).toBe(0);
    expect(adopt.stdout).toContain('adopted');
    expect((await psqlWithPgpass(p, p.db, 'SELECT name, note IS NULL FROM registry.projects')).stdout).toBe('kept|t\n');
    expect((await psqlWithPgpass(p, p.db, 'SELECT count(*) FROM registry.schema_migrations_legacy')).stdout).toBe('1\n');
    expect((await cli(p, ['verify-db'])).code).toBe(0);
    const again = await cli(p, ['setup-db', '--json']);
    expect(JSON.parse(again.stdout).changed).toBe(false);
  });
});

describe('7. a migration that commits by itself', () => {
  it('is refused before anything runs, naming file and line; nothing of it stays; the fixed file applies', async () => {
    const p = await project();
    await p.write('migrations/001_half.sql', 'CREATE TABLE half_a (x int);\nCOMMIT;\nCREATE TABLE half_b (x int);\nSELECT 1/0;\n');
    const r = await cli(p, ['setup-db']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${path.join(p.dir, 'migrations', '001_half.sql')}:2: COMMIT`);
    expect(r.stderr).not.toContain('rolled back');
    const c = await adminClient();
    expect((await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [p.db])).rows).toHaveLength(0);
    expect((await c.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [p.user])).rows).toHaveLength(0);
    await c.end();
    await p.write('migrations/001_half.sql', 'CREATE TABLE half_a (x int);\nCREATE TABLE half_b (x int);\n');
    expect((await cli(p, ['setup-db'])).code).toBe(0);
    expect((await psqlWithPgpass(p, p.db, 'SELECT count(*) FROM half_a')).stdout).toBe('0\n');
  });
});

describe('3. interrupted after the password step, and a full disk', () => {
  it('Ctrl-C during a slow migration of --rotate-password: exit 130, the files hold the new password, the message says what changed', async () => {
    const p = await project({ files: { 'migrations/001_a.sql': 'CREATE TABLE a (x int);\n' } });
    expect((await cli(p, ['setup-db'])).code).toBe(0);
    const old = (await envLocalPassword(p))!;
    await p.write('migrations/002_slow.sql', 'SELECT pg_sleep(8);\nCREATE TABLE slow_done (x int);\n');
    const child = spawn(process.execPath, [BIN, 'setup-db', '--rotate-password'], { cwd: p.dir, env: { CI: 'true', ...p.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    // The observed event, as in the issue: the slow migration is running on the server (a row
    // in pg_stat_activity) — by then the role's password has changed.
    let running = false;
    for (let i = 0; i < 400 && !running && child.exitCode === null; i++) {
      running = (await adminQuery("SELECT 1 FROM pg_stat_activity WHERE usename = $1 AND state = 'active' AND query LIKE '%pg_sleep(8)%'", [p.user])).length > 0;
      if (!running) await new Promise((r) => setTimeout(r, 25));
    }
    expect(running, stderr).toBe(true);
    child.kill('SIGINT');
    const code = await exited;
    expect(code, stderr).toBe(130);
    // Not locked out: both credential files log in, with the new password.
    const now = (await envLocalPassword(p))!;
    expect(await tryLogin(p, now), stderr).toBe(true);
    expect((await psqlWithPgpass(p, p.db)).stdout).toBe(`${p.user}\n`);
    expect(now).not.toBe(old);
    // Either between migrations or cancelling the running one: said as what it was.
    expect(stderr).toMatch(/interrupted (before migration 002_slow|during: apply 002_slow.*its transaction was rolled back)/);
    expect(stderr).toContain(`set the password of ${p.user}`);
    expect(stderr).toContain('write the credential files');
    expect(stderr).not.toContain('the files were not touched');
  });

  it('a run killed after the role changed is finished by the next plain run from the pending record', async () => {
    const p = await project();
    expect((await cli(p, ['setup-db'])).code).toBe(0);
    // What a kill -9 right after ALTER ROLE leaves: the pending record holds the role's password.
    const next = 'pending-password-0123456789abcdefgh';
    await writePending(p.ctx(), { host: p.host, port: p.port, user: p.user, password: next, createdAt: new Date().toISOString() });
    await alterPassword(p.user, next);
    const r = await cli(p, ['setup-db', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).role.password).toBe('recovered');
    expect(await envLocalPassword(p)).toBe(next);
    expect((await psqlWithPgpass(p, p.testDb)).stdout).toBe(`${p.user}\n`);
    expect(await readPending(p.ctx(), { host: p.host, port: p.port, user: p.user })).toBeUndefined();
  });

  it.skipIf(!canMountTmpfs())('ENOSPC (the project on a full tmpfs; needs root allowed to mount, skipped otherwise): --rotate-password changes nothing and says so; with space it works', async () => {
    const p = await project();
    expect((await cli(p, ['setup-db'])).code).toBe(0);
    const old = (await envLocalPassword(p))!;
    const pgpassBefore = await fs.readFile(p.pgpass, 'utf8');
    // Move the project onto a tiny tmpfs and fill it.
    const mnt = `${p.dir}-full`;
    await fs.mkdir(mnt);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt]);
    try {
      await fs.writeFile(path.join(mnt, '.env.local'), await p.read('.env.local'), { mode: 0o600 });
      await fs.writeFile(path.join(mnt, 'filler'), Buffer.alloc(48 * 1024));
      await fs.writeFile(path.join(mnt, 'filler2'), Buffer.alloc(16 * 1024)).catch(() => undefined);
      // The last bytes, so that not even a small file fits.
      for (let i = 0; ; i++) if (!(await fs.writeFile(path.join(mnt, `f${i}`), Buffer.alloc(512)).then(() => true, () => false))) break;
      const r = await cli(p, ['setup-db', '--rotate-password'], { cwd: mnt });
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain('ENOSPC');
      expect(r.stderr).toContain("the role's password was not changed and no credential file was touched");
      expect(r.stderr).not.toContain('internal');
      expect(await tryLogin(p, old)).toBe(true);
      expect(await fs.readFile(p.pgpass, 'utf8')).toBe(pgpassBefore);
      expect(await readPending(p.ctx(), { host: p.host, port: p.port, user: p.user })).toBeUndefined();
      for (const n of await fs.readdir(mnt)) if (n.startsWith('f')) await fs.rm(path.join(mnt, n));
      const ok = await cli(p, ['setup-db', '--rotate-password'], { cwd: mnt });
      expect(ok.code, ok.stderr).toBe(0);
      const now = parseDotenv(await fs.readFile(path.join(mnt, '.env.local'), 'utf8')).entries.find((e) => e.key === 'POSTGRES_PASSWORD')!.value;
      expect(await tryLogin(p, now)).toBe(true);
      expect((await psqlWithPgpass(p, p.db)).stdout).toBe(`${p.user}\n`);
    } finally {
      execFileSync('umount', [mnt]);
    }
  });
});
