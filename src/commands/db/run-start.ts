/**
 * `mcpctl db start`: the user's cluster, created when missing, started when stopped, and left
 * alone when running. The running check reads postmaster.pid and spawns nothing, so a second
 * start costs milliseconds. Invariant at every step: `data/` exists only complete (initdb runs
 * in a temporary folder that is renamed), and the password file holds the superuser's password
 * whenever `data/` exists.
 */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { UserError } from '../../lib/cli/errors.js';
import {
  dataMajor,
  DEFAULT_LOCAL_PORT,
  isInitialised,
  LOCAL_SUPERUSER,
  readLocalState,
  readSuperuserPassword,
  withLocalLock,
  writeLocalState,
  writeSuperuserPassword,
  type LocalLayout,
} from '../../lib/local-pg/cluster.js';
import { generatePassword } from '../setup-db/password.js';
import { canReach, existingAncestor, firstFreePort, giveToServer, initdb, portIsFree, startPostmaster, postmasterState, serverUser, writeServerSettings, type RunAs, type ServerTools } from './server.js';
import { binariesForData, binariesForNew, type BinaryChoiceOptions } from './binaries.js';
import { describeCluster, layoutFor, type ClusterStatus, type DbDeps } from './status.js';
import type { DownloadPlan } from './download.js';
import { ownPid } from '../../lib/process/liveness.js';

export interface DbStartOptions extends BinaryChoiceOptions {
  /** Port to use when the cluster has none recorded yet (default 54329); busy → the next free one. */
  port?: number;
}

/** What `db start` did. */
export interface DbStartResult extends ClusterStatus {
  action: 'created' | 'started' | 'already-running';
  changed: boolean;
  downloaded?: { pkg: string; version: string; target: string };
  /** When the recorded port was busy and another was taken. */
  portMoved?: { from: number; to: number };
}

export async function runDbStart(deps: DbDeps, o: DbStartOptions = {}): Promise<DbStartResult> {
  const l = layoutFor(deps);
  // Fast path, before the lock: a running server needs nothing from us.
  const fast = await alreadyRunning(deps, l);
  if (fast) return fast;
  // As root, refuse before the first folder is made when the server's user can't reach it.
  const runAs = await serverUser(deps.ctx.runtime.uid);
  if (runAs) await checkReachable(runAs, 'data folder', l.base);
  return withLocalLock(l, async () => (await alreadyRunning(deps, l)) ?? startLocked(deps, l, o), { signal: deps.ctx.signal });
}

async function alreadyRunning(deps: DbDeps, l: LocalLayout): Promise<DbStartResult | undefined> {
  const pm = isInitialised(l) ? postmasterState(l.dataDir) : undefined;
  if (!pm || pm.status !== 'ready') return undefined;
  return { ...(await describeCluster(deps, l)), action: 'already-running', changed: false };
}

async function startLocked(deps: DbDeps, l: LocalLayout, o: DbStartOptions): Promise<DbStartResult> {
  const progress = deps.onProgress ?? (() => undefined);
  const bdeps = { env: deps.ctx.env, runtime: deps.ctx.runtime, home: deps.ctx.home, cwd: deps.ctx.cwd, log: deps.log, signal: deps.ctx.signal, confirmDownload: deps.confirmDownload, onProgress: progress, onNotice: deps.onNotice };
  const state = readLocalState(l);
  const major = dataMajor(l);
  const created = major === undefined;
  const runAs = await serverUser(deps.ctx.runtime.uid);
  const check = runAs ? (dir: string) => checkReachable(runAs, 'server binaries', dir) : undefined;
  const choice = created ? await binariesForNew({ ...bdeps, checkReachable: check }, o) : await binariesForData({ ...bdeps, checkReachable: check }, major, state, o);
  if (check) await check(choice.bin.dir);
  const tools: ServerTools = { binDir: choice.bin.dir, runAs, env: deps.ctx.env, log: deps.log };

  await prepareFolders(l, tools);
  if (created) {
    progress(`creating the local cluster (PostgreSQL ${choice.bin.version}) in ${l.dataDir}`);
    await createCluster(l, tools, deps.ctx);
  }
  const password = readSuperuserPassword(l);
  if (!password) {
    throw new UserError(`the local cluster's password file ${l.passwordFile} is missing or unreadable`, {
      hint: 'restore it, or start over with `mcpctl db destroy --confirm destroy` (deletes the cluster\'s data)',
    });
  }
  deps.ctx.secrets.add(password);

  const wanted = o.port ?? state?.port ?? DEFAULT_LOCAL_PORT;
  // An explicit --port is a demand; the recorded or default port is a preference.
  if (o.port !== undefined && !(await portIsFree(o.port))) {
    throw new UserError(`port ${o.port} on 127.0.0.1 is in use`, { hint: 'choose another with --port, or leave --port out to take the next free one' });
  }
  const port = await firstFreePort(wanted);
  await writeServerSettings(tools, l.dataDir, 'mcpctl.conf', {
    port,
    listen_addresses: '127.0.0.1',
    unix_socket_directories: l.socketDir,
    unix_socket_permissions: '0700',
    password_encryption: 'scram-sha-256',
  });
  progress(`starting PostgreSQL ${choice.bin.version} on 127.0.0.1:${port}`);
  await startPostmaster(tools, l.dataDir, l.logFile);
  await writeLocalState(l, { port, binDir: choice.bin.dir, version: choice.bin.version, superuser: readLocalState(l)?.superuser ?? LOCAL_SUPERUSER });
  const status = await describeCluster(deps, l);
  return {
    ...status,
    action: created ? 'created' : 'started',
    changed: true,
    ...(choice.downloaded ? { downloaded: pick(choice.downloaded) } : {}),
    ...(port !== wanted ? { portMoved: { from: wanted, to: port } } : {}),
  };
}

const pick = (p: DownloadPlan) => ({ pkg: p.pkg, version: p.version, target: p.target });

/**
 * As root the server runs as `postgres`, which must reach the data folder and the binaries.
 * Checked before anything is created there, so a refusal changes nothing. Names the first
 * folder on the way that stops it.
 */
async function checkReachable(who: RunAs, what: 'data folder' | 'server binaries', dir: string): Promise<void> {
  const probe = existingAncestor(dir);
  if (await canReach(probe, who)) return;
  let blocker = probe;
  const parts = probe.split(path.sep).filter(Boolean);
  for (let i = 1; i <= parts.length; i++) {
    const d = path.sep + parts.slice(0, i).join(path.sep);
    if (!(await canReach(d, who))) {
      blocker = d;
      break;
    }
  }
  const env = what === 'data folder' ? 'XDG_DATA_HOME' : 'XDG_CACHE_HOME';
  throw new UserError(`the server runs as the OS user "${who.name}" (PostgreSQL refuses to run as root), and that user cannot enter ${blocker}, on the way to the ${what} ${dir}`, {
    hint: `let it through (chmod o+x ${blocker}), or set ${env} to a folder ${who.name} can reach (e.g. ${env}=/var/lib/mcpctl)`,
    details: { user: who.name, folder: blocker },
  });
}

/** Folders: the base (the password file lives there), the private socket folder, the log. */
async function prepareFolders(l: LocalLayout, t: ServerTools): Promise<void> {
  await fs.mkdir(path.dirname(l.base), { recursive: true, mode: 0o755 });
  // As root the server's user must pass through the base folder to reach data/ and sock/.
  await fs.mkdir(l.base, { recursive: true, mode: 0o700 });
  await fs.chmod(l.base, t.runAs ? 0o711 : 0o700);
  await fs.mkdir(l.socketDir, { recursive: true, mode: 0o700 });
  await giveToServer(t, l.socketDir);
  if (!existsSync(l.logFile)) await fs.writeFile(l.logFile, '', { mode: 0o600 });
  await giveToServer(t, l.logFile);
  // A half-made cluster from an interrupted initdb.
  for (const f of await fs.readdir(l.base)) if (f.startsWith('data.init-')) await fs.rm(path.join(l.base, f), { recursive: true, force: true });
}

/** initdb into a temporary folder, then one rename: `data/` is never half-made. */
async function createCluster(l: LocalLayout, t: ServerTools, ctx: Pick<DbDeps['ctx'], 'secrets' | 'runtime'>): Promise<void> {
  const password = generatePassword();
  ctx.secrets.add(password);
  await writeSuperuserPassword(l, LOCAL_SUPERUSER, password);
  const tmp = `${l.dataDir}.init-${ownPid()}`;
  const linux = ctx.runtime.platform === 'linux';
  try {
    // C.UTF-8 gives Unicode-aware upper()/lower() where the system has it; C otherwise.
    await initdb(t, { dataDir: tmp, superuser: LOCAL_SUPERUSER, password, locale: linux ? 'C.UTF-8' : undefined }).catch(async (e) => {
      if (!linux) throw e;
      await fs.rm(tmp, { recursive: true, force: true });
      await initdb(t, { dataDir: tmp, superuser: LOCAL_SUPERUSER, password });
    });
    await fs.rename(tmp, l.dataDir);
  } catch (e) {
    await fs.rm(tmp, { recursive: true, force: true });
    throw e;
  }
}
