/**
 * What `git stash push --include-untracked` and the reset would do to this work tree,
 * worked out before anything changes, so that rollback refuses instead of stopping
 * half-way — and so that no secret ever enters git's object database:
 *   - submodules with changes, untracked nested repositories and intent-to-add entries: stash
 *     cannot take them;
 *   - files ignored now only by uncommitted .gitignore changes (the stash takes those
 *     changes away, the files turn untracked, and a retry would stash them — `.env.local`
 *     after `mcpctl setup-db`), or not ignored by the tag's rules (left behind by the reset);
 *   - env files that the stash would copy (untracked and not ignored, or tracked and changed);
 *   - empty untracked folders (git cannot store them; they are recreated after the reset);
 *   - stashes and branches of earlier mcpctl rollbacks (listed, e.g. after a kill -9).
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { git, type GitDeps } from '../../lib/git/porcelain.js';
import { printable } from '../../lib/cli/printable.js';
import type { StatusEntry } from './git-worktree.js';
import type { PreflightFailure } from './run.js';

/** Stashes and branches left by earlier mcpctl rollbacks. */
export interface EarlierRollbacks {
  stashes: { ref: string; commit: string; message: string }[];
  branches: { name: string; commit: string }[];
}

export interface StashSimulation {
  failures: PreflightFailure[];
  /** Empty untracked folders (relative, ending in `/`) that the stash removes; recreated after the reset. */
  emptyFolders: string[];
  earlier: EarlierRollbacks;
}

/** Env files hold secrets; templates and examples do not. */
export function isEnvFile(p: string): boolean {
  return /^\.env(?:\.(?!template$|example$|sample$|dist$)[^/]+)?$/.test(path.posix.basename(p));
}

/** Paths for a message: the first `n`, then how many more (the hints' commands always carry all of them). */
export const pathList = (paths: string[], n = 50) => paths.slice(0, n).map(printable).join(', ') + (paths.length > n ? ` … and ${paths.length - n} more` : '');
const list = pathList;
/** A path as one shell word; one with control characters in bash's `$'…'`, so that no raw control byte is printed. */
export const shq = (p: string) =>
  /^[A-Za-z0-9_./-]+$/.test(p) ? p : printable(p) !== p ? `$'${printable(p.replace(/\\/g, '\\\\').replace(/'/g, "\\'"))}'` : `'${p.replace(/'/g, `'\\''`)}'`;

/** A .gitignore pattern matching exactly `p` (anchored; glob characters and trailing spaces escaped). */
function ignorePattern(p: string): string {
  return '/' + p.replace(/[\\*?[]/g, '\\$&').replace(/ +$/, (sp) => sp.replace(/ /g, '\\ '));
}

/** One command that has git ignore every path in `paths` through this repository's info/exclude (never changed by a reset or a stash). */
export function excludeCommand(paths: string[]): string {
  return `printf '%s\\n' ${paths.map((p) => shq(ignorePattern(p))).join(' ')} >> .git/info/exclude`;
}

/**
 * One command that puts tracked files' local content out of the work tree and restores their
 * committed content, so the stash has nothing of them to take; `tar xf` brings them back after.
 */
export function asideCommand(paths: string[]): string {
  const ps = paths.map(shq).join(' ');
  return `(umask 077 && tar cf ../mcpctl-aside.tar -- ${ps}) && git restore -- ${ps}, and after the rollback: tar xf ../mcpctl-aside.tar`;
}

export async function simulateStash(g: GitDeps, root: string, tagCommit: string, branches: ReadonlyMap<string, string>): Promise<StashSimulation> {
  const r = { ...g, cwd: root };
  const [v2, ignored, emptyFolders, earlierStashes] = await Promise.all([
    gitOut(r, ['status', '--porcelain=v2', '-z', '--untracked-files=all', '--ignore-submodules=none']),
    gitOut(r, ['ls-files', '-z', '--others', '--ignored', '--exclude-standard', '--directory']).then(split),
    emptyUntrackedFolders(r, root),
    gitOut(r, ['log', '-g', '-z', '--format=%H%x01%gd%x01%gs', 'refs/stash', '--']).catch(() => ''),
  ]);
  const failures: PreflightFailure[] = [];
  const submodules: string[] = [];
  const intentToAdd: string[] = [];
  const changedEnv: { xy: string; path: string }[] = [];
  const nested: string[] = [];
  for (const rec of parseV2(v2)) {
    // With --untracked-files=all only a folder git will not enter shows as one: a nested repository.
    if (rec.xy === '??' && rec.path.endsWith('/')) nested.push(rec.path);
    // `S<c><m><u>`: a submodule; any change in it or to its commit stays behind after a stash.
    if (rec.sub.startsWith('S') && (rec.sub !== 'S...' || rec.xy !== '..')) submodules.push(rec.path);
    if (rec.xy[1] === 'A') intentToAdd.push(rec.path);
    if (isEnvFile(rec.path)) changedEnv.push(rec);
  }
  if (submodules.length) {
    const subs = submodules.map(shq).join(' ');
    failures.push({
      check: 'submodules',
      message: `submodule(s) with changes, which git stash does not take: ${list(submodules)}`,
      hint: `stash inside each: for s in ${subs}; do git -C "$s" stash push --include-untracked; done — or reset them all: git submodule update --init -- ${subs}`,
    });
  }
  if (nested.length) {
    failures.push({
      check: 'nested-repos',
      message: `untracked nested git repositories, which git stash cannot take (it would stop half-way): ${list(nested)}`,
      hint: `have git ignore them all (ignored folders are never stashed): ${excludeCommand(nested)}`,
    });
  }
  if (intentToAdd.length) {
    failures.push({
      check: 'intent-to-add',
      message: `intent-to-add entries (git add -N), which git stash cannot save: ${list(intentToAdd)}`,
      hint: `make them plain untracked files: git rm --cached -- ${intentToAdd.map(shq).join(' ')}`,
    });
  }
  if (changedEnv.length) failures.push(envFailure(changedEnv.map((e) => e.path).sort(), new Set(changedEnv.filter((e) => e.xy === '??').map((e) => e.path))));
  // Ignored now, but not by HEAD's rules (what the stash leaves) or the tag's (what the reset leaves).
  const head = await gitOut(r, ['rev-parse', '--verify', '--quiet', 'HEAD']).then((s) => s.trim()).catch(() => '');
  for (const [commit, what] of [[head, 'once the stash takes the uncommitted .gitignore changes'], [tagCommit, 'at the tag']] as const) {
    if (!commit || !ignored.length) continue;
    const loose = await notIgnoredAt(r, commit, ignored);
    if (!loose.length) continue;
    failures.push({
      check: 'ignored-files',
      message: `ignored file(s) would no longer be ignored ${what}, and would be left behind or stashed: ${list(loose)}`,
      hint:
        commit === head
          ? `commit the .gitignore change first (git add .gitignore && git commit -m "ignore local files"), or list them all in .git/info/exclude: ${excludeCommand(loose)}`
          : `list them all in .git/info/exclude, which no reset changes: ${excludeCommand(loose)}`,
    });
  }
  const stashes = split(earlierStashes)
    .map((line) => line.split('\x01'))
    .filter(([, , s]) => / mcpctl rollback \d{8}-\d{6}$/.test(s ?? ''))
    .map(([commit, ref, message]) => ({ commit: commit!, ref: ref!, message: message! }));
  const earlierBranches = [...branches].filter(([b]) => b.startsWith('mcpctl/rollback-')).map(([name, commit]) => ({ name, commit }));
  return { failures, emptyFolders, earlier: { stashes, branches: earlierBranches } };
}

/** One failure for every env file the stash would copy, with one command per kind (untracked, tracked) that fixes them all. */
function envFailure(paths: string[], untracked: ReadonlySet<string>): PreflightFailure {
  const loose = paths.filter((p) => untracked.has(p));
  const tracked = paths.filter((p) => !untracked.has(p));
  const fixes = [
    ...(loose.length ? [`untracked ones: ${excludeCommand(loose)}`] : []),
    ...(tracked.length ? [`tracked ones: ${asideCommand(tracked)}`] : []),
  ];
  return {
    check: 'secrets',
    message: `env file(s) that the stash would copy into git's object database: ${list(paths)}`,
    hint: `keep secrets out of git — ${fixes.join('; ')}`,
  };
}

/** Creates the folders again after the reset (where the tag left no file in the way). */
export async function recreateFolders(root: string, folders: string[]): Promise<string[]> {
  const made: string[] = [];
  for (const f of folders) {
    try {
      await fs.mkdir(path.join(root, f), { recursive: true });
      made.push(f);
    } catch {
      // A file of the tag holds the name: nothing to recreate there.
    }
  }
  return made;
}

async function gitOut(g: GitDeps, args: string[]): Promise<string> {
  const res = await git(g, args);
  if (res.exitCode !== 0) throw new Error(`git ${args[0]} failed: ${(res.stderr || res.stdout).trim()}`);
  return res.stdout;
}

function split(z: string): string[] {
  return z.split('\0').filter((s) => s.length > 0);
}

/** Ordinary (`1`), renamed (`2`), unmerged (`u`) and untracked (`?`) records of `status --porcelain=v2 -z`. */
function parseV2(z: string): { xy: string; sub: string; path: string }[] {
  const f = z.split('\0');
  const out: { xy: string; sub: string; path: string }[] = [];
  for (let i = 0; i < f.length; i++) {
    const rec = f[i]!;
    const parts = rec.split(' ');
    if (rec.startsWith('1 ')) out.push({ xy: parts[1]!, sub: parts[2]!, path: parts.slice(8).join(' ') });
    else if (rec.startsWith('2 ')) {
      out.push({ xy: parts[1]!, sub: parts[2]!, path: parts.slice(9).join(' ') });
      i++; // the rename's source
    } else if (rec.startsWith('u ')) out.push({ xy: parts[1]!, sub: parts[2]!, path: parts.slice(10).join(' ') });
    else if (rec.startsWith('? ')) out.push({ xy: '??', sub: 'N...', path: rec.slice(2) });
  }
  return out;
}

/** Of `paths`, those that `commit`'s .gitignore files (with this repository's info/exclude and core.excludesFile) leave unignored. */
async function notIgnoredAt(g: GitDeps, commit: string, paths: string[]): Promise<string[]> {
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'mcpctl-ignore-'));
  try {
    const t = { ...g, cwd: tmp };
    await gitOut(t, ['init', '-q']);
    const tree = split(await gitOut(g, ['ls-tree', '-r', '-z', '--full-tree', commit]));
    for (const entry of tree) {
      const [meta, p] = [entry.slice(0, entry.indexOf('\t')), entry.slice(entry.indexOf('\t') + 1)];
      if (path.posix.basename(p) !== '.gitignore' || !meta.includes(' blob ')) continue;
      const blob = Buffer.from((await git(g, ['cat-file', 'blob', meta.split(' ')[2]!], { encoding: 'latin1' })).stdout, 'latin1');
      await fs.mkdir(path.join(tmp, path.dirname(p)), { recursive: true });
      await fs.writeFile(path.join(tmp, p), blob);
    }
    const exclude = (await gitOut(g, ['rev-parse', '--path-format=absolute', '--git-path', 'info/exclude'])).trim();
    await fs.mkdir(path.join(tmp, '.git', 'info'), { recursive: true });
    await fs.copyFile(exclude, path.join(tmp, '.git', 'info', 'exclude')).catch(() => undefined);
    const excludesFile = (await git(g, ['config', '--path', 'core.excludesFile'])).stdout.trim();
    const args = [...(excludesFile ? ['-c', `core.excludesFile=${excludesFile}`] : []), 'check-ignore', '-z', '--stdin'];
    const loose = async (list: string[]) => {
      const still = new Set(split((await git(t, args, { input: list.join('\0') + '\0' })).stdout));
      return list.filter((p) => !still.has(p));
    };
    const found = await loose(paths);
    // `--directory` names a folder whose files are all ignored; rules for those files
    // (`/logs/debug.log`) do not match the folder itself, so its files are asked one by one.
    const dirs = found.filter((p) => p.endsWith('/'));
    if (!dirs.length) return found;
    const inside = split(await gitOut(g, ['ls-files', '-z', '--others', '--ignored', '--exclude-standard', '--', ...dirs]));
    return [...found.filter((p) => !p.endsWith('/')), ...(inside.length ? await loose(inside) : [])].sort();
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
}

/** Untracked folders with no file anywhere below (what `git stash -u` deletes and cannot save), deepest ones. */
async function emptyUntrackedFolders(g: GitDeps, root: string): Promise<string[]> {
  const [all, nonEmpty] = await Promise.all([
    gitOut(g, ['ls-files', '-z', '--others', '--exclude-standard', '--directory']).then(split),
    gitOut(g, ['ls-files', '-z', '--others', '--exclude-standard', '--directory', '--no-empty-directory']).then(split),
  ]);
  const keep = new Set(nonEmpty);
  const out: string[] = [];
  const leaves = async (rel: string) => {
    const entries = await fs.readdir(path.join(root, rel), { withFileTypes: true }).catch(() => []);
    const dirs = entries.filter((e) => e.isDirectory());
    if (dirs.length === 0) out.push(rel);
    for (const d of dirs) await leaves(`${rel}${d.name}/`);
  };
  for (const p of all) if (p.endsWith('/') && !keep.has(p)) await leaves(p);
  return out.sort();
}

/**
 * Ignored files that checking out `targets` would overwrite: paths a target tracks and HEAD
 * does not, present on disk, and not among the untracked files that the stash takes.
 */
export async function overwrittenIgnored(root: string, tracked: string[], changes: StatusEntry[]): Promise<string[]> {
  const stashed = new Set(changes.map((c) => c.path));
  const paths = new Set(tracked);
  const found: string[] = [];
  await Promise.all(
    [...paths].map(async (p) => {
      if (stashed.has(p)) return;
      try {
        await fs.lstat(path.join(root, p));
        found.push(p);
      } catch {
        /* absent: nothing to overwrite */
      }
    }),
  );
  return found.sort();
}
