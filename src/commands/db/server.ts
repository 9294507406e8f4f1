/**
 * The PostgreSQL server's own lifecycle steps — initdb, configuration, pg_ctl start/stop, the
 * postmaster.pid — shared by `mcpctl db`, the test harness and the benchmarks. As root, every
 * server program runs as an unprivileged OS user, because PostgreSQL refuses to run as root.
 */
import { existsSync, promises as fs, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { execCapture, type ExecResult } from '../../lib/process/exec.js';
import { UserError } from '../../lib/cli/errors.js';
import { ownPid, processAlive } from '../../lib/process/liveness.js';

/** The OS user the server runs as when mcpctl is root. */
export interface RunAs {
  uid: number;
  gid: number;
  name: string;
}

/** True when `uid` (this process's, `ctx.runtime.uid`) is root: PostgreSQL's initdb and postgres refuse to run as root. */
export function isRoot(uid: number | undefined): boolean {
  return uid === 0;
}

/**
 * The unprivileged user the server runs as when we (`uid`, `ctx.runtime.uid`) are root
 * (`postgres`), or undefined when we are not root. Refuses, with a hint, when no such user exists.
 */
export async function serverUser(uid: number | undefined, names: readonly string[] = ['postgres']): Promise<RunAs | undefined> {
  if (!isRoot(uid)) return undefined;
  const passwd = await fs.readFile('/etc/passwd', 'utf8').catch(() => '');
  for (const name of names) {
    const line = passwd.split('\n').find((l) => l.startsWith(name + ':'));
    if (line) {
      const [, , uid, gid] = line.split(':');
      return { uid: Number(uid), gid: Number(gid), name };
    }
  }
  throw new UserError('running as root, and there is no unprivileged "postgres" OS user to run the server as (PostgreSQL refuses to run as root)', {
    hint: 'run mcpctl as an ordinary user, or create the user: useradd --system --home-dir /var/lib/postgresql postgres',
  });
}

/**
 * True when `who` can enter `dir` (search permission on it and on every folder above it).
 * The mode bits answer most cases without a process; when they say no (supplementary groups
 * and ACLs can still allow it) the kernel is asked: a `cd` run as that user.
 */
export async function canReach(dir: string, who: RunAs): Promise<boolean> {
  if (searchableByModeBits(dir, who)) return true;
  const r = await execCapture('/bin/sh', ['-c', 'cd -- "$1"', 'sh', dir], { cwd: '/', env: { PATH: '/usr/bin:/bin' }, uid: who.uid, gid: who.gid, timeoutMs: 10_000 });
  return r.exitCode === 0;
}

function searchableByModeBits(dir: string, who: RunAs): boolean {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    let st;
    try {
      st = statSync(d);
    } catch {
      return false;
    }
    const ok = st.mode & 0o001 || (st.uid === who.uid && st.mode & 0o100) || (st.gid === who.gid && st.mode & 0o010);
    if (!ok) return false;
    if (d === path.dirname(d)) return true;
  }
}

/** The deepest folder of `p` (itself or an ancestor) that exists. */
export function existingAncestor(p: string): string {
  let d = path.resolve(p);
  while (!existsSync(d) && d !== path.dirname(d)) d = path.dirname(d);
  return d;
}

/** A port that was free a moment ago on 127.0.0.1 (0 → any). */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.unref();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** Any free port on 127.0.0.1, chosen by the kernel. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** `start`, or the next free port after it (up to `tries` ports). */
export async function firstFreePort(start: number, tries = 100): Promise<number> {
  for (let p = start; p < start + tries && p <= 65535; p++) if (await portIsFree(p)) return p;
  throw new UserError(`no free port from ${start} to ${Math.min(start + tries - 1, 65535)} on 127.0.0.1`, { hint: 'stop what listens there, or choose another port with --port' });
}

/** What a server program needs to run: its folder, the OS user when we are root, and where PATH and TZ come from. */
export interface ServerTools {
  binDir: string;
  runAs?: RunAs;
  /** The run's environment: server programs get only its PATH and TZ (and a C locale). */
  env: Readonly<Record<string, string | undefined>>;
  log?: (line: string) => void;
}

/** Runs a server program (initdb, pg_ctl, postgres) as the server's user, in a clean C-locale environment. */
export async function serverExec(t: ServerTools, tool: string, args: string[], opts: { cwd: string; timeoutMs?: number } = { cwd: '/' }): Promise<ExecResult> {
  const r = await execCapture(path.join(t.binDir, tool), args, {
    cwd: opts.cwd,
    env: { PATH: t.env.PATH, LC_ALL: 'C', LANG: 'C', HOME: opts.cwd, TZ: t.env.TZ },
    uid: t.runAs?.uid,
    gid: t.runAs?.gid,
    timeoutMs: opts.timeoutMs ?? 120_000,
    log: t.log,
  });
  if (r.exitCode !== 0) throw new UserError(`${tool} failed (${r.exitCode ?? r.signal}): ${(r.stderr || r.stdout).trim()}`, { hint: 'see the message above; the server log may say more' });
  return r;
}

/** Makes `p` (a file or folder we created) belong to the server's user. */
export async function giveToServer(t: ServerTools, p: string): Promise<void> {
  if (t.runAs) await fs.chown(p, t.runAs.uid, t.runAs.gid);
}

export interface InitdbOptions {
  dataDir: string;
  superuser: string;
  password: string;
  /** Locale for the new cluster; undefined → C (no locale), which every system has. */
  locale?: string;
}

/**
 * initdb with scram-sha-256 for local and TCP connections. The password reaches initdb in a
 * 0600 file that exists only while it runs (never in argv). `--no-sync`: a fresh cluster has
 * nothing worth the seconds of fsync; the first checkpoint writes it durably.
 */
export async function initdb(t: ServerTools, o: InitdbOptions): Promise<void> {
  const parent = path.dirname(o.dataDir);
  await fs.mkdir(o.dataDir, { mode: 0o700 });
  await giveToServer(t, o.dataDir);
  const pwfile = path.join(parent, `.initdb-pw-${ownPid()}`);
  await fs.writeFile(pwfile, o.password + '\n', { mode: 0o600 });
  try {
    await giveToServer(t, pwfile);
    const locale = o.locale ? [`--locale=${o.locale}`] : ['--no-locale'];
    await serverExec(t, 'initdb', ['-D', o.dataDir, '-U', o.superuser, '--pwfile', pwfile, '--auth=scram-sha-256', ...locale, '-E', 'UTF8', '--no-sync', '--no-instructions'], { cwd: parent });
  } finally {
    await fs.rm(pwfile, { force: true });
  }
}

/** Settings written to a file postgresql.conf includes; ALTER SYSTEM (auto.conf) still wins. */
export async function writeServerSettings(t: ServerTools, dataDir: string, file: string, settings: Record<string, string | number>): Promise<void> {
  const conf = path.join(dataDir, 'postgresql.conf');
  const main = await fs.readFile(conf, 'utf8');
  const include = `include_if_exists = '${file}'`;
  if (!main.includes(include)) await fs.appendFile(conf, `\n# Added by mcpctl: its settings live in ${file}.\n${include}\n`);
  const body = Object.entries(settings)
    .map(([k, v]) => `${k} = '${String(v).replace(/'/g, "''")}'`)
    .join('\n');
  const target = path.join(dataDir, file);
  await fs.writeFile(target, `# Written by mcpctl on every start; edit with ALTER SYSTEM instead.\n${body}\n`, { mode: 0o600 });
  await giveToServer(t, target);
}

/**
 * Starts the server and waits until it accepts connections. pg_ctl puts the postmaster in its
 * own session, so it outlives mcpctl and a Ctrl-C in mcpctl's terminal does not reach it.
 */
export async function pgCtlStart(t: ServerTools, dataDir: string, logFile: string, timeoutS = 60): Promise<void> {
  await serverExec(t, 'pg_ctl', ['-D', dataDir, '-l', logFile, '-w', '-t', String(timeoutS), 'start'], { cwd: path.dirname(dataDir), timeoutMs: (timeoutS + 10) * 1000 });
}

/**
 * Starts the postmaster directly, as pg_ctl does (its own session, output appended to the log),
 * and waits for postmaster.pid to say "ready", looking every 10 ms instead of pg_ctl's 100 ms:
 * `db start` on a fresh HOME is mostly initdb and this wait. Fails with the log's end when
 * the server exits or does not become ready in time.
 */
export async function startPostmaster(t: ServerTools, dataDir: string, logFile: string, timeoutS = 60): Promise<void> {
  const { spawn } = await import('node:child_process');
  const fd = await fs.open(logFile, 'a');
  let exited: number | string | null | undefined;
  try {
    t.log?.(`$ ${path.join(t.binDir, 'postgres')} -D ${dataDir}  (detached, log ${logFile})`);
    const child = spawn(path.join(t.binDir, 'postgres'), ['-D', dataDir], {
      cwd: path.dirname(dataDir),
      env: { PATH: t.env.PATH, LC_ALL: 'C', LANG: 'C', TZ: t.env.TZ },
      uid: t.runAs?.uid,
      gid: t.runAs?.gid,
      detached: true,
      stdio: ['ignore', fd.fd, fd.fd],
    });
    child.on('exit', (code, signal) => (exited = code ?? signal));
    child.on('error', (e) => (exited = e.message));
    child.unref();
  } finally {
    await fd.close();
  }
  const deadline = Date.now() + timeoutS * 1000;
  for (;;) {
    const pm = postmasterState(dataDir);
    if (pm?.status === 'ready') return;
    if (exited !== undefined || Date.now() > deadline) {
      const tail = (await fs.readFile(logFile, 'utf8').catch(() => '')).trim().split('\n').slice(-5).join('\n');
      throw new UserError(`the server ${exited !== undefined ? `exited (${exited})` : `was not ready within ${timeoutS} s`}${tail ? `; the end of ${logFile}:\n${tail}` : ''}`, { hint: `see ${logFile}` });
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Stops the server (fast: disconnects clients; immediate: like a crash, for clean-up). */
export async function pgCtlStop(t: ServerTools, dataDir: string, mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
  await serverExec(t, 'pg_ctl', ['-D', dataDir, '-m', mode, '-w', '-t', '60', 'stop'], { cwd: path.dirname(dataDir), timeoutMs: 70_000 });
}

/** What postmaster.pid says about a running server. */
export interface PostmasterState {
  pid: number;
  port: number;
  socketDir: string;
  /** "ready", "starting", "stopping", "standby" (PostgreSQL ≥ 10). */
  status: string;
}

/**
 * Reads postmaster.pid and checks that its process is alive, without spawning anything (the
 * fast path of `db start` on a running server). Undefined when the server is not running.
 */
export function postmasterState(dataDir: string): PostmasterState | undefined {
  let text: string;
  try {
    text = readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8');
  } catch {
    return undefined;
  }
  const lines = text.split('\n');
  const pid = Number(lines[0]);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  // Alive also when it is someone else's (the server user's, when we are root).
  if (!processAlive(pid)) return undefined;
  // After a crash and a reboot the pid may belong to another program now.
  if (existsSync(`/proc/${pid}/cmdline`) && !/postgres|postmaster/.test(readFileSync(`/proc/${pid}/cmdline`, 'latin1'))) return undefined;
  return { pid, port: Number(lines[3]), socketDir: lines[4] ?? '', status: (lines[7] ?? '').trim() };
}
