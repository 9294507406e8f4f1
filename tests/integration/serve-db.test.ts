// `mcpctl serve` against a private cluster that the tests stop and start: waiting for the
// database, and /health following it.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/cluster.js';
import { privateCluster } from '../helpers/pg.js';
import { REPO_ROOT, runCli, tempProject, type TempProject } from '../helpers/project.js';
import { appRole, CHILD, getHealth, NODE, spawnServe } from './serve-helpers.js';

let project: TempProject;

beforeAll(async () => {
  project = await tempProject();
});

afterAll(async () => {
  await project?.cleanup();
});

describe('mcpctl serve (database)', () => {
  it('waits for a database that is down, then exits 1 with the last error and its hint', async () => {
    const port = await freePort();
    const env = { ...project.env, POSTGRES_HOST: '127.0.0.1', POSTGRES_PORT: String(port), POSTGRES_PASSWORD: 'a-long-enough-test-password' };
    const r = await runCli(['serve', '--wait', '2', '--', NODE, CHILD], { cwd: project.dir, env });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/waiting for PostgreSQL \(mcp_user@127\.0\.0\.1:\d+\/project_registry\): cannot connect .* connection refused; retrying for 2 s/);
    expect(r.stderr).toMatch(/error: PostgreSQL did not accept the login within 2 s \(\d+ attempts\): cannot connect to PostgreSQL at 127\.0\.0\.1:\d+: connection refused/);
    expect(r.stderr).toMatch(/hint: is the server running\?/);
    // The child never ran.
    expect(r.stderr).not.toContain('ready');
  });

  it('gives the JSON error document with --json when the database never came up', async () => {
    const port = await freePort();
    const env = { ...project.env, POSTGRES_HOST: '127.0.0.1', POSTGRES_PORT: String(port) };
    const r = await runCli(['serve', '--json', '--wait', '0', '--', NODE, CHILD], { cwd: project.dir, env });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: { code: 'refused', message: expect.stringContaining('within 0 s (1 attempt)') } });
  });

  it('starts the child once a database that was down comes up during the wait', async () => {
    const cluster = await privateCluster();
    try {
      const role = await appRole(cluster.info);
      await cluster.stop();
      const s = spawnServe(['--wait', '60', '--', NODE, CHILD, 'up'], { cwd: project.dir, env: { ...project.env, ...role.env } });
      await s.waitFor('stderr', /waiting for PostgreSQL/);
      await cluster.start();
      expect(await s.exited).toEqual({ code: 0, signal: null });
      expect(s.out.stdout).toBe('ready up\n');
      expect(s.out.stderr).toMatch(/PostgreSQL accepts .* \(after [\d.]+ s\)/);
    } finally {
      await cluster.destroy();
    }
  });

  it('answers /health: 200 while all is up, 503 once the database stops, 404 elsewhere; closed at exit', async () => {
    const cluster = await privateCluster();
    let s: ReturnType<typeof spawnServe> | undefined;
    try {
      const role = await appRole(cluster.info);
      s = spawnServe(['--health-port', '0', '--', NODE, CHILD, 'trap'], { cwd: project.dir, env: { ...project.env, ...role.env } });
      const [, url] = await s.waitFor('stderr', /health checks on (http:\/\/127\.0\.0\.1:\d+\/health)/);
      await s.waitFor('stdout', /ready/);
      const up = await getHealth(url!);
      expect(up.status).toBe(200);
      const { version } = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
      expect(up.body).toMatchObject({ status: 'ok', version, database_connected: true, server: { restarts: 0 } });
      expect(up.body.server.pid).toBeGreaterThan(1);
      expect(up.body.server.uptime_s).toBeGreaterThanOrEqual(0);
      expect((await fetch(url!.replace('/health', '/metrics'))).status).toBe(404);

      await cluster.stop();
      // The database probe is cached for a second.
      await new Promise((r) => setTimeout(r, 1100));
      const down = await getHealth(url!);
      expect(down.status).toBe(503);
      expect(down.body).toMatchObject({ status: 'degraded', database_connected: false, server: { pid: up.body.server.pid } });

      s.proc.kill('SIGTERM');
      expect((await s.exited).code).toBe(0);
      await expect(fetch(url!)).rejects.toThrow();
    } finally {
      if (s && s.proc.exitCode === null) s.proc.kill('SIGKILL');
      await cluster.destroy();
    }
  });
});
