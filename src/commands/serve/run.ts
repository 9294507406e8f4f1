/**
 * `mcpctl serve`: wait for PostgreSQL, then run the MCP server with the validated configuration
 * in its environment, forward signals to its process group, optionally restart it on failure,
 * and answer health checks. Never prints: everything the user sees goes through `events`.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { LoadedConfig } from '../../lib/config/load.js';
import type { CoreDeps } from '../../lib/cli/core-deps.js';
import { resolveAppPassword } from '../../lib/config/credentials.js';
import { InterruptedError } from '../../lib/cli/errors.js';
import type { HealthServer } from './health-server.js';
import { appTarget, type ConnTarget } from '../../lib/pg/client.js';
import { decideRestart, DEFAULT_RESTART_POLICY, NO_CRASHES, type RestartPolicy } from './restart-policy.js';
import { exitStatus, startChild, type ChildExit } from '../../lib/process/supervisor.js';
import { probeLogin, waitForDb } from './wait-for-db.js';
import { childEnv, startableCommand } from './child.js';
import { FORWARDED_SIGNALS, Supervision, type ServeEvent } from './supervision.js';

export { childEnv, resolveCommand } from './child.js';
export { FORWARDED_SIGNALS, type ForwardedSignal, type ServeEvent } from './supervision.js';

export type ServeDeps = Pick<CoreDeps<ServeEvent, LoadedConfig>, 'config' | 'events'> & {
  ctx: Pick<CoreDeps['ctx'], 'cwd' | 'env' | 'home' | 'now' | 'signal' | 'signals' | 'secrets' | 'libpqSocketDir'>;
};

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
}

export interface ServeResult {
  /** What mcpctl exits with: the last child's status (128 + signal when killed). */
  exitCode: number;
  reason: 'exited' | 'stopped' | 'gave-up' | 'stopped-while-restarting';
  restarts: number;
  lastExit: ChildExit | undefined;
}

/** Time allowed for the health endpoint's database probe. */
const HEALTH_PROBE_TIMEOUT_MS = 1500;

function describeServer(t: ConnTarget): string {
  return t.host.startsWith('/') ? t.host : `${t.host}:${t.port}`;
}

export async function runServe(deps: ServeDeps, opts: ServeOptions = {}): Promise<ServeResult> {
  const { ctx } = deps;
  const cfg = deps.config.values;
  const emit = deps.events;
  const { password } = await resolveAppPassword(cfg, ctx);
  const target = appTarget(cfg, password);
  const urlKeys = Object.fromEntries(Object.entries(deps.config.urlKeys).map(([k, v]) => [k, v.value]));
  const env = childEnv(ctx.env, cfg, password, urlKeys);
  const command = await startableCommand(cfg, opts.command, ctx.cwd, env);
  if (command.note) emit({ type: 'interpreter', note: command.note });

  const run = new Supervision(emit, (opts.graceSeconds ?? 10) * 1000);
  const onAbort = () => {
    const reason = String((ctx.signal.reason as Error | undefined)?.message ?? '');
    run.onSignal(reason === 'SIGINT' || reason === 'SIGHUP' ? reason : 'SIGTERM');
  };
  const unsubscribe = ctx.signals.takeOver(FORWARDED_SIGNALS, run.onSignal);
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  let health: HealthServer | undefined;
  try {
    if (ctx.signal.aborted) throw new InterruptedError();
    if (opts.healthPort !== undefined) health = await openHealth(deps, run, target, opts.healthHost ?? '127.0.0.1', opts.healthPort);
    const server = describeServer(target);
    const where = `${target.user}@${server}/${target.database}`;
    const ready = await waitForDb(target, {
      waitMs: (opts.waitSeconds ?? 30) * 1000,
      signal: run.stopping.signal,
      onAttempt: (attempt) => emit({ type: 'waiting', target: where, server, attempt }),
      now: () => ctx.now().getTime(),
    });
    emit({ type: 'db-ready', target: where, attempts: ready.attempts, ms: ready.ms });
    return await supervise(deps, run, command.argv, env, opts);
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
    unsubscribe();
    // Only reached with the child gone (or never started): nothing of its group is left.
    await health?.close();
  }
}

/** The health endpoint (node:http only when asked for: it is a noticeable part of the start-up). */
async function openHealth(deps: ServeDeps, run: Supervision, target: ConnTarget, host: string, port: number): Promise<HealthServer> {
  const [{ cachedProbe, startHealthServer }, { packageVersion }] = await Promise.all([import('./health-server.js'), import('../../lib/package-version.js')]);
  const dbUp = cachedProbe(() => probeLogin({ ...target, timeoutMs: HEALTH_PROBE_TIMEOUT_MS, applicationName: 'mcpctl serve health' }).then(() => true), 1000);
  const version = packageVersion();
  const health = await startHealthServer(host, port, async () => run.health(await dbUp(), version, deps.ctx.now().getTime()));
  const shown = health.host.includes(':') ? `[${health.host}]` : health.host;
  deps.events({ type: 'health-listening', url: `http://${shown}:${health.port}/health` });
  return health;
}

/** Starts the child, and restarts it after a crash while the policy allows. */
async function supervise(deps: ServeDeps, run: Supervision, command: string[], env: Record<string, string>, opts: ServeOptions): Promise<ServeResult> {
  const { ctx } = deps;
  const emit = deps.events;
  const graceMs = (opts.graceSeconds ?? 10) * 1000;
  const policy = opts.restartPolicy ?? DEFAULT_RESTART_POLICY;
  const log = (text: string) => emit({ type: 'debug', text });
  let history = NO_CRASHES;
  for (;;) {
    const child = await startChild({ file: command[0]!, args: command.slice(1), cwd: ctx.cwd, env, log, now: () => ctx.now().getTime() }, graceMs);
    run.child = child;
    run.everStarted = true;
    const { restarts } = run;
    emit({ type: 'started', pid: child.pid, command, restarts });
    // A signal may have arrived while the child was being spawned.
    if (run.stopSignal) child.signal(run.stopSignal, graceMs);
    const exit = await child.exited;
    const sentByUs = exit.signal !== undefined && exit.sentSignals.includes(exit.signal);
    const crashed = exit.status !== 0 && !run.stopSignal && !sentByUs;
    emit({ type: 'exited', exit, crashed });
    if (run.stopSignal) return { exitCode: exit.status, reason: 'stopped', restarts, lastExit: exit };
    if (!crashed || opts.restart !== 'on-failure') return { exitCode: exit.status, reason: 'exited', restarts, lastExit: exit };
    const decision = decideRestart(history, ctx.now().getTime(), exit.ranMs, policy);
    history = decision.history;
    if (decision.action === 'give-up') {
      emit({ type: 'gave-up', crashes: decision.crashesInWindow, windowMs: policy.windowMs, exit });
      return { exitCode: exit.status, reason: 'gave-up', restarts, lastExit: exit };
    }
    emit({ type: 'restarting', delayMs: decision.delayMs, restarts: restarts + 1, exit });
    const waited = await delay(decision.delayMs, true, { signal: run.stopping.signal }).catch(() => false);
    if (!waited) return { exitCode: exitStatus(undefined, run.stopSignal ?? 'SIGTERM'), reason: 'stopped-while-restarting', restarts, lastExit: exit };
    run.restarts++;
  }
}
