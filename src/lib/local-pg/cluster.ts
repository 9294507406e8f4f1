/**
 * Where the user's local cluster (`mcpctl db`) lives and what mcpctl records about it:
 * $XDG_DATA_HOME/mcpctl/postgres/ (default ~/.local/share/mcpctl/postgres/) holding data/,
 * sock/ (the private socket folder), server.log, superuser.pgpass (0600) and cluster.json.
 * Used by `db`, `setup-db --local` and backup (which prefers the cluster's own pg_dump).
 */
import { constants, existsSync, promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../files/atomic-write.js';
import { UserError } from '../cli/errors.js';
import { ownPid, processAlive } from '../process/liveness.js';

type Env = Readonly<Record<string, string | undefined>>;

/** The default port: outside 5432, so that it never collides with a system server. */
export const DEFAULT_LOCAL_PORT = 54329;
export const LOCAL_SUPERUSER = 'postgres';
export const LOCAL_HOST = '127.0.0.1';

/** Paths of the local cluster. */
export interface LocalLayout {
  /** $XDG_DATA_HOME/mcpctl/postgres */
  base: string;
  dataDir: string;
  socketDir: string;
  logFile: string;
  /** libpq password file with the superuser's password (mode 0600). */
  passwordFile: string;
  stateFile: string;
  lockFile: string;
}

export function localLayout(env: Env, home: string): LocalLayout {
  const xdg = env.XDG_DATA_HOME && path.isAbsolute(env.XDG_DATA_HOME) ? env.XDG_DATA_HOME : path.join(home, '.local', 'share');
  const base = path.join(xdg, 'mcpctl', 'postgres');
  return {
    base,
    dataDir: path.join(base, 'data'),
    socketDir: path.join(base, 'sock'),
    logFile: path.join(base, 'server.log'),
    passwordFile: path.join(base, 'superuser.pgpass'),
    stateFile: path.join(base, 'cluster.json'),
    lockFile: path.join(path.dirname(base), 'postgres.lock'),
  };
}

/** What mcpctl records about the cluster (cluster.json). */
export interface LocalState {
  port: number;
  binDir: string;
  version: string;
  superuser: string;
}

export function readLocalState(l: LocalLayout): LocalState | undefined {
  try {
    const s = JSON.parse(readFileSync(l.stateFile, 'utf8')) as Partial<LocalState>;
    if (typeof s.port !== 'number' || typeof s.binDir !== 'string') return undefined;
    return { port: s.port, binDir: s.binDir, version: String(s.version ?? ''), superuser: s.superuser ?? LOCAL_SUPERUSER };
  } catch {
    return undefined;
  }
}

export async function writeLocalState(l: LocalLayout, s: LocalState): Promise<void> {
  await writeFileAtomic(l.stateFile, JSON.stringify(s, null, 2) + '\n', { mode: 0o644 });
}

/** The data folder's major (PG_VERSION), or undefined when the cluster was never initialised. */
export function dataMajor(l: LocalLayout): number | undefined {
  try {
    return Number(readFileSync(path.join(l.dataDir, 'PG_VERSION'), 'utf8').trim()) || undefined;
  } catch {
    return undefined;
  }
}

/** The superuser password from the cluster's password file (`*:*:*:postgres:<password>`). */
export function readSuperuserPassword(l: LocalLayout): string | undefined {
  try {
    const line = readFileSync(l.passwordFile, 'utf8').split('\n').find((x) => x.startsWith('*:*:*:'));
    return line?.split(':').slice(4).join(':') || undefined;
  } catch {
    return undefined;
  }
}

/** Writes the password file atomically, 0600 from creation (the password is URL- and pgpass-safe). */
export async function writeSuperuserPassword(l: LocalLayout, superuser: string, password: string): Promise<void> {
  await writeFileAtomic(l.passwordFile, `# mcpctl local cluster: superuser password (libpq password file)\n*:*:*:${superuser}:${password}\n`, { mode: 0o600 });
}

/** A libpq URL for the cluster that holds no password: libpq reads it from `passfile`. */
export function localUrl(l: LocalLayout, port: number, database = 'postgres', user = LOCAL_SUPERUSER): string {
  return `postgresql://${encodeURIComponent(user)}@${LOCAL_HOST}:${port}/${encodeURIComponent(database)}?passfile=${encodeURIComponent(l.passwordFile).replace(/%2F/g, '/')}`;
}

/**
 * One mcpctl at a time changes the cluster (two projects running `setup-db --local` together
 * must not both run initdb). A lock file holding our pid; one left by a dead process is taken over.
 */
export async function withLocalLock<T>(l: LocalLayout, fn: () => Promise<T>, opts: { waitMs?: number; signal?: AbortSignal } = {}): Promise<T> {
  await fs.mkdir(path.dirname(l.lockFile), { recursive: true, mode: 0o755 });
  const deadline = Date.now() + (opts.waitMs ?? 180_000);
  for (;;) {
    try {
      const fh = await fs.open(l.lockFile, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
      await fh.writeFile(String(ownPid()));
      await fh.close();
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = Number(await fs.readFile(l.lockFile, 'utf8').catch(() => ''));
      if (!holder || !processAlive(holder)) {
        // Stale: its owner died. Removed only under a second lock and only if it still names
        // that owner, so that two takers never delete each other's fresh lock.
        if (holder) await removeStaleLock(l.lockFile, holder);
        else await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      if (Date.now() > deadline || opts.signal?.aborted) {
        throw new UserError(`another mcpctl (pid ${holder}) is changing the local cluster`, { hint: `wait for it to finish; if no mcpctl runs, delete ${l.lockFile}` });
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    return await fn();
  } finally {
    await fs.rm(l.lockFile, { force: true });
  }
}

async function removeStaleLock(lockFile: string, holder: number): Promise<void> {
  const guard = `${lockFile}.takeover`;
  try {
    await (await fs.open(guard, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644)).close();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    // Another process is taking over; a guard left by one that died is old.
    const age = Date.now() - ((await fs.stat(guard).catch(() => undefined))?.mtimeMs ?? Date.now());
    if (age > 10_000) await fs.rm(guard, { force: true });
    await new Promise((r) => setTimeout(r, 20));
    return;
  }
  try {
    if (Number(await fs.readFile(lockFile, 'utf8').catch(() => '')) === holder) await fs.rm(lockFile, { force: true });
  } finally {
    await fs.rm(guard, { force: true });
  }
}

/** True when the cluster's data folder exists and is complete (initdb finished). */
export function isInitialised(l: LocalLayout): boolean {
  return existsSync(path.join(l.dataDir, 'PG_VERSION'));
}
