// `mcpctl serve` as a real process against the shared cluster: environment, signals, process
// groups, restarts and stdio pass-through.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempProject, type TempProject } from '../helpers/project.js';
import { alive, appRole, CHILD, getHealth, groupMembers, NODE, spawnServe } from './serve-helpers.js';

let project: TempProject;
let role: Awaited<ReturnType<typeof appRole>>;
let env: Record<string, string>;

beforeAll(async () => {
  role = await appRole();
  project = await tempProject();
  env = { ...project.env, ...role.env };
});

afterAll(async () => {
  await role?.drop();
  await project?.cleanup();
});

describe('mcpctl serve (processes)', () => {
  it('gives the child the configuration in its environment, and the password in no argv', async () => {
    await project.write('.env', 'MCP_LOG_LEVEL=DEBUG\nMCP_SERVER_PORT=9123\n');
    try {
      const r = await runCli(['serve', '--', NODE, CHILD, 'env'], { cwd: project.dir, env: { ...env, SETUP_POSTGRES_PASSWORD: 'admin-secret-value-123' } });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const doc = JSON.parse(r.stdout) as { env: Record<string, string>; passwordInArgv: string[] };
      expect(doc.env).toMatchObject({
        POSTGRES_HOST: role.env.POSTGRES_HOST,
        POSTGRES_PORT: role.env.POSTGRES_PORT,
        POSTGRES_USER: role.user,
        POSTGRES_DB: role.db,
        POSTGRES_PASSWORD: role.password,
        POSTGRES_SSLMODE: 'disable',
        POSTGRES_TEST_DB: 'test_workflow_mcp',
        MCP_LOG_LEVEL: 'DEBUG',
        MCP_SERVER_PORT: '9123',
        MCP_SERVER_COMMAND: 'python -m workflow_mcp.server',
        MAX_ACTIVE_PROJECTS: '50',
      });
      // The admin credential is not the server's business.
      expect(doc.env.SETUP_POSTGRES_PASSWORD).toBeUndefined();
      // Checked by the child while mcpctl and it were both running.
      expect(doc.passwordInArgv).toEqual([]);
    } finally {
      await fs.rm(path.join(project.dir, '.env'));
    }
  });

  it('runs the same through the full CLI (commander) as through the fast path: environment, stderr, exit code', async () => {
    // Words before `--` are left to commander by the fast path (serve-fast.ts); with `--` it is the fast path.
    const fast = await runCli(['serve', '--', NODE, CHILD, 'env'], { cwd: project.dir, env });
    const full = await runCli(['serve', NODE, CHILD, 'env'], { cwd: project.dir, env });
    expect({ code: full.code, stderr: full.stderr }).toEqual({ code: 0, stderr: '' });
    expect({ code: fast.code, stderr: fast.stderr }).toEqual({ code: 0, stderr: '' });
    const envOf = (r: { stdout: string }) => (JSON.parse(r.stdout) as { env: Record<string, string> }).env;
    expect(envOf(full)).toEqual(envOf(fast));
    // A refused login is reported alike by both (exit 1, the same message and hint).
    const wrong = { ...env, POSTGRES_PASSWORD: 'not-the-password-0123456789' };
    const [a, b] = await Promise.all([runCli(['serve', '--wait', '0', '--', NODE, CHILD, 'env'], { cwd: project.dir, env: wrong }), runCli(['serve', '--wait', '0', NODE, CHILD, 'env'], { cwd: project.dir, env: wrong })]);
    expect(a.code).toBe(1);
    expect(a.stdout).toBe('');
    expect(a.stderr).toMatch(/password authentication failed|login refused|authentication/i);
    expect(a.stderr).not.toContain('not-the-password-0123456789');
    expect({ code: b.code, stdout: b.stdout, stderr: b.stderr }).toEqual({ code: a.code, stdout: a.stdout, stderr: a.stderr });
  });

  it('passes stdin and stdout of a stdio MCP server through untouched', async () => {
    const request = JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/list' }) + '\n';
    const r = await runCli(['serve', '--', NODE, CHILD, 'jsonrpc'], { cwd: project.dir, env, input: request });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(JSON.stringify({ jsonrpc: '2.0', id: 7, result: { echo: 'tools/list' } }) + '\n');
  });

  it('forwards SIGTERM; a child that cleans up and exits 0 makes mcpctl exit 0', async () => {
    const s = spawnServe(['--', NODE, CHILD, 'trap'], { cwd: project.dir, env });
    await s.waitFor('stdout', /ready/);
    s.proc.kill('SIGTERM');
    expect(await s.exited).toEqual({ code: 0, signal: null });
    expect(s.out.stdout).toBe('ready\ncleanup done\n');
    expect(s.out.stderr).toMatch(/SIGTERM forwarded to the server/);
  });

  it('kills a child that ignores SIGTERM after the grace period (exit 128+9)', async () => {
    const s = spawnServe(['--grace', '1', '--', NODE, CHILD, 'ignore'], { cwd: project.dir, env });
    await s.waitFor('stdout', /ready/);
    s.proc.kill('SIGTERM');
    await s.waitFor('stdout', /ignoring SIGTERM/);
    expect((await s.exited).code).toBe(137);
    expect(s.out.stderr).toMatch(/did not stop within 1 s: killed/);
  });

  it('kills the child at a second SIGINT without waiting for the grace period', async () => {
    const s = spawnServe(['--grace', '60', '--', NODE, CHILD, 'ignore'], { cwd: project.dir, env });
    await s.waitFor('stdout', /ready/);
    s.proc.kill('SIGINT');
    await s.waitFor('stdout', /ignoring SIGINT/);
    s.proc.kill('SIGINT');
    expect((await s.exited).code).toBe(137);
    expect(s.out.stderr).toMatch(/SIGINT again: killing the server/);
  });

  it('leaves no process of the tree behind, grandchildren included', async () => {
    const s = spawnServe(['--grace', '1', '--', NODE, CHILD, 'grandchild'], { cwd: project.dir, env });
    const m = await s.waitFor('stdout', /ready (\d+) (\d+)/);
    const [child, grandchild] = [Number(m[1]), Number(m[2])];
    expect(alive(grandchild)).toBe(true);
    // The child leads its own group, and its child is in it.
    expect(groupMembers(child).sort()).toEqual([child, grandchild].sort());
    s.proc.kill('SIGTERM');
    // The child exits 0 at once; the grandchild ignores SIGTERM and needs the SIGKILL.
    expect((await s.exited).code).toBe(0);
    expect(alive(child)).toBe(false);
    expect(alive(grandchild)).toBe(false);
    expect(groupMembers(child)).toEqual([]);
  });

  it('restarts a crashing child with growing delays and gives up after 5 crashes', async () => {
    const log = path.join(project.dir, 'starts.log');
    const r = await runCli(['serve', '--restart', 'on-failure', '--restart-delay', '100', '--', NODE, CHILD, 'crash', '3'], {
      cwd: project.dir,
      env: { ...env, SERVE_CHILD_LOG: log },
    });
    expect(r.code).toBe(3);
    const delays = [...r.stderr.matchAll(/restarting the server in ([\d.]+) s \(restart (\d); it exited with code 3\)/g)].map((x) => Number(x[1]));
    expect(delays).toEqual([0.1, 0.2, 0.4, 0.8]);
    expect(r.stderr).toMatch(/crashed 5 times within 60 s; giving up/);
    const starts = (await fs.readFile(log, 'utf8')).trim().split('\n').map((l) => Number(l.split(' ')[0]));
    expect(starts).toHaveLength(5);
    // Each restart came no sooner than its delay.
    starts.slice(1).forEach((t, i) => expect(t - starts[i]!).toBeGreaterThanOrEqual(delays[i]! * 1000));
  });

  it('answers /health with 503 while a crashed child waits for its restart, and stops the restart on SIGTERM', async () => {
    const s = spawnServe(['--health-port', '0', '--restart', 'on-failure', '--restart-delay', '5000', '--', NODE, CHILD, 'crash', '4'], { cwd: project.dir, env });
    const [, url] = await s.waitFor('stderr', /health checks on (\S+)/);
    await s.waitFor('stderr', /restarting the server in 5 s/);
    const h = await getHealth(url!);
    expect(h.status).toBe(503);
    expect(h.body).toMatchObject({ status: 'down', database_connected: true, server: { pid: null, uptime_s: null, restarts: 0 } });
    s.proc.kill('SIGTERM');
    expect((await s.exited).code).toBe(143);
    expect(s.out.stderr).toMatch(/SIGTERM: not restarting the server/);
    await expect(fetch(url!)).rejects.toThrow();
  });
});
