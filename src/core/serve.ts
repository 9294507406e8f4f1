/**
 * `mcpctl serve`: wait for PostgreSQL, then run the MCP server with the validated configuration
 * in its environment, forward signals to its process group, optionally restart it on failure,
 * and answer health checks. Never prints: everything the user sees goes through `onEvent`.
 */
import { CONFIG_KEYS, type Config } from '../lib/config/keys.js';
import type { Context } from '../lib/context.js';
import { resolveAppPassword } from '../lib/credentials.js';
import { InterruptedError, UsageError, UserError } from '../lib/errors.js';
import type { HealthDoc, HealthServer } from '../lib/health-server.js';
import { appTarget, type ConnTarget } from '../lib/pg.js';
import { decideRestart, DEFAULT_RESTART_POLICY, NO_CRASHES, type RestartPolicy } from '../lib/restart-policy.js';
import { resolveCommandInterpreter } from '../lib/python.js';
import { splitCommand } from '../lib/shell-words.js';
import { exitStatus, startChild, type ChildExit, type SupervisedChild } from '../lib/supervisor.js';
import { probeLogin, waitForDb, type WaitAttempt } from '../lib/wait-for-db.js';

/** Signals serve handles: SIGINT and SIGTERM stop the child (with a grace period), SIGHUP is only passed on. */
export type ForwardedSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP';
export const FORWARDED_SIGNALS: readonly ForwardedSignal[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** What happens, in order, for the adapter to render (on stderr: the child owns stdout). */
export type ServeEvent =
  | { type: 'interpreter'; note: string }
  | { type: 'health-listening'; url: string }
  | { type: 'waiting'; target: string; server: string; attempt: WaitAttempt }
  | { type: 'db-ready'; target: string; attempts: number; ms: number }
  | { type: 'started'; pid: number; command: string[]; restarts: number }
  | { type: 'signal'; signal: ForwardedSignal; pid: number | undefined; action: 'forwarded' | 'killed' | 'cancelled-restart' }
  | { type: 'exited'; exit: ChildExit; crashed: boolean }
  | { type: 'restarting'; delayMs: number; restarts: number; exit: ChildExit }
  | { type: 'gave-up'; crashes: number; windowMs: number; exit: ChildExit };

export interface ServeDeps {
  ctx: Context;
  /** The validated configuration (loaded by the adapter, which printed its warnings). */
  config: Config;
  /** URL keys (`*DATABASE_URL`) from the env files: passed to the server, which reads URLs. */
  urlKeys?: Readonly<Record<string, string>>;
  /** Subscribes to SIGINT/SIGTERM/SIGHUP for the duration of the run; returns the unsubscribe. */
  onSignal?: (handler: (sig: ForwardedSignal) => void) => () => void;
  onEvent?: (e: ServeEvent) => void;
  /** --debug lines (commands run, group clean-up). */
  log?: (line: string) => void;
}

export interface ServeOptions {
  /** The command after `--`; default MCP_SERVER_COMMAND split like a shell would. */
  command?: string[];
  /** Seconds to wait for PostgreSQL (default 30). */
  waitSeconds?: number;
  /** Seconds between a forwarded SIGINT/SIGTERM and SIGKILL (default 10). */
  graceSeconds?: number;
  restart?: 'no' | 'on-failure';
  healthPort?: number;
  healthHost?: string;
  /** Backoff and give-up rule (default: the contract's 1 s doubling to 30 s, 5 crashes in 60 s). */
  restartPolicy?: RestartPolicy;
  /** Timeout of the health endpoint's database probe (default 1500 ms). */
  dbProbeTimeoutMs?: number;
}

export interface ServeResult {
  /** What mcpctl exits with: the last child's status (128 + signal when killed). */
  exitCode: number;
  reason: 'exited' | 'stopped' | 'gave-up' | 'stopped-while-restarting';
  restarts: number;
  lastExit: ChildExit | undefined;
}

/** The child's environment: mcpctl's own, plus the validated configuration; the password only here. */
export function childEnv(parent: Readonly<Record<string, string | undefined>>, cfg: Config, password: string | undefined, urlKeys: Readonly<Record<string, string>> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  // URL keys first: one set in mcpctl's own environment (also in `parent`) wins over the files.
  for (const [k, v] of Object.entries(urlKeys)) env[k] = v;
  for (const [k, v] of Object.entries(parent)) if (v !== undefined) env[k] = v;
  for (const key of CONFIG_KEYS) {
    const v = cfg[key];
    if (v !== undefined) env[key] = String(v);
  }
  if (password !== undefined) env.POSTGRES_PASSWORD = password;
  // The admin credential is setup-db's business; the server never needs it.
  delete env.SETUP_POSTGRES_PASSWORD;
  return env;
}

/** The command to run: the one after `--`, else MCP_SERVER_COMMAND. */
export function resolveCommand(cfg: Config, given: string[] | undefined): string[] {
  if (given && given.length > 0) return given;
  let argv: string[];
  try {
    argv = splitCommand(cfg.MCP_SERVER_COMMAND);
  } catch (e) {
    throw new UsageError(`MCP_SERVER_COMMAND cannot be split into words: ${(e as Error).message}`, { hint: 'fix the quoting in MCP_SERVER_COMMAND' });
  }
  if (argv.length === 0) throw new UsageError('no command to run', { hint: 'give one after `--` or set MCP_SERVER_COMMAND' });
  return argv;
}

/** The error for a command that is not there, with a hint that fits it. */
function cannotStart(file: string, isPython: boolean): UserError {
  return new UserError(`cannot start ${file}: command not found`, {
    hint: isPython
      ? "install Python 3, or create the project's virtual environment (python3 -m venv .venv; .venv/bin/pip install -e .)"
      : 'give the command after `--` (e.g. `mcpctl serve -- python -m workflow_mcp.server`) or set MCP_SERVER_COMMAND; it runs without a shell',
  });
}

function describeServer(t: ConnTarget): string {
  return t.host.startsWith('/') ? t.host : `${t.host}:${t.port}`;
}

function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export async function runServe(deps: ServeDeps, opts: ServeOptions = {}): Promise<ServeResult> {
  const { ctx, config: cfg } = deps;
  const emit = (e: ServeEvent) => deps.onEvent?.(e);
  const graceMs = (opts.graceSeconds ?? 10) * 1000;
  const policy = opts.restartPolicy ?? DEFAULT_RESTART_POLICY;
  const { password } = await resolveAppPassword(cfg, ctx);
  const target = appTarget(cfg, password);
  const env = childEnv(ctx.env, cfg, password, deps.urlKeys);
  // Checked before waiting for the database: a command that cannot start should say so at once.
  const resolved = await resolveCommandInterpreter(resolveCommand(cfg, opts.command), ctx.cwd, env);
  if (resolved.program === undefined) throw cannotStart(resolved.argv[0]!, resolved.isPython);
  if (resolved.note) emit({ type: 'interpreter', note: resolved.note });
  const command = resolved.argv;

  let child: SupervisedChild | undefined;
  let everStarted = false;
  let restarts = 0;
  /** The first SIGINT/SIGTERM received: serve is stopping and restarts no more. */
  let stopSignal: ForwardedSignal | undefined;
  let interrupts = 0;
  const stopping = new AbortController();

  const onSignal = (sig: ForwardedSignal) => {
    if (sig !== 'SIGHUP') {
      stopSignal ??= sig;
      stopping.abort();
    }
    if (!child?.running) {
      if (sig !== 'SIGHUP' && everStarted) emit({ type: 'signal', signal: sig, pid: undefined, action: 'cancelled-restart' });
      return;
    }
    if (sig === 'SIGINT' && ++interrupts > 1) {
      // A second Ctrl-C means "now": the grace period is for well-behaved shutdowns.
      emit({ type: 'signal', signal: sig, pid: child.pid, action: 'killed' });
      child.kill();
      return;
    }
    // Said first, so that the message comes before whatever the server prints on its way out.
    emit({ type: 'signal', signal: sig, pid: child.pid, action: 'forwarded' });
    child.signal(sig, sig === 'SIGHUP' ? undefined : graceMs);
  };
  const onAbort = () => {
    const reason = String((ctx.signal.reason as Error | undefined)?.message ?? '');
    onSignal(reason === 'SIGINT' || reason === 'SIGHUP' ? reason : 'SIGTERM');
  };
  const unsubscribe = deps.onSignal?.(onSignal);
  ctx.signal.addEventListener('abort', onAbort, { once: true });

  let health: HealthServer | undefined;
  try {
    if (ctx.signal.aborted) throw new InterruptedError();
    if (opts.healthPort !== undefined) {
      // node:http only when asked for: it is a noticeable part of the start-up.
      const [{ cachedProbe, startHealthServer }, { packageVersion }] = await Promise.all([import('../lib/health-server.js'), import('../lib/version.js')]);
      const probeTimeout = opts.dbProbeTimeoutMs ?? 1500;
      const dbUp = cachedProbe(() => probeLogin({ ...target, timeoutMs: probeTimeout, applicationName: 'mcpctl serve health' }).then(() => true), 1000);
      const version = packageVersion();
      health = await startHealthServer(opts.healthHost ?? '127.0.0.1', opts.healthPort, async () => {
        const database_connected = await dbUp();
        const running = child?.running === true;
        const status: HealthDoc['status'] = stopSignal ? 'stopping' : !everStarted ? 'starting' : !running ? 'down' : database_connected ? 'ok' : 'degraded';
        const doc: HealthDoc = {
          status,
          version,
          database_connected,
          server: {
            pid: running ? child!.pid : null,
            uptime_s: running ? Math.floor((ctx.now().getTime() - child!.startedAt) / 1000) : null,
            restarts,
          },
        };
        return { healthy: status === 'ok', doc };
      });
      const host = health.host.includes(':') ? `[${health.host}]` : health.host;
      emit({ type: 'health-listening', url: `http://${host}:${health.port}/health` });
    }

    const server = describeServer(target);
    const where = `${target.user}@${server}/${target.database}`;
    const ready = await waitForDb(target, {
      waitMs: (opts.waitSeconds ?? 30) * 1000,
      signal: stopping.signal,
      onAttempt: (attempt) => emit({ type: 'waiting', target: where, server, attempt }),
      now: () => ctx.now().getTime(),
    });
    emit({ type: 'db-ready', target: where, attempts: ready.attempts, ms: ready.ms });

    let history = NO_CRASHES;
    for (;;) {
      child = await startChild({ file: command[0]!, args: command.slice(1), cwd: ctx.cwd, env, log: deps.log, now: () => ctx.now().getTime() }, graceMs);
      everStarted = true;
      emit({ type: 'started', pid: child.pid, command, restarts });
      // A signal may have arrived while the child was being spawned.
      if (stopSignal) child.signal(stopSignal, graceMs);
      const exit = await child.exited;
      const sentByUs = exit.signal !== undefined && exit.sentSignals.includes(exit.signal);
      const crashed = exit.status !== 0 && !stopSignal && !sentByUs;
      emit({ type: 'exited', exit, crashed });
      if (stopSignal) return { exitCode: exit.status, reason: 'stopped', restarts, lastExit: exit };
      if (!crashed || opts.restart !== 'on-failure') return { exitCode: exit.status, reason: 'exited', restarts, lastExit: exit };
      const decision = decideRestart(history, ctx.now().getTime(), exit.ranMs, policy);
      history = decision.history;
      if (decision.action === 'give-up') {
        emit({ type: 'gave-up', crashes: decision.crashesInWindow, windowMs: policy.windowMs, exit });
        return { exitCode: exit.status, reason: 'gave-up', restarts, lastExit: exit };
      }
      emit({ type: 'restarting', delayMs: decision.delayMs, restarts: restarts + 1, exit });
      if (!(await sleep(decision.delayMs, stopping.signal))) {
        return { exitCode: exitStatus(undefined, stopSignal ?? 'SIGTERM'), reason: 'stopped-while-restarting', restarts, lastExit: exit };
      }
      restarts++;
    }
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
    unsubscribe?.();
    // Only reached with the child gone (or never started): nothing of its group is left.
    await health?.close();
  }
}
