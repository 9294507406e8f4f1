import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { runVerifyDb } from '../../src/core/verify-db.js';
import { loadConfig } from '../../src/lib/config/load.js';
import { freePort } from '../helpers/cluster.js';
import type { Check } from '../../src/lib/report.js';
import { adminQuery } from '../helpers/pg.js';
import { BIN, runMain } from '../helpers/project.js';
import { appFixture, scratchDatabases, type AppFixture } from './verify-db-fixture.js';

const fixtures: AppFixture[] = [];
async function fixture(o: Parameters<typeof appFixture>[0] = {}) {
  const f = await appFixture(o);
  fixtures.push(f);
  return f;
}

afterEach(async () => {
  // After every test: no scratch database of any test role remains.
  for (const f of fixtures) expect(await scratchDatabases(f.role)).toEqual([]);
  for (const f of fixtures.splice(0)) await f.cleanup();
});

async function verify(f: AppFixture, args: string[] = [], env: Record<string, string> = {}) {
  const r = await runMain(['verify-db', '--json', ...args], { cwd: f.project.dir, env: { ...f.env, ...env } });
  const doc = JSON.parse(r.stdout) as { ok: boolean; checks: Check[]; error?: { code: string; message: string; hint: string } };
  const by = (name: string) => doc.checks?.find((c) => c.name === name);
  return { ...r, doc, by };
}

const MIGRATIONS = {
  '001_projects.sql': 'CREATE TABLE registry.projects (id serial PRIMARY KEY, name text NOT NULL);\n',
  '002_index.sql': 'CREATE INDEX projects_name ON registry.projects (name);\n',
};

describe('mcpctl verify-db', () => {
  it('passes every check against a set-up database, in contract order, over JSON', async () => {
    const f = await fixture({ migrations: MIGRATIONS });
    const r = await verify(f);
    expect(r.code).toBe(0);
    expect(r.doc.ok).toBe(true);
    expect(r.doc.checks.map((c) => c.name)).toEqual(['reachable', 'version', 'auth', 'databases', 'createdb', 'dynamic-db', 'schema', 'pgvector', 'pool']);
    for (const c of r.doc.checks.filter((c) => c.name !== 'pgvector')) expect(c, c.name).toMatchObject({ status: 'pass' });
    // pgvector is absent from this machine's server (a stand-in is tested on a private install).
    expect(['warn', 'pass']).toContain(r.by('pgvector')!.status);
    expect(r.by('version')!.message).toMatch(/PostgreSQL \d+/);
    expect(r.by('schema')!.message).toContain('3 migrations applied');
    expect(r.by('schema')!.message).toContain(f.testDb);
    expect(r.by('pool')!.message).toMatch(/pool of 10 answered 50 concurrent queries correctly; p95 \d+ ms/);
    expect(r.by('auth')!.message).toContain('POSTGRES_PASSWORD (environment)');
    for (const c of r.doc.checks) expect(typeof c.ms).toBe('number');
    // auth and databases are decided by the logins that reachable times: they report that time, not 0.
    expect(r.by('auth')!.ms).toBe(r.by('reachable')!.ms);
    expect(r.by('databases')!.ms).toBe(r.by('reachable')!.ms);
    expect(r.by('reachable')!.ms).toBeGreaterThan(0);
    expect(r.stdout + r.stderr).not.toContain(f.password);
  });

  it('renders a human checklist and honours --only and --skip', async () => {
    const f = await fixture();
    const r = await runMain(['verify-db', '--only', 'reachable,auth,pool', '--skip', 'pool', '--pool-size', '3'], { cwd: f.project.dir, env: f.env });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\[✓\] reachable/);
    expect(r.stdout).toMatch(/\[✓\] auth/);
    expect(r.stdout).not.toMatch(/pool|createdb/);
    expect(r.stdout).toContain('2 passed, 0 warnings, 0 failed, 0 skipped');
  });

  it('rejects unknown check names with exit 2, listing the valid ones', async () => {
    const f = await fixture({ migrate: false });
    const r = await verify(f, ['--only', 'reachable,bogus']);
    expect(r.code).toBe(2);
    expect(r.doc.error!.message).toBe('unknown check: bogus');
    expect(r.doc.error!.hint).toContain('reachable, version, auth, databases, createdb, dynamic-db, schema, pgvector, pool');
    const s = await verify(f, ['--skip', 'reachable,version,auth,databases,createdb,dynamic-db,schema,pgvector,pool']);
    expect(s.code).toBe(2);
  });

  it('reads the password from the password file when POSTGRES_PASSWORD is not set', async () => {
    const f = await fixture();
    const { POSTGRES_PASSWORD: _, ...env } = f.env;
    await fs.writeFile(f.project.pgpass, `${env.POSTGRES_HOST}:${env.POSTGRES_PORT}:*:${f.role}:${f.password}\n`, { mode: 0o600 });
    // sslmode prefer (the default) against a server without TLS: the pool falls back as well.
    const r = await runMain(['verify-db', '--json', '--only', 'auth,databases,pool', '--pool-size', '3'], { cwd: f.project.dir, env: { ...env, POSTGRES_SSLMODE: 'prefer' } });
    const doc = JSON.parse(r.stdout) as { checks: Check[] };
    expect(r.code).toBe(0);
    expect(doc.checks[0]!.message).toContain(`password file ${f.project.pgpass}`);
    expect(doc.checks[2]!.message).toContain('a pool of 3 answered 15 concurrent queries correctly');
  });

  it('tells a wrong password apart (28P01) and skips what needs a login', async () => {
    const f = await fixture({ migrate: false });
    const wrong = 'Wrong-password-0123456789abcdef';
    const r = await verify(f, [], { POSTGRES_PASSWORD: wrong });
    expect(r.code).toBe(1);
    expect(r.by('reachable')!.status).toBe('pass');
    expect(r.by('auth')).toMatchObject({ status: 'fail' });
    expect(r.by('auth')!.message).toContain(`password authentication failed for user "${f.role}"`);
    expect(r.by('auth')!.hint).toMatch(/POSTGRES_PASSWORD/);
    for (const n of ['version', 'databases', 'createdb', 'dynamic-db', 'schema', 'pgvector', 'pool']) expect(r.by(n), n).toMatchObject({ status: 'skip', message: 'not run: auth failed' });
    expect(r.stdout + r.stderr).not.toContain(wrong);
  });

  it('says when no password is configured at all', async () => {
    const f = await fixture({ migrate: false });
    const { POSTGRES_PASSWORD: _, ...env } = f.env;
    const r = await runMain(['verify-db', '--json', '--only', 'auth'], { cwd: f.project.dir, env });
    const doc = JSON.parse(r.stdout) as { checks: Check[] };
    expect(r.code).toBe(1);
    expect(doc.checks[0]!.hint).toContain('no password is configured');
  });

  it('fails reachable on a port where nothing listens, with a start-the-server hint; the rest skip', async () => {
    const f = await fixture({ migrate: false });
    const r = await verify(f, [], { POSTGRES_PORT: String(await freePort()) });
    expect(r.code).toBe(1);
    expect(r.by('reachable')).toMatchObject({ status: 'fail' });
    expect(r.by('reachable')!.message).toContain('connection refused');
    expect(r.by('reachable')!.hint).toMatch(/is the server running/);
    expect(r.doc.checks.filter((c) => c.status === 'skip')).toHaveLength(8);
  });

  it('fails a selected check itself (not skip) when the failed prerequisite was not selected', async () => {
    const f = await fixture({ migrate: false });
    const r = await verify(f, ['--only', 'pool'], { POSTGRES_PORT: String(await freePort()) });
    expect(r.code).toBe(1);
    expect(r.doc.checks).toHaveLength(1);
    expect(r.by('pool')).toMatchObject({ status: 'fail' });
    expect(r.by('pool')!.message).toContain('connection refused');
  });

  it('tells a TLS problem apart (sslmode=require against a server without TLS)', async () => {
    const f = await fixture({ migrate: false });
    const r = await verify(f, [], { POSTGRES_SSLMODE: 'require' });
    expect(r.code).toBe(1);
    expect(r.by('reachable')).toMatchObject({ status: 'fail' });
    expect(r.by('reachable')!.message).toMatch(/^TLS problem/);
    expect(r.by('reachable')!.hint).toContain('POSTGRES_SSLMODE');
  });

  it('tells a timeout apart (a server that accepts and never answers), within --timeout', async () => {
    const f = await fixture({ migrate: false });
    const sockets: import('node:net').Socket[] = [];
    const silent: Server = createServer((s) => void sockets.push(s));
    await new Promise<void>((res) => silent.listen(0, '127.0.0.1', res));
    try {
      const port = (silent.address() as { port: number }).port;
      const r = await verify(f, ['--timeout', '300'], { POSTGRES_PORT: String(port) });
      expect(r.code).toBe(1);
      expect(r.by('reachable')!.message).toContain('timed out');
      expect(r.by('reachable')!.hint).toContain('--timeout');
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((res) => silent.close(res));
    }
  });

  it('fails databases when the test database is missing (3D000), and still runs what it can', async () => {
    const f = await fixture();
    await adminQuery(`DROP DATABASE ${f.testDb}`);
    const r = await verify(f);
    expect(r.code).toBe(1);
    expect(r.by('auth')!.status).toBe('pass');
    expect(r.by('databases')).toMatchObject({ status: 'fail' });
    expect(r.by('databases')!.message).toContain(`database "${f.testDb}" does not exist`);
    expect(r.by('databases')!.hint).toContain('mcpctl setup-db');
    // The scratch database comes from the main database instead.
    expect(r.by('createdb')!.status).toBe('pass');
    expect(r.by('dynamic-db')!.status).toBe('pass');
    expect(r.by('schema')!.status).toBe('pass');
    expect(r.by('pool')!.status).toBe('pass');
  });

  it('skips what needs the main database when it is missing', async () => {
    const f = await fixture();
    await adminQuery(`DROP DATABASE ${f.db}`);
    const r = await verify(f);
    expect(r.code).toBe(1);
    expect(r.by('databases')!.message).toContain(`database "${f.db}" does not exist`);
    expect(r.by('version')!.status).toBe('pass');
    for (const n of ['schema', 'pgvector', 'pool']) expect(r.by(n), n).toMatchObject({ status: 'skip', message: 'not run: databases failed' });
  });

  it('fails createdb for a role without CREATEDB, with the ALTER ROLE fix; dynamic-db skips', async () => {
    const f = await fixture({ createdb: false });
    const r = await verify(f);
    expect(r.code).toBe(1);
    expect(r.by('createdb')).toMatchObject({ status: 'fail', hint: `as an admin: ALTER ROLE ${f.role} CREATEDB; (or run \`mcpctl setup-db\`)` });
    expect(r.by('createdb')!.message).toContain('may not create databases');
    expect(r.by('dynamic-db')).toMatchObject({ status: 'skip', message: 'not run: createdb failed' });
    const alone = await verify(f, ['--only', 'dynamic-db']);
    expect(alone.by('dynamic-db')).toMatchObject({ status: 'fail' });
  });

  it('fails schema when the registry schema is missing', async () => {
    const f = await fixture({ migrate: false });
    const r = await verify(f, ['--only', 'schema']);
    expect(r.code).toBe(1);
    expect(r.by('schema')).toMatchObject({ status: 'fail', hint: 'run `mcpctl setup-db` to create the registry schema and apply the migrations' });
    expect(r.by('schema')!.message).toContain(`schema registry missing in ${f.db}`);
  });

  it('fails schema naming a migration file changed after it was applied, and one not applied yet', async () => {
    const f = await fixture({ migrations: MIGRATIONS });
    await f.project.write('migrations/002_index.sql', 'CREATE INDEX projects_name2 ON registry.projects (name);\n');
    const r = await verify(f, ['--only', 'schema']);
    expect(r.code).toBe(1);
    expect(r.by('schema')!.message).toContain(`changed after it was applied in ${f.db}: migrations/002_index.sql`);
    expect(r.by('schema')!.hint).toContain('new migration file');
    await f.project.write('migrations/002_index.sql', MIGRATIONS['002_index.sql']);
    await f.project.write('migrations/003_more.sql', 'SELECT 1;\n');
    const p = await verify(f, ['--only', 'schema']);
    expect(p.by('schema')).toMatchObject({ status: 'fail', message: `not applied in ${f.db}: 003_more; not applied in ${f.testDb}: 003_more` });
    // --migrations points elsewhere, as with setup-db.
    const other = await f.project.write('elsewhere/001_projects.sql', MIGRATIONS['001_projects.sql']);
    await f.project.write('elsewhere/002_index.sql', MIGRATIONS['002_index.sql']);
    const e = await verify(f, ['--only', 'schema', '--migrations', 'elsewhere']);
    expect(e.by('schema')!.status, other).toBe('pass');
  });

  it('fails a check that waits on a lock past --timeout, instead of hanging', async () => {
    const f = await fixture();
    const locker = await f.appClient();
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE registry.schema_migrations IN ACCESS EXCLUSIVE MODE');
    try {
      const r = await verify(f, ['--timeout', '1500', '--skip', 'pool']);
      expect(r.code).toBe(1);
      expect(r.by('schema')).toMatchObject({ status: 'fail' });
      expect(r.by('schema')!.message).toContain('schema did not finish within 1500 ms');
      expect(r.by('schema')!.hint).toContain('raise --timeout');
      expect(r.by('createdb')!.status).toBe('pass');
      // pgvector, next on the same connection, is not stuck behind the waiting query.
      expect(r.by('pgvector')!.message).not.toContain('did not finish');
    } finally {
      await locker.query('ROLLBACK');
    }
  });

  it('warns about applied migrations that have no file any more', async () => {
    const f = await fixture({ migrations: MIGRATIONS });
    await fs.rm(`${f.project.dir}/migrations/002_index.sql`);
    const r = await verify(f, ['--only', 'schema']);
    expect(r.code).toBe(0);
    expect(r.by('schema')).toMatchObject({ status: 'warn' });
    expect(r.by('schema')!.message).toContain('but no file: 002_index');
  });

  it('fails the pool clearly when it is larger than the role may open (CONNECTION LIMIT), without hanging', async () => {
    const f = await fixture({ connectionLimit: 4 });
    const r = await verify(f, ['--pool-size', '6']);
    expect(r.code).toBe(1);
    expect(r.by('pool')).toMatchObject({ status: 'fail' });
    expect(r.by('pool')!.message).toMatch(/a pool of 6 could not open its connections: too many connections for role/);
    expect(r.by('pool')!.hint).toContain(`ALTER ROLE ${f.role} CONNECTION LIMIT 6`);
    // The other checks were not disturbed by the pool.
    for (const n of ['createdb', 'dynamic-db', 'schema']) expect(r.by(n)!.status, n).toBe('pass');
    // A pool that fits passes, even though verify-db's own connections take slots too.
    const ok = await verify(f, ['--pool-size', '4']);
    expect(ok.by('pool')!.status).toBe('pass');
  });

  it('drops a leftover scratch database of a killed run, and leaves a live one alone', async () => {
    const f = await fixture();
    const leftover = 'mcpctl_verify_0123456789';
    const live = 'mcpctl_verify_abcdefabcd';
    await adminQuery(`CREATE DATABASE ${leftover} OWNER ${f.role}`);
    await adminQuery(`CREATE DATABASE ${live} OWNER ${f.role}`);
    // A running verify-db holds its scratch database's name as application_name.
    const holder = await f.appClient();
    await holder.query(`SET application_name = 'mcpctl verify-db ${live}'`);
    const r = await verify(f, ['--only', 'createdb']);
    expect(r.by('createdb')).toMatchObject({ status: 'pass' });
    expect(r.by('createdb')!.message).toContain(`dropped 1 leftover of an earlier run: ${leftover}`);
    expect(await scratchDatabases(f.role)).toEqual([live]);
    await holder.end();
    await adminQuery(`DROP DATABASE ${live}`);
  });

  it('drops its scratch database when interrupted right after creating it (in process)', async () => {
    const f = await fixture();
    const loaded = await loadConfig({ cwd: f.project.dir, env: f.env });
    const controller = new AbortController();
    let seen: string[] = [];
    const p = runVerifyDb(
      {
        ctx: f.project.ctx({ signal: controller.signal }),
        config: loaded.values,
        onProgress: (t) => {
          if (t.startsWith('created scratch database')) {
            seen = [t.split(' ').pop()!];
            controller.abort();
          }
        },
      },
      {},
    );
    await expect(p).rejects.toMatchObject({ name: 'InterruptedError', exitCode: 130 });
    expect(seen).toHaveLength(1);
    expect(await scratchDatabases(f.role)).toEqual([]);
  });

  it('exits 130 on SIGINT and leaves no scratch database (real process)', async () => {
    const f = await fixture();
    const child = spawn(process.execPath, [BIN, 'verify-db', '--debug', '--pool-size', '30'], { cwd: f.project.dir, env: { ...f.env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let sent = false;
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (!sent && stderr.includes('created scratch database')) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((res) => child.on('close', (c) => res(c)));
    expect(sent).toBe(true);
    expect(code).toBe(130);
    expect(stderr).toContain('interrupted');
    expect(await scratchDatabases(f.role)).toEqual([]);
  });
});
