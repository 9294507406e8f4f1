/**
 * Local throwaway PostgreSQL clusters: find the server binaries the way users' machines
 * have them, initdb with scram-sha-256, start on a free port with a private socket folder,
 * stop and delete. Used by the test harness and the benchmarks; when running as root the
 * server runs as an unprivileged OS user, because PostgreSQL refuses to run as root.
 */
import { existsSync, promises as fs, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { run, type RunOptions } from './process/exec.js';

type Env = Readonly<Record<string, string | undefined>>;

/** Where the server binaries are. */
export async function findPgBindir(env: Env = process.env): Promise<string> {
  const has = (dir: string) => existsSync(path.join(dir, 'initdb')) && existsSync(path.join(dir, 'pg_ctl')) && existsSync(path.join(dir, 'postgres'));
  const cfg = await run('pg_config', ['--bindir'], { cwd: os.tmpdir(), env }).catch(() => undefined);
  if (cfg && cfg.exitCode === 0 && has(cfg.stdout.trim())) return cfg.stdout.trim();
  for (const dir of (env.PATH ?? '').split(path.delimiter)) if (dir && has(dir)) return dir;
  const versioned = (root: string, re: RegExp) => {
    try {
      return readdirSync(root)
        .filter((d) => re.test(d))
        .sort((a, b) => Number(/\d+/.exec(b)?.[0] ?? 0) - Number(/\d+/.exec(a)?.[0] ?? 0))
        .map((d) => path.join(root, d, 'bin'));
    } catch {
      return [];
    }
  };
  const candidates = [
    ...versioned('/usr/lib/postgresql', /^\d+$/),
    ...versioned('/usr/pgsql', /^/),
    ...versioned('/opt/homebrew/opt', /^postgresql(@\d+)?$/),
    ...versioned('/usr/local/opt', /^postgresql(@\d+)?$/),
    '/Applications/Postgres.app/Contents/Versions/latest/bin',
  ];
  for (const dir of candidates) if (has(dir)) return dir;
  throw new Error('PostgreSQL server binaries (initdb, pg_ctl, postgres) not found: install the server package or put its bin folder on PATH');
}

/** The OS user the server runs as: ourselves, or an unprivileged user when we are root. */
export interface RunAs {
  uid: number;
  gid: number;
  name: string;
}

export async function serverUser(): Promise<RunAs | undefined> {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  const passwd = await fs.readFile('/etc/passwd', 'utf8');
  for (const name of ['postgres', 'nobody']) {
    const line = passwd.split('\n').find((l) => l.startsWith(name + ':'));
    if (line) {
      const [, , uid, gid] = line.split(':');
      return { uid: Number(uid), gid: Number(gid), name };
    }
  }
  throw new Error('running as root and no unprivileged "postgres" user exists to run the server');
}

/** A port that was free a moment ago on 127.0.0.1. */
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

/** How to reach a running cluster. */
export interface ClusterInfo {
  dataDir: string;
  socketDir: string;
  logFile: string;
  host: string;
  port: number;
  superuser: string;
  superuserPassword: string;
}

export interface InitOptions {
  /** Folder the cluster lives in (data/, sock/, server.log); created if missing. */
  baseDir: string;
  superuser?: string;
  superuserPassword: string;
  /** Copy this initialised data folder instead of running initdb (≈ 40 ms instead of ≈ 1 s). */
  templateDataDir?: string;
  env?: Env;
}

export interface StartOptions {
  port?: number;
  /** Extra postgresql.conf settings (e.g. { log_statement: 'all' }). */
  settings?: Record<string, string | number>;
}

/** A throwaway cluster. `destroy()` stops it and deletes its folder. */
export class Cluster {
  readonly info: ClusterInfo;
  private readonly bindir: string;
  private readonly runAs: RunAs | undefined;
  private readonly env: Env;

  private constructor(info: ClusterInfo, bindir: string, runAs: RunAs | undefined, env: Env) {
    this.info = info;
    this.bindir = bindir;
    this.runAs = runAs;
    this.env = env;
  }

  /** Creates (initdb, or copies a template) without starting. */
  static async create(o: InitOptions): Promise<Cluster> {
    const env = o.env ?? process.env;
    const bindir = await findPgBindir(env);
    const runAs = await serverUser();
    const base = path.resolve(o.baseDir);
    await fs.mkdir(base, { recursive: true, mode: 0o755 });
    await fs.chmod(base, 0o755);
    const dataDir = path.join(base, 'data');
    const socketDir = path.join(base, 'sock');
    await fs.mkdir(socketDir, { recursive: true });
    const superuser = o.superuser ?? 'postgres';
    const info: ClusterInfo = { dataDir, socketDir, logFile: path.join(base, 'server.log'), host: '127.0.0.1', port: 0, superuser, superuserPassword: o.superuserPassword };
    const c = new Cluster(info, bindir, runAs, env);
    if (runAs) await fs.chown(socketDir, runAs.uid, runAs.gid);
    await fs.writeFile(info.logFile, '', { mode: 0o644 });
    if (runAs) await fs.chown(info.logFile, runAs.uid, runAs.gid);
    if (o.templateDataDir) {
      const r = await run('cp', ['-a', o.templateDataDir, dataDir], { cwd: base, env });
      if (r.exitCode !== 0) throw new Error(`copying the template cluster failed: ${r.stderr}`);
    } else {
      // initdb runs as the server's user and needs to own the (empty) data folder.
      await fs.mkdir(dataDir, { mode: 0o700 });
      if (runAs) await fs.chown(dataDir, runAs.uid, runAs.gid);
      const pwfile = path.join(base, '.pwfile');
      await fs.writeFile(pwfile, o.superuserPassword + '\n', { mode: 0o600 });
      if (runAs) await fs.chown(pwfile, runAs.uid, runAs.gid);
      try {
        await c.exec('initdb', ['-D', dataDir, '-U', superuser, '--pwfile', pwfile, '--auth=scram-sha-256', '--no-locale', '-E', 'UTF8', '--no-sync', '--no-instructions']);
      } finally {
        await fs.rm(pwfile, { force: true });
      }
    }
    return c;
  }

  private async exec(tool: string, args: string[], extra: Partial<RunOptions> = {}) {
    const r = await run(path.join(this.bindir, tool), args, {
      cwd: path.dirname(this.info.dataDir),
      env: { PATH: this.env.PATH, LC_ALL: 'C', LANG: 'C', HOME: path.dirname(this.info.dataDir) },
      uid: this.runAs?.uid,
      gid: this.runAs?.gid,
      timeoutMs: 60_000,
      ...extra,
    });
    if (r.exitCode !== 0) throw new Error(`${tool} failed (${r.exitCode ?? r.signal}): ${(r.stderr || r.stdout).trim()}`);
    return r;
  }

  /** Starts the server on `port` (a free one by default) and waits until it accepts connections. */
  async start(o: StartOptions = {}): Promise<ClusterInfo> {
    const port = o.port ?? (this.info.port || (await freePort()));
    this.info.port = port;
    const settings: Record<string, string | number> = {
      port,
      listen_addresses: '127.0.0.1',
      unix_socket_directories: this.info.socketDir,
      fsync: 'off',
      synchronous_commit: 'off',
      full_page_writes: 'off',
      max_connections: 100,
      shared_buffers: '32MB',
      ...o.settings,
    };
    // postgresql.auto.conf is read last, so these win over anything initdb wrote.
    const conf = Object.entries(settings)
      .map(([k, v]) => `${k} = '${String(v).replace(/'/g, "''")}'`)
      .join('\n');
    const auto = path.join(this.info.dataDir, 'postgresql.auto.conf');
    await fs.writeFile(auto, conf + '\n');
    if (this.runAs) await fs.chown(auto, this.runAs.uid, this.runAs.gid);
    await this.exec('pg_ctl', ['-D', this.info.dataDir, '-l', this.info.logFile, '-w', '-t', '60', 'start']);
    return this.info;
  }

  /** Stops the server (fast shutdown; `immediate` for a crash-like stop). */
  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    if (!existsSync(path.join(this.info.dataDir, 'postmaster.pid'))) return;
    await this.exec('pg_ctl', ['-D', this.info.dataDir, '-m', mode, '-w', '-t', '60', 'stop']);
  }

  /** Stops the server and deletes its folder. Safe to call twice. */
  async destroy(): Promise<void> {
    await this.stop('fast').catch(() => this.stop('immediate').catch(() => undefined));
    await fs.rm(path.dirname(this.info.dataDir), { recursive: true, force: true });
  }
}
