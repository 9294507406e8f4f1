import { promises as fs } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { readSuperuserPassword } from '../../src/lib/local-cluster.js';
import { freePort } from '../helpers/cluster.js';
import { freshHome, type FreshHome } from '../helpers/local-db.js';
import { clientToolsCover } from '../helpers/pg-major.js';
import { harness } from '../helpers/pg.js';
import { installStandInVector, privateInstall } from './verify-db-fixture.js';
import { existsSync } from 'node:fs';

const homes: FreshHome[] = [];
afterEach(async () => {
  for (const h of homes.splice(0)) await h.cleanup();
});

/** A project folder inside a fresh HOME, whose cluster is started on a free port first (the default port may be taken by another run). */
async function setup(files: Record<string, string> = {}, env: Record<string, string> = {}) {
  const h = await freshHome({ env });
  homes.push(h);
  const started = await h.db(['db', 'start', '--port', String(await freePort())]);
  expect(started.code, started.stderr).toBe(0);
  const project = async (name: string, f: Record<string, string> = files) => {
    const dir = path.join(h.home, name);
    await fs.mkdir(dir);
    for (const [rel, content] of Object.entries(f)) await fs.writeFile(path.join(dir, rel), content);
    return { dir, run: (args: string[]) => h.db(['-C', dir, ...args]) };
  };
  return { h, project };
}

const dotenv = (text: string) => Object.fromEntries(text.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));

describe('setup-db --local', () => {
  it('sets a project up on the local cluster with its superuser; verify-db and backup --verify pass; a second run changes nothing', async () => {
    const { h, project } = await setup();
    const p = await project('app', { '.env': 'POSTGRES_HOST=localhost\nPOSTGRES_PORT=5432\n' });
    const r = await p.run(['setup-db', '--local', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    const port = JSON.parse((await h.db(['db', 'status', '--json'])).stdout).port as number;
    expect(doc.server).toMatchObject({ host: '127.0.0.1', port, admin: 'postgres' });
    // The superuser's password came from the cluster, not a prompt; it is in no output.
    expect(r.stdout + r.stderr).not.toContain(readSuperuserPassword(h.layout)!);
    const env = dotenv(await fs.readFile(path.join(p.dir, '.env.local'), 'utf8'));
    expect(env).toMatchObject({ POSTGRES_HOST: '127.0.0.1', POSTGRES_PORT: String(port) });
    expect(env.POSTGRES_PASSWORD!.length).toBeGreaterThanOrEqual(32);
    expect((await fs.stat(path.join(p.dir, '.env.local'))).mode & 0o777).toBe(0o600);

    const verify = await p.run(['verify-db', '--json']);
    expect(verify.code, verify.stdout).toBe(0);
    expect(JSON.parse(verify.stdout).checks.filter((c: { status: string }) => c.status === 'fail')).toEqual([]);

    const again = await p.run(['setup-db', '--local', '--json']);
    expect(JSON.parse(again.stdout).changed).toBe(false);

    const cover = await clientToolsCover(Number.parseInt(JSON.parse((await h.db(['db', 'status', '--json'])).stdout).version));
    if (!cover.ok) return console.warn(`skipped backup --verify: ${cover.reason}`);
    const backup = await p.run(['backup', '--verify', '--json']);
    expect(backup.code, backup.stderr + backup.stdout).toBe(0);
  });

  it('two projects share the cluster, each with its own role and databases', async () => {
    const { h, project } = await setup();
    const a = await project('a', { '.env': 'POSTGRES_USER=app_a\nPOSTGRES_DB=a_db\nPOSTGRES_TEST_DB=a_test\n' });
    const b = await project('b', { '.env': 'POSTGRES_USER=app_b\nPOSTGRES_DB=b_db\nPOSTGRES_TEST_DB=b_test\n' });
    for (const p of [a, b]) expect((await p.run(['setup-db', '--local'])).code).toBe(0);
    for (const p of [a, b]) expect((await p.run(['verify-db', '--skip', 'pool'])).code).toBe(0);
    const port = JSON.parse((await h.db(['db', 'status', '--json'])).stdout).port as number;
    const c = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password: readSuperuserPassword(h.layout), database: 'postgres' });
    await c.connect();
    const owners = (await c.query("SELECT datname, pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname LIKE '%\\_db' OR datname LIKE '%\\_test' ORDER BY 1")).rows;
    await c.end();
    expect(owners).toEqual([
      { datname: 'a_db', owner: 'app_a' },
      { datname: 'a_test', owner: 'app_a' },
      { datname: 'b_db', owner: 'app_b' },
      { datname: 'b_test', owner: 'app_b' },
    ]);
    // Each project's password is its own: a's password does not log in as b.
    const envA = dotenv(await fs.readFile(path.join(a.dir, '.env.local'), 'utf8'));
    const wrong = new pg.Client({ host: '127.0.0.1', port, user: 'app_b', password: envA.POSTGRES_PASSWORD, database: 'b_db' });
    await expect(wrong.connect()).rejects.toMatchObject({ code: '28P01' });
  });

  it('starts a stopped cluster itself; --download without --local is a usage error', async () => {
    const { h, project } = await setup();
    await h.db(['db', 'stop']);
    const p = await project('app');
    const r = await p.run(['setup-db', '--local']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('local cluster started on 127.0.0.1:');
    const bad = await p.run(['setup-db', '--download']);
    expect(bad.code).toBe(2);
  });
});

describe.runIf(existsSync(path.join(harness().binDir, 'pg_config')))('setup-db --local --with-pgvector (skipped where the server binaries have no pg_config)', () => {
  it('works when the binaries\' extension folder has vector.control, and otherwise says how to get it for that installation', async () => {
    const inst = await privateInstall(harness().baseDir);
    try {
      const { h, project } = await setup({}, { MCPCTL_PG_BIN: inst.bindir });
      const p = await project('app');
      const missing = await p.run(['setup-db', '--local', '--with-pgvector']);
      expect(missing.code).toBe(1);
      // A private installation: the hint builds pgvector with that installation's own pg_config.
      expect(missing.stderr).toContain(`PG_CONFIG=${path.join(inst.bindir, 'pg_config')}`);
      await installStandInVector(inst.extdir);
      const ok = await p.run(['setup-db', '--local', '--with-pgvector', '--json']);
      expect(ok.code, ok.stderr).toBe(0);
      expect(JSON.parse(ok.stdout).extensions.map((e: { name: string; database: string }) => e.name)).toEqual(['vector', 'vector']);
      void h;
    } finally {
      for (const h of homes.splice(0)) await h.cleanup();
      await inst.remove();
    }
  });
});
