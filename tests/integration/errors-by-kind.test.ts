/**
 * Issue 11, reproductions 5, 8 and 9: login failures told apart (with the server's own
 * message under --debug), "report it" only for bugs, and destructive defaults that refuse.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runSetupDb } from '../../src/commands/setup-db/run.js';
import { runVerifyDb } from '../../src/commands/verify-db/run.js';
import { loadConfig } from '../../src/lib/config/load.js';
import { RefusedError } from '../../src/lib/cli/errors.js';
import { connect, PgConnectError } from '../../src/lib/pg/client.js';
import type { Cluster } from '../helpers/cluster.js';
import { adminClient, dropAll, harness, privateCluster, uniqueName } from '../helpers/pg.js';
import { pgEnv, runCli } from '../helpers/project.js';
import { setupDbDeps, setupProject, type SetupProject } from '../helpers/setup-db.js';
import { appFixture, type AppFixture } from './verify-db-fixture.js';
import { SecretRegistry } from '../../src/lib/cli/redact.js';
import { libpqSocketDirProbe } from '../../src/lib/process/libpq-socket.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
async function project(opts: Parameters<typeof setupProject>[0] = {}): Promise<SetupProject> {
  const p = await setupProject(opts);
  cleanups.push(async () => {
    await dropAll({ databases: [p.db, p.testDb], roles: [p.user] });
    await p.cleanup();
  });
  return p;
}

/** A private cluster whose pg_hba.conf starts with `lines` (then scram for everything). */
async function clusterWithHba(lines: string[]): Promise<Cluster> {
  const c = await privateCluster();
  cleanups.push(() => c.destroy());
  const hba = path.join(c.info.dataDir, 'pg_hba.conf');
  await fs.writeFile(hba, [...lines, 'local all all scram-sha-256', 'host all all 127.0.0.1/32 scram-sha-256', ''].join('\n'));
  const a = await adminClient('postgres', { ...harness(), host: c.info.host, port: c.info.port });
  await a.query('SELECT pg_reload_conf()');
  await a.end();
  return c;
}

describe('5. login failures are told apart', () => {
  it('a missing role on a trust server is "does not exist", not a wrong password; the server message shows with --debug; serve --wait stops at once', async () => {
    const c = await clusterWithHba(['host all all 127.0.0.1/32 trust']);
    const env = { ...pgEnv(c.info, { POSTGRES_USER: 'nobody_here', POSTGRES_PASSWORD: 'x'.repeat(20), POSTGRES_DB: 'postgres', POSTGRES_TEST_DB: 'postgres' }), PATH: process.env.PATH!, HOME: '/nonexistent' };
    const dir = path.dirname(c.info.dataDir);
    const r = await runCli(['verify-db', '--json', '--only', 'reachable,auth'], { cwd: dir, env });
    const doc = JSON.parse(r.stdout);
    const auth = doc.checks.find((x: { name: string }) => x.name === 'auth');
    expect(auth.message).toContain('the role "nobody_here" does not exist');
    expect(auth.message).not.toContain('password authentication failed');
    const e = await connect({ host: c.info.host, port: c.info.port, user: 'nobody_here', database: 'postgres', sslmode: 'prefer' }).catch((x) => x);
    expect(e).toBeInstanceOf(PgConnectError);
    expect(e).toMatchObject({ kind: 'no-role', permanent: true });
    expect(e.serverMessage).toContain('role "nobody_here" does not exist');
    // serve --wait: a missing role is permanent, the wait ends at once.
    const t0 = Date.now();
    const s = await runCli(['serve', '--wait', '30', '--', 'true'], { cwd: dir, env, timeoutMs: 30_000 });
    expect(s.code, s.stderr).toBe(1);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(s.stderr).toContain('the role "nobody_here" does not exist');
  });

  it('pg_hba rejection, wrong password and refused are distinct kinds; serve --wait stops at once on a wrong password and on pg_hba', async () => {
    const c = await clusterWithHba(['host all hba_blocked 127.0.0.1/32 reject']);
    const t = { host: c.info.host, port: c.info.port, database: 'postgres', sslmode: 'prefer' as const };
    const a = await adminClient('postgres', { ...harness(), host: c.info.host, port: c.info.port });
    await a.query("CREATE ROLE hba_blocked LOGIN PASSWORD 'blocked-password-0123456789'");
    await a.end();
    await expect(connect({ ...t, user: 'hba_blocked', password: 'blocked-password-0123456789' })).rejects.toMatchObject({ kind: 'pg_hba' });
    await expect(connect({ ...t, user: harness().superuser, password: 'wrong-password-0123456789' })).rejects.toMatchObject({ kind: 'auth', sqlState: '28P01' });
    await expect(connect({ ...t, port: 1, user: 'x' })).rejects.toMatchObject({ kind: 'refused' });

    const env = { ...pgEnv(c.info, { POSTGRES_USER: harness().superuser, POSTGRES_PASSWORD: 'wrong-password-0123456789' }), PATH: process.env.PATH!, HOME: '/nonexistent' };
    const t0 = Date.now();
    const s = await runCli(['serve', '--wait', '30', '--debug', '--', 'true'], { cwd: path.dirname(c.info.dataDir), env });
    expect(s.code).toBe(1);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(s.stderr).toContain('password authentication failed');
    expect(s.stderr).toContain('debug: server said:');
    expect(s.stderr).not.toContain('report it');
    // …and on a pg_hba refusal.
    const t1 = Date.now();
    const h = await runCli(['serve', '--wait', '30', '--', 'true'], {
      cwd: path.dirname(c.info.dataDir),
      env: { ...env, POSTGRES_USER: 'hba_blocked', POSTGRES_PASSWORD: 'blocked-password-0123456789' },
      timeoutMs: 30_000,
    });
    expect(h.code, h.stderr).toBe(1);
    expect(Date.now() - t1).toBeLessThan(10_000);
    expect(h.stderr).toContain('no pg_hba.conf entry');
  });

  it('TLS required but unavailable, an unknown host and a missing database are distinct kinds with their own hints', async () => {
    const h = harness();
    const t = { host: h.host, port: h.port, user: h.superuser, password: h.superuserPassword, database: 'postgres', timeoutMs: 5000 };
    // The test server has no TLS: require cannot be met; prefer falls back to plain TCP.
    const tls = await connect({ ...t, sslmode: 'require' }).catch((x) => x);
    expect(tls).toMatchObject({ kind: 'tls', permanent: false });
    expect(tls.message).toContain('the server does not support TLS, and POSTGRES_SSLMODE=require requires it');
    expect(tls.hint).toContain('POSTGRES_SSLMODE');
    await (await connect({ ...t, sslmode: 'prefer' })).end();
    const host = await connect({ ...t, host: 'no-such-host.invalid', sslmode: 'disable' }).catch((x) => x);
    expect(host).toMatchObject({ kind: 'no-host' });
    expect(host.message).toContain('host no-such-host.invalid cannot be resolved');
    const db = await connect({ ...t, database: 'no_such_db_here', sslmode: 'disable' }).catch((x) => x);
    expect(db).toMatchObject({ kind: 'no-database', sqlState: '3D000', permanent: false });
    expect(db.hint).toContain('mcpctl setup-db');
  });

  it('a wrong SETUP_POSTGRES_PASSWORD gets a hint that does not tell you to set it', async () => {
    const p = await project({ env: { SETUP_POSTGRES_PASSWORD: 'not-the-admin-password-0123' } });
    const r = await runCli(['setup-db', '--debug'], { cwd: p.dir, env: p.env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('SETUP_POSTGRES_PASSWORD is set but is not');
    expect(r.stderr).not.toContain('set SETUP_POSTGRES_PASSWORD in the environment');
    expect(r.stderr).toContain('debug: server said: password authentication failed');
    expect(r.stderr).not.toContain('report it');
  });
});

describe('8. "report it" only for bugs', () => {
  it('a wrong typed confirmation, and a refusal, end without "report it"', async () => {
    const p = await project();
    expect((await runCli(['setup-db'], { cwd: p.dir, env: p.env })).code).toBe(0);
    const wrong = await runCli(['setup-db', '--reset', '--confirm', 'nope'], { cwd: p.dir, env: p.env });
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).not.toMatch(/report it|--debug for details/);
    const none = await runCli(['setup-db', '--reset'], { cwd: p.dir, env: p.env });
    expect(none.code).toBe(3);
    expect(none.stderr).toContain('--confirm');
    expect(none.stderr).not.toMatch(/report it/);
  });

  it('a TypeError inside a check is not a failed check: runVerifyDb rejects with it (the CLI makes it an internal error)', async () => {
    const f: AppFixture = await appFixture();
    cleanups.push(() => f.cleanup());
    const loaded = await loadConfig({ cwd: f.project.dir, env: f.env });
    const bug = new TypeError('x is not a function');
    const run = runVerifyDb(
      {
        ctx: { cwd: f.project.dir, env: f.env, home: f.project.home, signal: new AbortController().signal, secrets: new SecretRegistry(), libpqSocketDir: libpqSocketDirProbe(f.env) },
        config: loaded,
        events: ({ text: t }) => {
          if (t === 'creating a scratch database') throw bug;
        },
      },
      { only: 'createdb' },
    );
    await expect(run).rejects.toBe(bug);
  });
});

describe('9. destructive defaults refuse', () => {
  it('runSetupDb with --reset and nobody to confirm it refuses (exit 3) and drops nothing', async () => {
    const p = await project();
    expect((await runCli(['setup-db'], { cwd: p.dir, env: p.env })).code).toBe(0);
    const a = await adminClient(p.db);
    await a.query('CREATE TABLE keep_me (x int)');
    await a.end();
    await expect(runSetupDb(await setupDbDeps(p), { reset: true })).rejects.toBeInstanceOf(RefusedError);
    const b = await adminClient(p.db);
    expect((await b.query("SELECT to_regclass('keep_me') IS NOT NULL AS x")).rows[0].x).toBe(true);
    await b.end();
    expect(uniqueName).toBeDefined();
  });
});
