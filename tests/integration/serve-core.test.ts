// The serve core in-process (real children, real cluster): signals through the injected hook,
// ctx.signal, restarts, the health endpoint, and errors before the child starts.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/lib/config/load.js';
import { freePort } from '../helpers/cluster.js';
import { InterruptedError, UserError } from '../../src/lib/errors.js';
import { runServe, type ForwardedSignal, type ServeEvent } from '../../src/core/serve.js';
import { scaledPolicy } from '../../src/lib/restart-policy.js';
import { runMain, tempProject, type TempProject } from '../helpers/project.js';
import { appRole, getHealth, NODE } from './serve-helpers.js';

let project: TempProject;
let role: Awaited<ReturnType<typeof appRole>>;
let env: Record<string, string>;

// Quiet children (the in-process child inherits the test runner's stdout) that create the file
// named by $READY once their handlers are installed.
const READY = "require('fs').writeFileSync(process.env.READY,'');setInterval(()=>{},1000)";
const TRAP = "process.on('SIGTERM',()=>process.exit(0));process.on('SIGHUP',()=>process.exit(0));" + READY;
const STUBBORN = "process.on('SIGTERM',()=>{});" + READY;

/** Resolves once the child created its ready file. */
async function ready(file: string): Promise<void> {
  while (!existsSync(file)) await new Promise((r) => setTimeout(r, 20));
}

beforeAll(async () => {
  role = await appRole();
  project = await tempProject();
  env = { ...project.env, ...role.env };
});

afterAll(async () => {
  await role?.drop();
  await project?.cleanup();
});

/** runServe with a signal hook the test can fire, and the events it emitted. */
async function serve(opts: Parameters<typeof runServe>[1], over: { env?: Record<string, string>; signal?: AbortSignal; onEvent?: (e: ServeEvent, fire: (s: ForwardedSignal) => void, whenReady: () => Promise<void>) => void } = {}) {
  const readyFile = path.join(project.dir, `ready-${Math.random().toString(36).slice(2)}`);
  const e = { ...(over.env ?? env), READY: readyFile };
  const config = (await loadConfig({ cwd: project.dir, env: e })).values;
  const events: ServeEvent[] = [];
  let handler: ((s: ForwardedSignal) => void) | undefined;
  let unsubscribed = false;
  let started = false;
  // Once a child runs, the signal waits until the child can handle it.
  const fire = (s: ForwardedSignal) => (started ? void ready(readyFile).then(() => handler?.(s)) : handler?.(s));
  const result = await runServe(
    {
      ctx: project.ctx({ env: e, ...(over.signal ? { signal: over.signal } : {}) }),
      config,
      onSignal: (h) => {
        handler = h;
        return () => void (unsubscribed = true);
      },
      onEvent: (ev) => {
        if (ev.type === 'started') started = true;
        events.push(ev);
        over.onEvent?.(ev, fire, () => ready(readyFile));
      },
    },
    opts,
  );
  expect(unsubscribed).toBe(true);
  return { result, events };
}

describe('runServe', () => {
  it('forwards SIGTERM from the hook and returns the child status', async () => {
    const { result, events } = await serve({ command: [NODE, '-e', TRAP] }, { onEvent: (e, fire) => e.type === 'started' && fire('SIGTERM') });
    expect(result).toMatchObject({ exitCode: 0, reason: 'stopped', restarts: 0 });
    expect(events.map((e) => e.type)).toEqual(['db-ready', 'started', 'signal', 'exited']);
    expect(events[2]).toMatchObject({ type: 'signal', signal: 'SIGTERM', action: 'forwarded' });
  });

  it('passes SIGHUP on without stopping: a child that exits 0 on it ends the run as a normal exit', async () => {
    const { result } = await serve({ command: [NODE, '-e', TRAP], restart: 'on-failure' }, { onEvent: (e, fire) => e.type === 'started' && fire('SIGHUP') });
    expect(result).toMatchObject({ exitCode: 0, reason: 'exited' });
  });

  it('stops the child when ctx.signal aborts, and SIGKILLs it after the grace period', async () => {
    const ac = new AbortController();
    const { result } = await serve({ command: [NODE, '-e', STUBBORN], graceSeconds: 0 }, { signal: ac.signal, onEvent: (e, _fire, whenReady) => e.type === 'started' && void whenReady().then(() => ac.abort(new Error('SIGTERM'))) });
    expect(result.exitCode).toBe(137);
    expect(result.lastExit).toMatchObject({ signal: 'SIGKILL', killedAfterGrace: true });
  });

  it('restarts a crashing child and gives up after the limit, counting restarts', async () => {
    const { result, events } = await serve({ command: [NODE, '-e', 'process.exit(5)'], restart: 'on-failure', restartPolicy: scaledPolicy(20) });
    expect(result).toMatchObject({ exitCode: 5, reason: 'gave-up', restarts: 4 });
    expect(events.filter((e) => e.type === 'restarting').map((e) => (e as { delayMs: number }).delayMs)).toEqual([20, 40, 80, 160]);
    expect(events.at(-1)).toMatchObject({ type: 'gave-up', crashes: 5 });
  });

  it('does not restart a child that exited 0', async () => {
    const { result } = await serve({ command: [NODE, '-e', '0'], restart: 'on-failure' });
    expect(result).toMatchObject({ exitCode: 0, reason: 'exited', restarts: 0 });
  });

  it('serves /health while the child runs (200, 404, 405)', async () => {
    let checked: Promise<void> | undefined;
    let url = '';
    const { result } = await serve(
      { command: [NODE, '-e', TRAP], healthPort: 0 },
      {
        onEvent: (e, fire) => {
          if (e.type === 'health-listening') url = e.url;
          if (e.type === 'started')
            checked = (async () => {
              const h = await getHealth(url);
              expect(h.status).toBe(200);
              expect(h.body).toMatchObject({ status: 'ok', database_connected: true, server: { pid: e.pid, restarts: 0 } });
              expect((await fetch(url.replace('/health', '/'))).status).toBe(404);
              expect((await fetch(url, { method: 'POST' })).status).toBe(405);
            })().finally(() => fire('SIGTERM'));
        },
      },
    );
    await checked;
    expect(result.exitCode).toBe(0);
  });

  it('reports a port in use for the health endpoint before waiting for the database', async () => {
    const { createServer } = await import('node:net');
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      await expect(serve({ command: [NODE, '-e', '0'], healthPort: port })).rejects.toThrow(/the port is in use/);
    } finally {
      blocker.close();
    }
  });

  it('fails with a hint when the command does not exist', async () => {
    const err = await serve({ command: ['no-such-mcp-server-xyz'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toMatch(/cannot start no-such-mcp-server-xyz: command not found/);
  });

  it('stops waiting for the database on a signal (interrupted)', async () => {
    const port = await freePort();
    const down = { ...env, POSTGRES_HOST: '127.0.0.1', POSTGRES_PORT: String(port) };
    const err = await serve({ command: [NODE, '-e', '0'], waitSeconds: 30 }, { env: down, onEvent: (e, fire) => e.type === 'waiting' && fire('SIGINT') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InterruptedError);
  });
});

describe('mcpctl serve in-process', () => {
  it('reports every invalid configuration value at once (exit 2) before anything runs', async () => {
    const r = await runMain(['serve', '--', NODE, '-e', '0'], { cwd: project.dir, env: { ...env, POSTGRES_PORT: '0', MCP_LOG_LEVEL: 'LOUD', POSTGRES_PASSWORD: 'changeme' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/invalid configuration \(4 problems\)/);
    expect(r.stderr).toMatch(/POSTGRES_PORT/);
    expect(r.stderr).toMatch(/MCP_LOG_LEVEL/);
    expect(r.stderr).toMatch(/POSTGRES_PASSWORD/);
  });

  it('rejects an unknown restart policy (exit 2)', async () => {
    const r = await runMain(['serve', '--restart', 'always'], { cwd: project.dir, env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--restart takes "on-failure" or "no"/);
  });

  it('refuses --health-host without --health-port (exit 2)', async () => {
    const r = await runMain(['serve', '--health-host', '0.0.0.0'], { cwd: project.dir, env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--health-host needs --health-port/);
  });

  it('runs the child and exits with its status, writing nothing to stdout', async () => {
    const r = await runMain(['serve', '--', NODE, '-e', 'process.exit(4)'], { cwd: project.dir, env });
    expect(r.code).toBe(4);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/the server exited with code 4/);
  });

  it('logs restarts and the give-up to stderr', async () => {
    const r = await runMain(['serve', '--restart', 'on-failure', '--restart-delay-ms', '10', '--', NODE, '-e', 'process.exit(2)'], { cwd: project.dir, env });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.match(/restarting the server in/g)).toHaveLength(4);
    expect(r.stderr).toMatch(/giving up/);
  });

  it('runs MCP_SERVER_COMMAND split like a shell would when no command is given', async () => {
    const r = await runMain(['serve'], { cwd: project.dir, env: { ...env, MCP_SERVER_COMMAND: `'${NODE}' -e "process.exit(6)"` } });
    expect(r.code).toBe(6);
  });

  it('waits for an unreachable database until --wait runs out, then exits 1 with the hint', async () => {
    const port = await freePort();
    const r = await runMain(['serve', '--wait', '2', '--', NODE, '-e', '0'], { cwd: project.dir, env: { ...env, POSTGRES_HOST: '127.0.0.1', POSTGRES_PORT: String(port) } });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.match(/waiting for PostgreSQL/g)).toHaveLength(1);
    expect(r.stderr).toMatch(/did not accept the login within 2 s \(\d attempts\): cannot connect .*connection refused/);
    expect(r.stderr).toMatch(/hint: is the server running/);
  });

  it('exits 1 naming the command when it cannot start', async () => {
    const r = await runMain(['serve'], { cwd: project.dir, env: { ...env, MCP_SERVER_COMMAND: 'no-such-python-xyz -m workflow_mcp.server' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot start no-such-python-xyz: command not found/);
  });
});
