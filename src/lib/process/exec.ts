import { redact } from '../cli/redact.js';

/** Options for running an external command. */
export interface ExecOptions {
  cwd: string;
  /** The complete environment of the child (nothing is inherited implicitly). */
  env: Readonly<Record<string, string | undefined>>;
  timeoutMs?: number;
  input?: string;
  /** Resolve with the result even when the exit code is non-zero. */
  reject?: boolean;
  signal?: AbortSignal;
  /** Called with a redacted description of each command run (for --debug). */
  log?: (line: string) => void;
  uid?: number;
  gid?: number;
  stripFinalNewline?: boolean;
  /** How output bytes become strings; `latin1` keeps one character per byte (binary-safe lengths). */
  encoding?: 'utf8' | 'latin1';
}

/** Outcome of an external command. */
export interface ExecResult {
  exitCode: number | undefined;
  signal: string | undefined;
  stdout: string;
  stderr: string;
  failed: boolean;
  timedOut: boolean;
  /** The program was not found or could not start. */
  notFound: boolean;
}

/** Quotes an argument for display only (never executed). */
export function displayArg(a: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

/**
 * The one wrapper for running a command to completion: argv arrays, explicit cwd and env,
 * timeouts, never a shell. Built on node:child_process rather than execa: a command like rollback
 * runs twenty-odd git commands, and execa's loading and per-call cost was measured as most of its
 * time beyond git's own (docs/rollback.md, `npm run bench`). Semantics as execa's with
 * `reject: false`: a timeout or cancellation sends SIGTERM, then SIGKILL 5 s later.
 */
export async function execCapture(file: string, args: readonly string[], opts: ExecOptions): Promise<ExecResult> {
  const { spawn } = await import('node:child_process');
  opts.log?.(redact(`$ ${[file, ...args].map(displayArg).join(' ')}${opts.cwd ? `  (in ${opts.cwd})` : ''}`));
  const encoding = opts.encoding ?? 'utf8';
  const strip = opts.stripFinalNewline ?? true;
  const text = (chunks: Buffer[]) => {
    const s = Buffer.concat(chunks).toString(encoding);
    return strip ? s.replace(/\r?\n$/, '') : s;
  };
  const finish = (r: Omit<ExecResult, 'failed'>): ExecResult => {
    const result = { ...r, failed: r.notFound || r.timedOut || r.signal !== undefined || r.exitCode !== 0 || opts.signal?.aborted === true };
    if (result.failed && opts.reject) {
      const why = result.notFound ? 'not found' : result.timedOut ? 'timed out' : result.exitCode === undefined && result.signal === undefined ? 'could not start' : `exited ${result.exitCode ?? result.signal}`;
      throw new Error(redact(`${file} ${why}: ${result.stderr.trim() || result.stdout.trim()}`));
    }
    return result;
  };
  if (opts.signal?.aborted) return finish({ exitCode: undefined, signal: undefined, stdout: '', stderr: '', timedOut: false, notFound: false });

  const env = Object.fromEntries(Object.entries(opts.env).filter((e): e is [string, string] => e[1] !== undefined));
  let child: import('node:child_process').ChildProcess;
  try {
    child = spawn(file, [...args], {
      cwd: opts.cwd,
      env,
      uid: opts.uid,
      gid: opts.gid,
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
  } catch (e) {
    // Arguments Node refuses before starting anything (a NUL byte in argv or env).
    return finish({ exitCode: undefined, signal: undefined, stdout: '', stderr: (e as Error).message, timedOut: false, notFound: false });
  }
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout?.on('data', (b: Buffer) => out.push(b));
  child.stderr?.on('data', (b: Buffer) => err.push(b));
  // A child that exits without reading all of its input is not an error of ours (EPIPE).
  child.stdin?.on('error', () => {});
  child.stdin?.end(opts.input);

  let timedOut = false;
  let forceKill: NodeJS.Timeout | undefined;
  const stop = () => {
    child.kill('SIGTERM');
    forceKill ??= setTimeout(() => child.kill('SIGKILL'), 5000).unref();
  };
  const timer = opts.timeoutMs === undefined ? undefined : setTimeout(() => ((timedOut = true), stop()), opts.timeoutMs);
  opts.signal?.addEventListener('abort', stop, { once: true });
  return new Promise<ExecResult>((resolve, reject) => {
    const settle = (r: Omit<ExecResult, 'failed'>) => {
      clearTimeout(timer);
      clearTimeout(forceKill);
      opts.signal?.removeEventListener('abort', stop);
      try {
        resolve(finish(r));
      } catch (e) {
        reject(e);
      }
    };
    // It could not start (ENOENT, EACCES): 'close' may never come.
    child.once('error', (e: NodeJS.ErrnoException) => {
      if (child.pid !== undefined) return;
      settle({ exitCode: undefined, signal: undefined, stdout: '', stderr: e.code === 'ENOENT' ? '' : e.message, timedOut: false, notFound: e.code === 'ENOENT' });
    });
    child.once('close', (code, signal) => {
      if (child.pid === undefined) return;
      settle({ exitCode: code ?? undefined, signal: signal ?? undefined, stdout: text(out), stderr: text(err), timedOut, notFound: false });
    });
  });
}

/** Options for a long-running child (streams, signals) started through the same wrapper. */
export interface ExecStreamOptions extends Omit<ExecOptions, 'input' | 'reject' | 'stripFinalNewline'> {
  stdin?: 'inherit' | 'pipe' | 'ignore';
  /** A stream with a file descriptor (another child's stdin) is handed to the child as is: no copy through Node. */
  stdout?: 'inherit' | 'pipe' | 'ignore' | import('node:stream').Writable;
  stderr?: 'inherit' | 'pipe' | 'ignore';
  /** Start in a new process group (so the group can be signalled). */
  detached?: boolean;
  /** Kill signal for timeouts and cancellation (default SIGTERM). */
  killSignal?: NodeJS.Signals;
}

/**
 * Starts loading execa (tens of milliseconds of module evaluation) while the caller waits on
 * other work, so that its first `execStream` does not pay for it on the critical path.
 */
export function preloadExecStream(): void {
  void import('execa').catch(() => undefined);
}

/**
 * Starts a child without buffering its output (for pg_dump streams and `serve`).
 * Returns `{ child }`, execa's subprocess (a promise of the result that is also the
 * ChildProcess). It is wrapped because an async function returning a thenable would
 * adopt it: `await execStream()` would wait for the child to exit.
 */
export async function execStream(file: string, args: readonly string[], opts: ExecStreamOptions) {
  const { execa } = await import('execa');
  opts.log?.(redact(`$ ${[file, ...args].map(displayArg).join(' ')}${opts.cwd ? `  (in ${opts.cwd})` : ''}`));
  const child = execa(file, args, {
    cwd: opts.cwd,
    env: opts.env as Record<string, string>,
    extendEnv: false,
    timeout: opts.timeoutMs,
    cancelSignal: opts.signal,
    uid: opts.uid,
    gid: opts.gid,
    stdin: opts.stdin ?? 'ignore',
    stdout: opts.stdout ?? 'pipe',
    stderr: opts.stderr ?? 'pipe',
    detached: opts.detached,
    killSignal: opts.killSignal,
    buffer: false,
    reject: false,
  });
  return { child };
}

/** A child started by `spawnInherited`. */
export interface InheritedChild {
  pid: number;
  /** Resolves when the child has exited: its code, or the signal that ended it. */
  exited: Promise<{ exitCode: number | undefined; signal: NodeJS.Signals | undefined }>;
}

/**
 * Starts a child that inherits stdin, stdout and stderr, as the leader of a new process group —
 * serve's MCP server, whose streams mcpctl never touches. It uses node:child_process directly:
 * nothing here needs execa's output handling, and loading execa was measured as the largest part
 * of serve's start-up (docs/serve.md). Resolves with the error (ENOENT, EACCES) when it cannot start.
 */
export async function spawnInherited(file: string, args: readonly string[], opts: Pick<ExecOptions, 'cwd' | 'env' | 'log'>): Promise<InheritedChild | { error: NodeJS.ErrnoException }> {
  const { spawn } = await import('node:child_process');
  opts.log?.(redact(`$ ${[file, ...args].map(displayArg).join(' ')}${opts.cwd ? `  (in ${opts.cwd})` : ''}`));
  const env = Object.fromEntries(Object.entries(opts.env).filter((e): e is [string, string] => e[1] !== undefined));
  const child = spawn(file, [...args], { cwd: opts.cwd, env, stdio: 'inherit', detached: true });
  if (child.pid === undefined) return { error: await new Promise<NodeJS.ErrnoException>((resolve) => child.once('error', resolve)) };
  const exited = new Promise<{ exitCode: number | undefined; signal: NodeJS.Signals | undefined }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ exitCode: code ?? undefined, signal: signal ?? undefined }));
  });
  return { pid: child.pid, exited };
}
