import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context } from '../../src/lib/cli/context.js';
import { SecretRegistry } from '../../src/lib/cli/redact.js';
import { createSignalRouter } from '../../src/lib/process/signal-forwarding.js';
import { libpqSocketDirProbe } from '../../src/lib/process/libpq-socket.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = path.join(REPO_ROOT, 'bin', 'mcpctl.js');

/** A temp project folder with its own HOME and PGPASSFILE. */
export interface TempProject {
  dir: string;
  home: string;
  pgpass: string;
  /** Environment for child processes: the parent's PATH, the project's HOME, no PG* leakage. */
  env: Record<string, string>;
  ctx(over?: Partial<Context>): Context;
  write(rel: string, content: string, mode?: number): Promise<string>;
  read(rel: string): Promise<string>;
  cleanup(): Promise<void>;
}

export async function tempProject(files: Record<string, string> = {}, extraEnv: Record<string, string> = {}): Promise<TempProject> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'mcpctl-proj-'));
  const dir = path.join(root, 'project');
  const home = path.join(root, 'home');
  // An empty migrations/ marks the folder as a project (mcpctl warns "no project found"
  // otherwise) — unless the test puts something else at that path.
  await fs.mkdir('migrations' in files ? dir : path.join(dir, 'migrations'), { recursive: true });
  await fs.mkdir(home);
  const pgpass = path.join(home, '.pgpass');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    PGPASSFILE: pgpass,
    LANG: 'C.UTF-8',
    ...extraEnv,
  };
  for (const [rel, content] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await fs.writeFile(path.join(dir, rel), content);
  }
  const controller = new AbortController();
  return {
    dir,
    home,
    pgpass,
    env,
    ctx: (over = {}) => ({
      cwd: dir,
      env,
      home,
      now: () => new Date(),
      stdinIsTTY: false,
      stdoutIsTTY: false,
      stderrIsTTY: false,
      ci: true,
      signal: controller.signal,
      secrets: new SecretRegistry(),
      signals: createSignalRouter(),
      runtime: { platform: process.platform, execPath: process.execPath, nodeVersion: process.version, arch: process.arch, uid: process.getuid?.() },
      libpqSocketDir: libpqSocketDirProbe(env),
      ...over,
    }),
    write: async (rel, content, mode) => {
      const p = path.join(dir, rel);
      await fs.mkdir(path.dirname(p), { recursive: true });
      await fs.writeFile(p, content, mode === undefined ? undefined : { mode });
      if (mode !== undefined) await fs.chmod(p, mode);
      return p;
    },
    read: (rel) => fs.readFile(path.join(dir, rel), 'utf8'),
    cleanup: () => fs.rm(root, { recursive: true, force: true }),
  };
}

export interface CliResult {
  /** The exit code; HUNG (-1) when the process did not exit by itself within the timeout. */
  code: number;
  stdout: string;
  stderr: string;
}

/** runCli's code for a process that had to be killed: never equal to an exit code a test expects. */
export const HUNG = -1;

/** Runs the built CLI as a real child process (no TTY, CI set unless overridden). */
export function runCli(args: string[], opts: { cwd: string; env: Record<string, string>; input?: string; timeoutMs?: number }): Promise<CliResult> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: opts.cwd, env: { CI: 'true', ...opts.env }, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const e = err as { code?: unknown; killed?: boolean; signal?: string | null } | null;
        // A process that had to be killed did not exit by itself: a hang, whatever it printed.
        if (e?.killed && e.signal === 'SIGKILL') {
          resolve({ code: HUNG, stdout: String(stdout), stderr: `${String(stderr)}\n[runCli: mcpctl ${args.join(' ')} did not exit within ${timeoutMs} ms and was killed]` });
          return;
        }
        const code = e ? (typeof e.code === 'number' ? e.code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
  });
}

/** Environment pointing mcpctl at a cluster as the app user. */
export function pgEnv(info: { host: string; port: number }, vars: Record<string, string> = {}): Record<string, string> {
  return { POSTGRES_HOST: info.host, POSTGRES_PORT: String(info.port), POSTGRES_SSLMODE: 'disable', ...vars };
}

/** A writable stream stand-in that collects text. */
export class Collect {
  text = '';
  isTTY = false;
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

/**
 * Runs mcpctl in this process through `main()` (fast, and counted by coverage).
 * Use `runCli` instead when the test needs a real process (signals, argv, ps).
 */
export async function runMain(args: string[], opts: { cwd: string; env: Record<string, string>; home?: string; signal?: AbortSignal }): Promise<CliResult> {
  const { main } = await import('../../src/main.js');
  const stdout = new Collect();
  const stderr = new Collect();
  const code = await main({
    argv: args,
    cwd: opts.cwd,
    env: { CI: 'true', ...opts.env },
    home: opts.home ?? opts.env.HOME ?? '/nonexistent',
    stdout,
    stderr,
    stdinIsTTY: false,
    signal: opts.signal ?? new AbortController().signal,
    runtime: { platform: process.platform, execPath: process.execPath, nodeVersion: process.version, arch: process.arch, uid: process.getuid?.() },
  });
  return { code, stdout: stdout.text, stderr: stderr.text };
}
