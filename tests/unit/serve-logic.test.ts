import { describe, expect, it } from 'vitest';
import { childEnv, resolveCommand } from '../../src/core/serve.js';
import type { Config } from '../../src/lib/config/keys.js';
import { UsageError } from '../../src/lib/errors.js';
import { cachedProbe } from '../../src/lib/health-server.js';
import { decideRestart, DEFAULT_RESTART_POLICY, NO_CRASHES, scaledPolicy, type CrashHistory } from '../../src/lib/restart-policy.js';
import { signalsTakenOver, takeOverSignals } from '../../src/lib/signal-forwarding.js';
import { describeExit, exitStatus } from '../../src/lib/supervisor.js';

const cfg: Config = {
  POSTGRES_HOST: 'db',
  POSTGRES_PORT: 5433,
  POSTGRES_USER: 'mcp_user',
  POSTGRES_DB: 'project_registry',
  POSTGRES_TEST_DB: 'test_workflow_mcp',
  POSTGRES_SSLMODE: 'prefer',
  SETUP_POSTGRES_USER: 'postgres',
  SETUP_POSTGRES_PASSWORD: 'admin-password-never-passed',
  MCP_SERVER_PORT: 8002,
  MCP_SERVER_COMMAND: `python -m "workflow_mcp.server" --name 'a b'`,
  MCP_LOG_LEVEL: 'INFO',
  MAX_ACTIVE_PROJECTS: 50,
  DEFAULT_TOKEN_BUDGET: 200000,
};

describe('decideRestart', () => {
  /** Crashes at the given times (ms) of runs lasting `ran` ms; the decisions in order. */
  function crashes(times: number[], ran = 100, policy = DEFAULT_RESTART_POLICY) {
    let h: CrashHistory = NO_CRASHES;
    return times.map((t) => {
      const d = decideRestart(h, t, ran, policy);
      h = d.history;
      return d.action === 'restart' ? d.delayMs : 'give-up';
    });
  }

  it('doubles the delay from 1 s and gives up at the fifth crash within 60 s', () => {
    expect(crashes([0, 2_000, 5_000, 10_000, 19_000])).toEqual([1000, 2000, 4000, 8000, 'give-up']);
  });

  it('keeps going when crashes are spread beyond the window, capping the delay at 30 s', () => {
    const times = [0, 20_000, 40_000, 70_000, 100_000, 130_000, 160_000, 190_000];
    expect(crashes(times)).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  });

  it('starts the backoff again after a run that lasted a minute', () => {
    let h = decideRestart(NO_CRASHES, 0, 100).history;
    h = decideRestart(h, 1_000, 100).history;
    const after = decideRestart(h, 200_000, 120_000);
    expect(after).toMatchObject({ action: 'restart', delayMs: 1000 });
  });

  it('counts only crashes inside the window', () => {
    const d = decideRestart({ crashTimes: [0, 1, 2, 3], streak: 4 }, 60_000, 10);
    expect(d.action).toBe('restart');
    expect(d.history.crashTimes).toEqual([1, 2, 3, 60_000]);
  });

  it('scales the delays for tests and keeps the give-up rule', () => {
    const p = scaledPolicy(10);
    expect(p).toMatchObject({ initialDelayMs: 10, maxDelayMs: 300, maxCrashes: 5, windowMs: 60_000 });
    expect(crashes([0, 1, 2, 3, 4], 1, p)).toEqual([10, 20, 40, 80, 'give-up']);
  });
});

describe('exit status', () => {
  it('is the code, or 128 + the signal number', () => {
    expect(exitStatus(0, undefined)).toBe(0);
    expect(exitStatus(3, undefined)).toBe(3);
    expect(exitStatus(undefined, 'SIGTERM')).toBe(143);
    expect(exitStatus(undefined, 'SIGKILL')).toBe(137);
    expect(exitStatus(undefined, 'SIGINT')).toBe(130);
    expect(describeExit({ code: 2, signal: undefined })).toBe('exited with code 2');
    expect(describeExit({ code: undefined, signal: 'SIGSEGV' })).toBe('was killed by SIGSEGV');
  });
});

describe('childEnv', () => {
  it('adds the configuration to the parent environment, the password only there, never the admin password', () => {
    const env = childEnv({ PATH: '/bin', POSTGRES_PORT: '1', SETUP_POSTGRES_PASSWORD: 'x', UNSET: undefined }, cfg, 'app-password-from-pgpass');
    expect(env).toMatchObject({ PATH: '/bin', POSTGRES_HOST: 'db', POSTGRES_PORT: '5433', POSTGRES_PASSWORD: 'app-password-from-pgpass', MCP_SERVER_PORT: '8002', MCP_LOG_LEVEL: 'INFO' });
    expect(env).not.toHaveProperty('SETUP_POSTGRES_PASSWORD');
    expect(env).not.toHaveProperty('UNSET');
    expect(env).not.toHaveProperty('MCP_LOG_FILE');
  });

  it('sets no password when none was found', () => {
    expect(childEnv({}, cfg, undefined)).not.toHaveProperty('POSTGRES_PASSWORD');
  });
});

describe('resolveCommand', () => {
  it('prefers the command after --, else splits MCP_SERVER_COMMAND like a shell', () => {
    expect(resolveCommand(cfg, ['node', 'x.js'])).toEqual(['node', 'x.js']);
    expect(resolveCommand(cfg, [])).toEqual(['python', '-m', 'workflow_mcp.server', '--name', 'a b']);
  });

  it('refuses an empty or badly quoted command (exit 2)', () => {
    expect(() => resolveCommand({ ...cfg, MCP_SERVER_COMMAND: '  ' }, undefined)).toThrow(UsageError);
    expect(() => resolveCommand({ ...cfg, MCP_SERVER_COMMAND: `python "x` }, undefined)).toThrow(/cannot be split/);
  });
});

describe('cachedProbe', () => {
  it('probes at most once per interval and shares a probe in flight', async () => {
    let t = 0;
    let calls = 0;
    let answer = true;
    const probe = cachedProbe(async () => (calls++, answer), 1000, () => t);
    expect(await Promise.all([probe(), probe()])).toEqual([true, true]);
    expect(calls).toBe(1);
    answer = false;
    t = 999;
    expect(await probe()).toBe(true);
    t = 1000;
    expect(await probe()).toBe(false);
    expect(calls).toBe(2);
  });

  it('treats a probe that throws as down', async () => {
    const probe = cachedProbe(() => Promise.reject(new Error('refused')));
    expect(await probe()).toBe(false);
  });
});

describe('takeOverSignals', () => {
  it('routes the signals to the handler and tells cli.ts to leave them alone until released', () => {
    const got: string[] = [];
    expect(signalsTakenOver()).toBe(false);
    const release = takeOverSignals(['SIGHUP'] as const, (s) => got.push(s));
    expect(signalsTakenOver()).toBe(true);
    process.emit('SIGHUP', 'SIGHUP');
    release();
    release();
    expect(signalsTakenOver()).toBe(false);
    expect(got).toEqual(['SIGHUP']);
    expect(process.listenerCount('SIGHUP')).toBe(0);
  });
});
