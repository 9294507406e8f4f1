/**
 * `mcpctl db status` and `db url`, and the description of the cluster every `db` command
 * returns. Status reads files only (postmaster.pid, cluster.json, PG_VERSION): no server
 * program is run, so it answers in milliseconds whether the server runs or not.
 */
import type { Context } from '../../lib/cli/context.js';
import { UserError } from '../../lib/cli/errors.js';
import { dataMajor, isInitialised, LOCAL_HOST, LOCAL_SUPERUSER, localLayout, localUrl, readLocalState, type LocalLayout } from '../../lib/local-pg/cluster.js';
import type { DownloadPlan } from './download.js';
import { postmasterState } from './server.js';

/** What every `db` core receives. */
export interface DbDeps {
  ctx: Pick<Context, 'env' | 'home' | 'cwd' | 'signal' | 'stdinIsTTY' | 'ci' | 'secrets' | 'runtime'>;
  log?: (line: string) => void;
  onProgress?: (text: string) => void;
  /** Lines shown even without a terminal (a download and its size). */
  onNotice?: (text: string) => void;
  /** Asked before downloading server binaries when `--download` was not given (TTY only). */
  confirmDownload?: (plan: DownloadPlan) => Promise<boolean>;
}

export const layoutFor = (deps: DbDeps): LocalLayout => localLayout(deps.ctx.env, deps.ctx.home);

/** The cluster as `db status --json` shows it. */
export interface ClusterStatus {
  /** The data folder exists (initdb ran). */
  initialised: boolean;
  running: boolean;
  /** Server version ("15.14"; the data folder's major when never started by this mcpctl). */
  version: string | null;
  port: number | null;
  host: string;
  dataDir: string;
  binDir: string | null;
  socketDir: string;
  logFile: string;
  superuser: string;
  /** libpq password file holding the superuser's password (mode 0600). */
  passwordFile: string;
  /** A libpq URL without the password (libpq reads it from `passfile`); null before the first start. */
  url: string | null;
  pid: number | null;
}

export async function describeCluster(deps: DbDeps, l: LocalLayout = layoutFor(deps)): Promise<ClusterStatus> {
  const initialised = isInitialised(l);
  const state = readLocalState(l);
  const pm = initialised ? postmasterState(l.dataDir) : undefined;
  const port = pm?.port || state?.port || null;
  const major = dataMajor(l);
  return {
    initialised,
    running: pm !== undefined,
    version: initialised ? (state?.version && Number.parseInt(state.version) === major ? state.version : String(major)) : null,
    port,
    host: LOCAL_HOST,
    dataDir: l.dataDir,
    binDir: state?.binDir ?? null,
    socketDir: l.socketDir,
    logFile: l.logFile,
    superuser: state?.superuser ?? LOCAL_SUPERUSER,
    passwordFile: l.passwordFile,
    url: initialised && port ? localUrl(l, port) : null,
    pid: pm?.pid ?? null,
  };
}

export async function runDbStatus(deps: DbDeps): Promise<ClusterStatus> {
  return describeCluster(deps);
}

export interface DbUrlOptions {
  /** Database in the URL (default postgres). */
  database?: string;
}

/** The URL of the cluster (no password in it). Exit 1 with a hint when there is no cluster yet. */
export async function runDbUrl(deps: DbDeps, o: DbUrlOptions = {}): Promise<{ url: string; running: boolean }> {
  const l = layoutFor(deps);
  const s = await describeCluster(deps, l);
  if (!s.initialised || !s.port) throw new UserError(`there is no local cluster yet (looked in ${l.base})`, { hint: 'create and start it: mcpctl db start' });
  return { url: localUrl(l, s.port, o.database), running: s.running };
}
