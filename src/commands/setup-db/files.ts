/**
 * The credential files setup-db keeps: the libpq password file, `.env.local`, and the
 * `.gitignore` lines that keep env files out of git. Planned first (pure, nothing written,
 * refusing tracked or unwritable targets), then written atomically and only on change.
 */
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import type { Config } from '../../lib/config/keys.js';
import { parseDotenv, setDotenvKey } from '../../lib/config/dotenv.js';
import type { Context } from '../../lib/cli/context.js';
import { UserError } from '../../lib/cli/errors.js';
import { fsyncDir, resolveWriteTarget, writeIfChanged } from '../../lib/files/atomic-write.js';
import { randomBytes } from 'node:crypto';
import { ignoredAmong, trackedAmong, workTreeRoot, type GitDeps } from '../../lib/git/porcelain.js';
import { appendIgnoreLines, gitignorePath, missingIgnorePatterns } from '../../lib/git/gitignore.js';
import { mergePgpassChecked, pgpassPath } from '../../lib/config/pgpass.js';
import { declaredUrlKeys, urlKeyValues, urlKeyWarnings } from './url-keys.js';
import { ownPid, processAlive } from '../../lib/process/liveness.js';

/** One file setup-db may write. */
export interface FilePlan {
  /** `password-file`, `env-local` or `gitignore`. */
  kind: 'password-file' | 'env-local' | 'gitignore';
  path: string;
  action: 'create' | 'update' | 'unchanged';
  /** Mode the file gets (0600 for secrets; .gitignore keeps its own). */
  mode?: number;
  /** Human detail, never a secret. */
  detail: string;
  /** Set by `writeFiles`. */
  written?: boolean;
  /** What the user should know about this file (never a secret). */
  warnings?: string[];
  /** Bytes for the password file (libpq reads bytes; other lines are kept byte for byte). */
  content: string | Buffer;
}

async function readOr(file: string): Promise<{ text: string; exists: boolean; mode?: number; links?: number }> {
  try {
    const [text, st] = await Promise.all([fs.readFile(file, 'utf8'), fs.stat(file)]);
    return { text, exists: true, mode: st.mode & 0o777, links: st.nlink };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { text: '', exists: false };
    throw new UserError(`cannot read ${file} (${code ?? (e as Error).message}); nothing was changed`, { hint: 'check the path and its permissions' });
  }
}

/**
 * A symlinked password file or .env.local (dotfile managers) is written through, not replaced;
 * a device, FIFO, folder or dangling link is refused (exit 1) here, before anything changes.
 */
const resolveTarget = resolveWriteTarget;

/** Refuses a target whose folder cannot take a new file (checked before anything changes). */
async function checkWritableFolder(file: string, what: string): Promise<void> {
  const dir = path.dirname(file);
  let why: string | undefined;
  try {
    const st = await fs.stat(dir);
    if (!st.isDirectory()) why = 'is not a folder';
    else await fs.access(dir, constants.W_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    why = code === 'ENOENT' ? 'does not exist' : code === 'ENOTDIR' ? 'is not a folder (a part of the path is a file)' : code === 'EROFS' ? 'is on a read-only file system' : `is not writable (${code})`;
  }
  if (why) {
    throw new UserError(`cannot write the ${what} ${file}: its folder ${dir} ${why}; nothing was changed`, {
      hint: what === 'password file' ? 'fix the folder, or point PGPASSFILE at a file in a writable folder' : 'check the project folder and its permissions',
    });
  }
}

/**
 * A file with other hard links is replaced by the atomic rename: its other names keep the old
 * content (and the old password). Said, not refused: a symbolic link is the way to share it.
 */
function hardLinked(file: string, current: { exists: boolean; links?: number }, action: FilePlan['action']): string[] {
  if (!current.exists || action === 'unchanged' || (current.links ?? 1) < 2) return [];
  return [
    `${file} has ${current.links! - 1} other hard link${current.links! > 2 ? 's' : ''}: mcpctl replaces the file atomically, so the other names keep the old content; share it with a symbolic link instead (mcpctl writes through those)`,
  ];
}

function plan(kind: FilePlan['kind'], file: string, current: { text: string; exists: boolean; mode?: number }, content: string, mode: number | undefined, detail: string): FilePlan {
  const same = current.exists && current.text === content && (mode === undefined || current.mode === mode);
  return { kind, path: file, action: !current.exists ? 'create' : same ? 'unchanged' : 'update', mode, detail, content };
}

/** What git says about the project, gathered once (and early, while the server is asked). */
export interface GitFacts {
  root: string | undefined;
  /** Targets for a secret that git tracks. */
  tracked: string[];
  /** Env-file patterns .gitignore does not cover yet. */
  missingIgnore: string[];
  /** E.g. the password file is inside the work tree and not ignored (as backup warns for its folder). */
  warnings?: string[];
}

/** Whether any folder from `dir` up holds `.git` (saves spawning git outside work trees). */
async function maybeInWorkTree(dir: string, env: Readonly<Record<string, string | undefined>>): Promise<boolean> {
  if (env.GIT_DIR || env.GIT_WORK_TREE) return true;
  for (let d = dir; ; d = path.dirname(d)) {
    if (await fs.stat(path.join(d, '.git')).then(() => true, () => false)) return true;
    if (path.dirname(d) === d) return false;
  }
}

export async function inspectGit(ctx: Pick<Context, 'cwd' | 'env' | 'home'>, log?: (line: string) => void): Promise<GitFacts> {
  // git needs no credentials: keep them out of its environment too.
  const gitEnv = Object.fromEntries(Object.entries(ctx.env).filter(([k]) => !/PASSWORD|SECRET|TOKEN/.test(k)));
  const gdeps: GitDeps = { cwd: ctx.cwd, env: gitEnv, log };
  const root = (await maybeInWorkTree(ctx.cwd, ctx.env)) ? await workTreeRoot(gdeps) : undefined;
  if (!root) return { root, tracked: [], missingIgnore: [] };
  const pgpass = await resolveTarget(pgpassPath(ctx.env, ctx.home));
  const inside = (p: string) => !path.relative(root, p).startsWith('..') && !path.isAbsolute(path.relative(root, p));
  const [tracked, missingIgnore, ignored] = await Promise.all([
    trackedAmong(gdeps, [path.join(ctx.cwd, '.env.local'), pgpass].filter(inside)),
    missingIgnorePatterns(gdeps),
    inside(pgpass) ? ignoredAmong(gdeps, [pgpass]) : Promise.resolve([pgpass]),
  ]);
  const rel = path.relative(root, pgpass);
  const warnings = ignored.length ? [] : [`the password file ${rel} is inside the git work tree and not ignored: add "${rel}" to .gitignore so that it is never committed`];
  return { root, tracked, missingIgnore, warnings };
}

/**
 * What the files should hold for `password`. Throws (exit 1) before anything is written when
 * a secret would go into a file git tracks or a folder cannot be written.
 */
export async function planFiles(
  cfg: Config,
  ctx: Pick<Context, 'cwd' | 'env' | 'home' | 'libpqSocketDir'>,
  password: string,
  git: GitFacts,
  opts: {
    pinConnection?: boolean;
    /** More keys for .env.local (setup-db --local: POSTGRES_HOST, POSTGRES_PORT). */
    extraEnv?: Readonly<Record<string, string>>;
  } = {},
): Promise<FilePlan[]> {
  const pgpass = await resolveTarget(pgpassPath(ctx.env, ctx.home));
  const envLocal = await resolveTarget(path.join(ctx.cwd, '.env.local'));
  if (git.tracked.length) {
    const tracked = git.tracked;
    throw new UserError(`refusing to write the password into ${tracked.join(', ')}: git tracks it; nothing was changed`, {
      hint: `stop tracking it (git rm --cached ${tracked.join(' ')}; commit), make sure .gitignore covers it, and rotate any password it ever held`,
    });
  }

  await checkWritableFolder(pgpass, 'password file');
  await checkWritableFolder(envLocal, '.env.local');

  const plans: FilePlan[] = [];
  const pgCurrent = await readOr(pgpass);
  const entries = [cfg.POSTGRES_DB, cfg.POSTGRES_TEST_DB].map((database) => ({ host: cfg.POSTGRES_HOST, port: cfg.POSTGRES_PORT, database, user: cfg.POSTGRES_USER, password }));
  const pgBytes = pgCurrent.exists ? await fs.readFile(pgpass) : Buffer.alloc(0);
  const { data: pgNext, warnings: pgWarnings } = mergePgpassChecked(pgBytes, entries, { defaultSocketDir: ctx.libpqSocketDir });
  const pgPlan = plan('password-file', pgpass, pgCurrent, '', 0o600, `entries for ${cfg.POSTGRES_USER} on ${cfg.POSTGRES_DB} and ${cfg.POSTGRES_TEST_DB}`);
  if (pgCurrent.exists && pgBytes.equals(pgNext) && pgCurrent.mode === 0o600) pgPlan.action = 'unchanged';
  else if (pgCurrent.exists) pgPlan.action = 'update';
  const pgAll = [...pgWarnings, ...hardLinked(pgpass, pgCurrent, pgPlan.action)];
  plans.push({ ...pgPlan, content: pgNext, ...(pgAll.length ? { warnings: pgAll } : {}) });

  const envCurrent = await readOr(envLocal);
  const declared = await declaredUrlKeys(ctx.cwd);
  const urls = urlKeyValues(declared, cfg, password);
  const urlWarnings = urlKeyWarnings(declared, urls, cfg);
  const wanted = [{ key: 'POSTGRES_PASSWORD', value: password }, ...urls];
  if (opts.pinConnection && urls.length) {
    // No POSTGRES_* connection key is set anywhere: the URL keys written here would be read back
    // as configuration next time (a URL naming another database would redirect the next run).
    // The connection used is pinned beside them, which makes them outputs from now on.
    for (const key of ['POSTGRES_HOST', 'POSTGRES_PORT', 'POSTGRES_USER', 'POSTGRES_DB'] as const) wanted.push({ key, value: String(cfg[key]) });
  }
  for (const [key, value] of Object.entries(opts.extraEnv ?? {})) if (!wanted.some((w) => w.key === key)) wanted.push({ key, value });
  let envText = envCurrent.text;
  const current = new Map(parseDotenv(envText).entries.map((e) => [e.key, e]));
  // Unchanged only when the server reads exactly this value (no ${VAR} expansion in between);
  // an equal value stays as written (quoting included): only a real change rewrites the line.
  for (const { key, value } of wanted) {
    const cur = current.get(key);
    if (!(cur && cur.value === value && cur.raw === value)) envText = setDotenvKey(envText, key, value);
  }
  const envPlan = plan('env-local', envLocal, envCurrent, envText, 0o600, wanted.map((w) => w.key).join(', '));
  const envWarnings = [...urlWarnings, ...hardLinked(envLocal, envCurrent, envPlan.action)];
  plans.push(envWarnings.length ? { ...envPlan, warnings: envWarnings } : envPlan);

  if (git.root) {
    const missing = git.missingIgnore;
    const gi = gitignorePath(ctx.cwd);
    const giCurrent = await readOr(gi);
    if (missing.length) await checkWritableFolder(gi, '.gitignore');
    plans.push(plan('gitignore', gi, giCurrent, appendIgnoreLines(giCurrent.text, missing), undefined, missing.length ? `adds ${missing.join(', ')}` : 'env files ignored'));
  }
  return plans;
}

/** Writes the planned files that change (atomic rename, mode from creation). */
export async function writeFiles(plans: FilePlan[]): Promise<void> {
  for (const p of plans) {
    if (p.action === 'unchanged') continue;
    const mode = p.mode ?? (await fs.stat(p.path).then((s) => s.mode & 0o777).catch(() => 0o644));
    p.written = await writeIfChanged(p.path, p.content, { mode });
  }
}

/**
 * Files written to temporary names beside their targets (full content, final mode, fsynced)
 * but not yet renamed: a full disk or a read-only folder shows up here, before the role's
 * password changes. `commit` renames them all (no new space needed); `discard` removes them.
 */
export interface StagedFiles {
  commit(): Promise<void>;
  discard(): Promise<void>;
}

const STAGED = /^\.(.+)\.mcpctl-staged-(\d+)-[0-9a-f]+\.tmp$/;

export async function stageFiles(plans: FilePlan[]): Promise<StagedFiles> {
  const staged: { plan: FilePlan; tmp: string }[] = [];
  const discard = async () => {
    await Promise.allSettled(staged.map((s) => fs.rm(s.tmp, { force: true })));
  };
  try {
    for (const p of plans) {
      if (p.action === 'unchanged') continue;
      const mode = p.mode ?? (await fs.stat(p.path).then((s) => s.mode & 0o777).catch(() => 0o644));
      const tmp = path.join(path.dirname(p.path), `.${path.basename(p.path)}.mcpctl-staged-${ownPid()}-${randomBytes(4).toString('hex')}.tmp`);
      const fh = await fs.open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
      staged.push({ plan: p, tmp });
      try {
        await fh.writeFile(p.content);
        await fh.chmod(mode);
        await fh.sync();
      } finally {
        await fh.close();
      }
    }
  } catch (e) {
    await discard();
    throw e;
  }
  return {
    discard,
    async commit() {
      for (const s of staged) {
        await fs.rename(s.tmp, s.plan.path);
        s.plan.written = true;
      }
      for (const dir of new Set(staged.map((s) => path.dirname(s.plan.path)))) await fsyncDir(dir);
    },
  };
}

/** Removes staged files that a killed run left behind (their process is gone). */
export async function sweepStaged(plans: FilePlan[]): Promise<void> {
  for (const dir of new Set(plans.map((p) => path.dirname(p.path)))) {
    const names = await fs.readdir(dir).catch(() => [] as string[]);
    for (const name of names) {
      const m = STAGED.exec(name);
      if (!m || !plans.some((p) => path.basename(p.path) === m[1]) || processAlive(Number(m[2]))) continue;
      await fs.rm(path.join(dir, name), { force: true });
    }
  }
}
