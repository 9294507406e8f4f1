// Fixtures for the verify-db tests: an app role with its two databases (made directly with
// admin SQL, unique names), and a private copy of the server installation whose extension
// folder a test may change without touching the machine-wide one other clusters share.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { execCapture } from '../../src/lib/process/exec.js';
import { findPgBindir } from '../helpers/cluster.js';
import { applyMigrations, loadMigrations } from '../../src/lib/pg/migrations.js';
import { adminClient, dropAll, harness, uniqueName } from '../helpers/pg.js';
import { pgEnv, tempProject, type TempProject } from '../helpers/project.js';

export interface AppFixture {
  role: string;
  password: string;
  db: string;
  testDb: string;
  project: TempProject;
  /** Environment for runMain: the app user, its password in POSTGRES_PASSWORD. */
  env: Record<string, string>;
  /** A client as the app role (closed by cleanup). */
  appClient(database?: string): Promise<pg.Client>;
  cleanup(): Promise<void>;
}

export interface FixtureOptions {
  createdb?: boolean;
  /** Apply the built-in and these migrations (file name → SQL) to both databases (default true). */
  migrate?: boolean;
  migrations?: Record<string, string>;
  connectionLimit?: number;
  info?: { host: string; port: number; superuser: string; superuserPassword: string };
}

/** An app role (LOGIN, CREATEDB, password) owning two fresh databases, as setup-db leaves them. */
export async function appFixture(o: FixtureOptions = {}): Promise<AppFixture> {
  const info = o.info ?? harness();
  const role = uniqueName('vdb');
  const db = `${role}_main`;
  const testDb = `${role}_test`;
  const password = randomBytes(24).toString('base64url');
  const admin = await adminClient('postgres', { ...harness(), ...info });
  const clients: pg.Client[] = [];
  try {
    await admin.query(
      `CREATE ROLE ${role} LOGIN ${o.createdb === false ? 'NOCREATEDB' : 'CREATEDB'} CONNECTION LIMIT ${o.connectionLimit ?? -1} PASSWORD '${password}'`,
    );
    await admin.query(`CREATE DATABASE ${db} OWNER ${role}`);
    await admin.query(`CREATE DATABASE ${testDb} OWNER ${role}`);
  } finally {
    await admin.end();
  }
  const files: Record<string, string> = {};
  for (const [name, sql] of Object.entries(o.migrations ?? {})) files[`migrations/${name}`] = sql;
  const project = await tempProject(files);
  const appClient = async (database = db) => {
    const c = new pg.Client({ host: info.host, port: info.port, user: role, password, database });
    await c.connect();
    clients.push(c);
    return c;
  };
  if (o.migrate !== false) {
    const list = await loadMigrations(path.join(project.dir, 'migrations'));
    for (const d of [db, testDb]) {
      const c = await appClient(d);
      await applyMigrations(c, list);
      await c.end();
      clients.splice(clients.indexOf(c), 1);
    }
  }
  return {
    role,
    password,
    db,
    testDb,
    project,
    env: { ...project.env, ...pgEnv(info, { POSTGRES_USER: role, POSTGRES_PASSWORD: password, POSTGRES_DB: db, POSTGRES_TEST_DB: testDb }) },
    appClient,
    cleanup: async () => {
      await Promise.all(clients.splice(0).map((c) => c.end().catch(() => undefined)));
      if (info === harness() || (info.host === harness().host && info.port === harness().port)) {
        await dropAll({ databases: [db, testDb], roles: [role] });
      }
      await project.cleanup();
    },
  };
}

/** Scratch databases (`mcpctl_verify_%`) on the cluster, optionally only those `owner` owns. */
export async function scratchDatabases(owner?: string, info?: { host: string; port: number }): Promise<string[]> {
  const h = harness();
  const c = new pg.Client({ host: info?.host ?? h.host, port: info?.port ?? h.port, user: h.superuser, password: h.superuserPassword, database: 'postgres' });
  await c.connect();
  try {
    const r = await c.query<{ datname: string }>(
      `SELECT d.datname FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba
        WHERE d.datname LIKE 'mcpctl\\_verify\\_%' AND ($1::text IS NULL OR r.rolname = $1)`,
      [owner ?? null],
    );
    return r.rows.map((x) => x.datname);
  } finally {
    await c.end();
  }
}

/**
 * A private copy of the server installation (binaries copied, everything else linked), so
 * that its own `share/extension` folder can gain a stand-in `vector` extension: PostgreSQL
 * finds its share folder relative to the postgres binary. Returns the new bin folder and
 * the private extension folder; put the bin folder first on PATH for Cluster.create.
 */
export async function privateInstall(baseDir: string): Promise<{ bindir: string; extdir: string; remove(): Promise<void> }> {
  const realBin = await findPgBindir();
  const cfg = async (flag: string) => (await execCapture(path.join(realBin, 'pg_config'), [flag], { cwd: baseDir, env: { PATH: process.env.PATH } })).stdout.trim();
  const [share, pkglib] = [await cfg('--sharedir'), await cfg('--pkglibdir')];
  // The relative layout of bin, lib and share must be kept for the relocation to work.
  const common = commonPrefix(realBin, share);
  const root = path.join(baseDir, uniqueName('pginstall'));
  const bindir = path.join(root, path.relative(common, realBin));
  const sharedir = path.join(root, path.relative(common, share));
  const libdir = path.join(root, path.relative(common, pkglib));
  await fs.mkdir(bindir, { recursive: true });
  await fs.mkdir(path.join(sharedir, 'extension'), { recursive: true });
  for (const tool of ['postgres', 'pg_ctl', 'pg_config', 'initdb']) await fs.copyFile(path.join(realBin, tool), path.join(bindir, tool));
  for (const tool of ['postgres', 'pg_ctl', 'pg_config', 'initdb']) await fs.chmod(path.join(bindir, tool), 0o755);
  if (!(await exists(libdir))) await fs.symlink(pkglib, libdir);
  for (const e of await fs.readdir(share)) if (e !== 'extension') await fs.symlink(path.join(share, e), path.join(sharedir, e));
  for (const e of await fs.readdir(path.join(share, 'extension'))) {
    // A real pgvector on this machine would defeat the "absent" case: leave it out.
    if (!/^vector[.-]/.test(e)) await fs.symlink(path.join(share, 'extension', e), path.join(sharedir, 'extension', e));
  }
  for (let d = root; ; d = path.dirname(d)) {
    await fs.chmod(d, 0o755).catch(() => undefined);
    if (d === baseDir || d === path.dirname(d)) break;
  }
  return { bindir, extdir: path.join(sharedir, 'extension'), remove: () => fs.rm(root, { recursive: true, force: true }) };
}

/** A SQL-only stand-in for pgvector: enough for pg_available_extensions and CREATE EXTENSION. */
export async function installStandInVector(extdir: string): Promise<void> {
  await fs.writeFile(path.join(extdir, 'vector.control'), "comment = 'stand-in for pgvector (mcpctl tests)'\ndefault_version = '0.0.1'\nrelocatable = true\ntrusted = true\n");
  await fs.writeFile(path.join(extdir, 'vector--0.0.1.sql'), 'CREATE FUNCTION mcpctl_vector_stand_in() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;\n');
}

function commonPrefix(a: string, b: string): string {
  const pa = a.split(path.sep);
  const pb = b.split(path.sep);
  let i = 0;
  while (i < pa.length && i < pb.length && pa[i] === pb[i]) i++;
  return pa.slice(0, i).join(path.sep) || path.sep;
}

async function exists(p: string): Promise<boolean> {
  return fs.lstat(p).then(
    () => true,
    () => false,
  );
}
