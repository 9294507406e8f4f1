/**
 * `mcpctl db stop` and `mcpctl db destroy`. Stop is a fast shutdown (clients are disconnected,
 * the data is kept); destroy stops the server and deletes the cluster's folder after the word
 * `destroy` is typed or given with `--confirm destroy`. Downloaded binaries stay in the cache.
 */
import { promises as fs } from 'node:fs';
import { UserError } from '../../lib/cli/errors.js';
import { dataMajor, isInitialised, readLocalState, withLocalLock, type LocalLayout } from '../../lib/local-pg/cluster.js';
import { binDirVersion, findServerBinaries } from '../../lib/local-pg/binaries.js';
import { pgCtlStop, postmasterState, serverUser, type ServerTools } from './server.js';
import { describeCluster, layoutFor, type ClusterStatus, type DbDeps } from './status.js';
import { signalProcess } from '../../lib/process/liveness.js';

export interface DbStopResult extends ClusterStatus {
  changed: boolean;
}

export async function runDbStop(deps: DbDeps): Promise<DbStopResult> {
  const l = layoutFor(deps);
  if (!isInitialised(l) || !postmasterState(l.dataDir)) return { ...(await describeCluster(deps, l)), changed: false };
  return withLocalLock(
    l,
    async () => {
      const changed = await stopServer(deps, l, 'fast');
      return { ...(await describeCluster(deps, l)), changed };
    },
    { signal: deps.ctx.signal },
  );
}

/** Stops the server when it runs; returns whether it did. */
async function stopServer(deps: DbDeps, l: LocalLayout, mode: 'fast' | 'immediate'): Promise<boolean> {
  if (!postmasterState(l.dataDir)) return false;
  const tools: ServerTools = { binDir: await stopBinDir(deps, l), runAs: await serverUser(deps.ctx.runtime.uid), env: deps.ctx.env, log: deps.log };
  deps.onProgress?.('stopping the local cluster');
  await pgCtlStop(tools, l.dataDir, mode);
  return true;
}

/** pg_ctl of the data folder's major: the recorded one, else any installed one. */
async function stopBinDir(deps: DbDeps, l: LocalLayout): Promise<string> {
  const major = dataMajor(l);
  const recorded = readLocalState(l)?.binDir;
  if (recorded && (await binDirVersion(recorded, deps.ctx.env))?.major === major) return recorded;
  const found = await findServerBinaries({ env: deps.ctx.env, home: deps.ctx.home, major });
  if (found) return found.dir;
  throw new UserError(`no PostgreSQL ${major} pg_ctl found to stop the local cluster`, { hint: `install PostgreSQL ${major}, or set MCPCTL_PG_BIN to its bin folder` });
}

export interface DbDestroyDeps extends DbDeps {
  /** The typed confirmation: resolves when "destroy" was typed or given, throws RefusedError otherwise. */
  confirm: (message: string) => Promise<void>;
}

export interface DbDestroyResult {
  destroyed: boolean;
  /** The folder deleted (or that would have been). */
  base: string;
  wasRunning: boolean;
}

export async function runDbDestroy(deps: DbDestroyDeps): Promise<DbDestroyResult> {
  const l = layoutFor(deps);
  const exists = await fs.stat(l.base).then(() => true, () => false);
  if (!exists) return { destroyed: false, base: l.base, wasRunning: false };
  const running = isInitialised(l) && postmasterState(l.dataDir) !== undefined;
  await deps.confirm(`This stops the local cluster${running ? ' (running now)' : ''} and deletes ${l.base} with every database in it.`);
  return withLocalLock(
    l,
    async () => {
      if (running) {
        // A server that won't stop in time is stopped like a crash: its data is deleted anyway.
        // Without a pg_ctl of its major, SIGQUIT is PostgreSQL's own immediate shutdown.
        await stopServer(deps, l, 'fast')
          .catch(() => stopServer(deps, l, 'immediate'))
          .catch(() => quit(l));
      }
      await fs.rm(l.base, { recursive: true, force: true });
      return { destroyed: true, base: l.base, wasRunning: running };
    },
    { signal: deps.ctx.signal },
  );
}

/** Immediate shutdown by signal, waiting (up to 30 s) for the postmaster to go. */
async function quit(l: LocalLayout): Promise<void> {
  const pm = postmasterState(l.dataDir);
  if (!pm) return;
  signalProcess(pm.pid, 'SIGQUIT');
  for (let i = 0; i < 300 && postmasterState(l.dataDir); i++) await new Promise((r) => setTimeout(r, 100));
  if (postmasterState(l.dataDir)) throw new UserError(`the local cluster (pid ${pm.pid}) did not stop; nothing was deleted`, { hint: `stop it (kill ${pm.pid}) and run destroy again` });
}
