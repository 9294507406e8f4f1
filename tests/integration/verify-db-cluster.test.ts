// verify-db against private clusters: a server with few connections that is then stopped,
// and a private copy of the installation whose extension folder gains a stand-in pgvector
// (the machine-wide extension folder, shared by every cluster here, is never touched).
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from '../helpers/cluster.js';
import type { Check } from '../../src/lib/report.js';
import { adminClient, harness, privateCluster, uniqueName } from '../helpers/pg.js';
import { runMain } from '../helpers/project.js';
import { appFixture, installStandInVector, privateInstall, scratchDatabases, type AppFixture } from './verify-db-fixture.js';

async function verify(f: AppFixture, args: string[] = []) {
  const r = await runMain(['verify-db', '--json', ...args], { cwd: f.project.dir, env: f.env });
  const doc = JSON.parse(r.stdout) as { ok: boolean; checks: Check[] };
  return { ...r, doc, by: (n: string) => doc.checks.find((c) => c.name === n)! };
}

describe('verify-db on a small server that then stops', () => {
  it('fails a pool larger than max_connections allows, then reachable once the server is stopped', async () => {
    const cluster = await privateCluster({ max_connections: 8, superuser_reserved_connections: 3 });
    const info = { ...harness(), host: cluster.info.host, port: cluster.info.port };
    const f = await appFixture({ info });
    try {
      const r = await verify(f, ['--pool-size', '10']);
      expect(r.code).toBe(1);
      expect(r.by('pool')).toMatchObject({ status: 'fail' });
      expect(r.by('pool').message).toMatch(/a pool of 10 could not open its connections: (sorry, too many clients already|remaining connection slots are reserved)/);
      expect(r.by('pool').hint).toContain('the server allows 5 (max_connections 8, 3 reserved)');
      for (const n of ['reachable', 'version', 'auth', 'databases', 'createdb', 'dynamic-db', 'schema']) expect(r.by(n).status, n).toBe('pass');
      expect(await scratchDatabases(undefined, info)).toEqual([]);

      await cluster.stop();
      const down = await verify(f);
      expect(down.code).toBe(1);
      expect(down.by('reachable')).toMatchObject({ status: 'fail' });
      expect(down.by('reachable').message).toContain('connection refused');
      expect(down.doc.checks.slice(1).every((c) => c.status === 'skip' && c.message === 'not run: reachable failed')).toBe(true);
    } finally {
      await f.cleanup();
      await cluster.destroy();
    }
  });
});

// A private installation is copied from the server binaries with their pg_config; the npm builds
// (PG_MAJOR runs) have none, so this part is skipped there.
describe.runIf(existsSync(path.join(harness().binDir, 'pg_config')))('verify-db pgvector (private installation; skipped where the server binaries have no pg_config)', () => {
  let install: Awaited<ReturnType<typeof privateInstall>>;
  let cluster: Cluster;
  let f: AppFixture;
  let info: ReturnType<typeof harness>;

  beforeAll(async () => {
    const h = harness();
    install = await privateInstall(h.baseDir);
    cluster = await Cluster.create({
      baseDir: path.join(h.baseDir, uniqueName('vec')),
      superuserPassword: h.superuserPassword,
      templateDataDir: h.templateDataDir,
      env: { ...process.env, PATH: `${install.bindir}:${process.env.PATH}` },
    });
    await cluster.start();
    info = { ...h, host: cluster.info.host, port: cluster.info.port };
    f = await appFixture({ info });
  });

  afterAll(async () => {
    await f?.cleanup();
    await cluster?.destroy();
    await install?.remove();
  });

  it('warns when pgvector is absent, and fails with --require-pgvector', async () => {
    const r = await verify(f, ['--only', 'pgvector']);
    expect(r.code).toBe(0);
    expect(r.by('pgvector')).toMatchObject({ status: 'warn', message: 'pgvector is not installed on the server (no "vector" in pg_available_extensions)' });
    expect(r.by('pgvector').hint).toContain('setup-db --with-pgvector');
    const req = await verify(f, ['--only', 'pgvector', '--require-pgvector']);
    expect(req.code).toBe(1);
    expect(req.by('pgvector').status).toBe('fail');
  });

  it('passes when vector is available and creatable, without leaving it created', async () => {
    await installStandInVector(install.extdir);
    const r = await verify(f, ['--require-pgvector']);
    expect(r.code).toBe(0);
    expect(r.by('pgvector')).toMatchObject({ status: 'pass', message: `vector 0.0.1 is available and can be created in ${f.db} (setup-db --with-pgvector creates it)` });
    const c = await adminClient(f.db, info);
    try {
      expect((await c.query("SELECT 1 FROM pg_extension WHERE extname = 'vector'")).rowCount).toBe(0);
      await c.query('CREATE EXTENSION vector');
    } finally {
      await c.end();
    }
    const created = await verify(f, ['--only', 'pgvector']);
    expect(created.by('pgvector')).toMatchObject({ status: 'pass', message: `vector 0.0.1 is created in ${f.db}` });
    // The machine-wide extension folder was not touched.
    await expect(fs.access('/usr/share/postgresql/15/extension/vector--0.0.1.sql')).rejects.toThrow();
  });

  it('warns when vector is available but the app user may not create it', async () => {
    await fs.writeFile(path.join(install.extdir, 'vector.control'), "default_version = '0.0.1'\nrelocatable = true\ntrusted = false\n");
    const c = await adminClient(f.db, info);
    await c.query('DROP EXTENSION IF EXISTS vector');
    await c.end();
    const r = await verify(f, ['--only', 'pgvector']);
    expect(r.by('pgvector').status).toBe('warn');
    expect(r.by('pgvector').message).toContain('the app user may not create it');
  });
});
