/**
 * The lifecycle of one supervised child: started in its own process group (so that its own
 * children can be signalled with it), signals forwarded to the whole group, SIGKILL after a
 * grace period, and no member of the group left running once the child is gone.
 */
import { constants } from 'node:os';
import { UserError } from './errors.js';
import { spawnInherited } from './exec.js';

/** What to run; `env` is the child's complete environment. */
export interface ChildSpec {
  file: string;
  args: readonly string[];
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  log?: (line: string) => void;
  now?: () => number;
}

/** How a child ended. */
export interface ChildExit {
  pid: number;
  /** Exit status, when it exited by itself. */
  code: number | undefined;
  /** The signal that ended it, when one did. */
  signal: NodeJS.Signals | undefined;
  /** The status a shell would report: the code, or 128 + the signal's number. */
  status: number;
  /** Signals mcpctl sent to the group before it ended. */
  sentSignals: NodeJS.Signals[];
  /** SIGKILL was sent because the grace period ran out. */
  killedAfterGrace: boolean;
  ranMs: number;
}

/** `code`, or 128 + signal number, as shells report a process's end. */
export function exitStatus(code: number | undefined, signal: NodeJS.Signals | undefined): number {
  if (signal) return 128 + (constants.signals[signal] ?? 0);
  return code ?? 1;
}

/** "exited with code 3", "was killed by SIGTERM" (read after "the server"). */
export function describeExit(e: Pick<ChildExit, 'code' | 'signal'>): string {
  return e.signal ? `was killed by ${e.signal}` : `exited with code ${e.code ?? '?'}`;
}

/** Sends `sig` to every process of group `pgid`; false when the group no longer exists. */
export function signalGroup(pgid: number, sig: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, sig);
    return true;
  } catch (e) {
    // EPERM: a member changed user; nothing more mcpctl can do about it.
    if ((e as NodeJS.ErrnoException).code === 'ESRCH' || (e as NodeJS.ErrnoException).code === 'EPERM') return false;
    throw e;
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Waits until group `pgid` is empty or `ms` passed; true when it is empty. */
export async function waitGroupGone(pgid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (signalGroup(pgid, 0)) {
    if (Date.now() >= deadline) return false;
    await sleep(25);
  }
  return true;
}

/**
 * Ends whatever is left of group `pgid` after its leader exited (grandchildren that outlived
 * it): SIGTERM, then SIGKILL after `graceMs`. Returns how many steps were needed (0: none left).
 */
export async function reapGroup(pgid: number, graceMs: number, log?: (line: string) => void): Promise<0 | 1 | 2> {
  if (!signalGroup(pgid, 0)) return 0;
  log?.(`process group ${pgid} outlived its leader: sending SIGTERM`);
  signalGroup(pgid, 'SIGTERM');
  if (await waitGroupGone(pgid, graceMs)) return 1;
  log?.(`process group ${pgid} still running after ${graceMs} ms: sending SIGKILL`);
  signalGroup(pgid, 'SIGKILL');
  await waitGroupGone(pgid, 2000);
  return 2;
}

/** A running child, leader of its own process group. */
export interface SupervisedChild {
  readonly pid: number;
  readonly startedAt: number;
  /** Resolves when the leader exited and the rest of its group is gone. */
  readonly exited: Promise<ChildExit>;
  readonly running: boolean;
  /** Forwards `sig` to the group; with `graceMs`, SIGKILLs the group if it is still running then. */
  signal(sig: NodeJS.Signals, graceMs?: number): void;
  /** SIGKILL to the group now. */
  kill(): void;
}

/**
 * Starts `spec` with stdin, stdout and stderr inherited (untouched: a stdio MCP server speaks
 * JSON-RPC on them), as the leader of a new process group. `graceMs` also bounds how long
 * leftovers of the group get after the leader exits.
 */
export async function startChild(spec: ChildSpec, graceMs: number): Promise<SupervisedChild> {
  const now = spec.now ?? Date.now;
  const sub = await spawnInherited(spec.file, spec.args, { cwd: spec.cwd, env: spec.env, log: spec.log });
  if ('error' in sub) {
    const code = sub.error.code;
    throw new UserError(`cannot start ${spec.file}: ${code === 'ENOENT' ? 'command not found' : code === 'EACCES' ? 'permission denied' : sub.error.message}`, {
      hint: 'give the command after `--` (e.g. `mcpctl serve -- python -m workflow_mcp.server`) or set MCP_SERVER_COMMAND; it runs without a shell',
    });
  }
  const pid = sub.pid;
  const startedAt = now();
  const sent: NodeJS.Signals[] = [];
  let running = true;
  let graceTimer: NodeJS.Timeout | undefined;
  let killedAfterGrace = false;

  const exited = (async (): Promise<ChildExit> => {
    const r = await sub.exited;
    running = false;
    const ranMs = now() - startedAt;
    // Anything the leader left in its group gets the same treatment a stop would give it.
    await reapGroup(pid, graceMs, spec.log);
    if (graceTimer) clearTimeout(graceTimer);
    const signal = (r.signal as NodeJS.Signals | undefined) ?? undefined;
    const code = signal ? undefined : r.exitCode;
    return { pid, code, signal, status: exitStatus(code, signal), sentSignals: [...sent], killedAfterGrace, ranMs };
  })();

  const kill = () => {
    if (!sent.includes('SIGKILL')) sent.push('SIGKILL');
    signalGroup(pid, 'SIGKILL');
  };
  return {
    pid,
    startedAt,
    exited,
    get running() {
      return running;
    },
    signal(sig, ms) {
      if (!sent.includes(sig)) sent.push(sig);
      signalGroup(pid, sig);
      if (ms !== undefined && !graceTimer) {
        graceTimer = setTimeout(() => {
          if (!signalGroup(pid, 0)) return;
          killedAfterGrace = true;
          spec.log?.(`grace period of ${ms} ms over: sending SIGKILL to process group ${pid}`);
          kill();
        }, ms);
      }
    },
    kill,
  };
}
