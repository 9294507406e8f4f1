/**
 * Finding PostgreSQL server binaries (initdb, pg_ctl, postgres) the way users' machines have
 * them: MCPCTL_PG_BIN, `pg_config --bindir`, PATH, Debian/Ubuntu's /usr/lib/postgresql/<major>/bin
 * (newest first), RPM's /usr/pgsql-<major>/bin, Homebrew, Postgres.app, and finally the
 * binaries `mcpctl db start --download` fetched into the cache.
 */
import { existsSync, promises as fs, readdirSync, realpathSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execCapture } from '../process/exec.js';
import { UsageError } from '../cli/errors.js';
import { parseVersion } from '../pg/versions.js';

type Env = Readonly<Record<string, string | undefined>>;

/** A folder holding initdb, pg_ctl and postgres, with the server's version. */
export interface PgBinDir {
  /** The real folder of the `postgres` binary (symlinks resolved). */
  dir: string;
  /** Full version, e.g. "15.14". */
  version: string;
  major: number;
  /** Where it was found: "MCPCTL_PG_BIN", "pg_config", "PATH", "installed", "download". */
  source: string;
}

const SERVER_TOOLS = ['initdb', 'pg_ctl', 'postgres'] as const;

/** True when `dir` holds the three server programs. */
export function hasServerTools(dir: string): boolean {
  return SERVER_TOOLS.every((t) => existsSync(path.join(dir, t)));
}

/** `dir`'s realpath through its `postgres` binary: /usr/local/bin → /usr/lib/postgresql/15/bin. */
function realBinDir(dir: string): string {
  try {
    const real = path.dirname(realpathSync(path.join(dir, 'postgres')));
    return hasServerTools(real) ? real : dir;
  } catch {
    return dir;
  }
}

/** Sub-folders of `root` matching `re`, newest major first, as `<root>/<d>/<sub>`. */
function versioned(root: string, re: RegExp, sub = 'bin'): string[] {
  try {
    return readdirSync(root)
      .filter((d) => re.test(d))
      .sort((a, b) => Number(/\d+/.exec(b)?.[0] ?? 0) - Number(/\d+/.exec(a)?.[0] ?? 0))
      .map((d) => path.join(root, d, sub));
  } catch {
    return [];
  }
}

/** The cache folder for downloaded server binaries ($XDG_CACHE_HOME/mcpctl/postgres). */
export function pgCacheDir(env: Env, home: string): string {
  const base = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(home, '.cache');
  return path.join(base, 'mcpctl', 'postgres');
}

/** Downloaded binaries in the cache, newest major first. */
export function cachedBinDirs(env: Env, home: string): string[] {
  return versioned(pgCacheDir(env, home), /^\d+\.\d+/, 'bin');
}

/** Candidate folders in order of preference, each with where it came from (unchecked, may repeat). */
export async function candidateBinDirs(env: Env, home = env.HOME ?? os.homedir()): Promise<{ dir: string; source: string }[]> {
  const out: { dir: string; source: string }[] = [];
  if (env.MCPCTL_PG_BIN) out.push({ dir: env.MCPCTL_PG_BIN, source: 'MCPCTL_PG_BIN' });
  const cfg = await execCapture('pg_config', ['--bindir'], { cwd: os.tmpdir(), env, timeoutMs: 10_000 }).catch(() => undefined);
  if (cfg && cfg.exitCode === 0 && cfg.stdout.trim()) out.push({ dir: cfg.stdout.trim(), source: 'pg_config' });
  for (const dir of (env.PATH ?? '').split(path.delimiter)) if (dir) out.push({ dir, source: 'PATH' });
  const installed = [
    ...versioned('/usr/lib/postgresql', /^\d+$/),
    ...versioned('/usr', /^pgsql-\d+$/),
    ...versioned('/opt/homebrew/opt', /^postgresql(@\d+)?$/),
    ...versioned('/usr/local/opt', /^postgresql(@\d+)?$/),
    ...versioned('/Applications/Postgres.app/Contents/Versions', /^\d+$/),
  ];
  for (const dir of installed) out.push({ dir, source: 'installed' });
  for (const dir of cachedBinDirs(env, home)) out.push({ dir, source: 'download' });
  return out;
}

/** The server version of the binaries in `dir` (`postgres --version`, with the run's PATH), or undefined. */
export async function binDirVersion(dir: string, env: Env): Promise<{ version: string; major: number } | undefined> {
  const r = await execCapture(path.join(dir, 'postgres'), ['--version'], { cwd: os.tmpdir(), env: { PATH: env.PATH, LC_ALL: 'C' }, timeoutMs: 10_000 }).catch(() => undefined);
  if (!r || r.exitCode !== 0) return undefined;
  const v = parseVersion(r.stdout.replace(/^[^)]*\)/, ''));
  if (!v) return undefined;
  return { version: v.minor || v.major < 10 ? `${v.major}.${v.minor}` : String(v.major), major: v.major };
}

/** Options for choosing server binaries. */
export interface FindBinOptions {
  env: Env;
  home?: string;
  /** Only binaries of this major (an existing data folder can be run only by its own major). */
  major?: number;
  /** Skip older majors (mcpctl supports PostgreSQL 14 and newer). */
  minMajor?: number;
}

/**
 * Usable server binary folders in order of preference, without repeats; lazily, because each
 * version check runs postgres --version. MCPCTL_PG_BIN is authoritative: when set, only it counts.
 */
export async function* serverBinaries(o: FindBinOptions): AsyncGenerator<PgBinDir> {
  const seen = new Set<string>();
  const candidates = await candidateBinDirs(o.env, o.home);
  const pinned = candidates.filter((c) => c.source === 'MCPCTL_PG_BIN');
  if (pinned.length && !hasServerTools(pinned[0]!.dir)) {
    throw new UsageError(`MCPCTL_PG_BIN=${pinned[0]!.dir} does not hold initdb, pg_ctl and postgres`, { hint: 'point it at the bin folder of a PostgreSQL server installation, or unset it' });
  }
  for (const c of pinned.length ? pinned : candidates) {
    if (!hasServerTools(c.dir)) continue;
    const dir = realBinDir(c.dir);
    if (seen.has(dir)) continue;
    seen.add(dir);
    const v = await binDirVersion(dir, o.env);
    if (v && (o.major === undefined || v.major === o.major) && v.major >= (o.minMajor ?? 0)) yield { dir, ...v, source: c.source };
  }
}

/** The preferred server binaries, or undefined when there are none (of that major). */
export async function findServerBinaries(o: FindBinOptions): Promise<PgBinDir | undefined> {
  for await (const b of serverBinaries(o)) return b;
  return undefined;
}
