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
import path from 'node:path';
import { git, type GitDeps } from '../../lib/git/porcelain.js';
import { printable } from '../../lib/cli/printable.js';
import type { StatusEntry, StatusRecord } from './git-worktree.js';
import { notIgnoredAt } from './ignore-sim.js';
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

/** The suffix or prefix of an env file's template: it holds placeholders, not secrets. */
const TEMPLATE = /^(?:template|example|sample|dist)$/;

/**
 * Env files hold secrets; templates and examples do not. Named `.env`, `.env.<x>`, `<x>.env`
 * (`prod.env`), direnv's `.envrc`, and any of them with an editor's backup `~` after it.
 */
export function isEnvFile(p: string): boolean {
  const name = path.posix.basename(p).replace(/~+$/, '');
  if (name === '.env' || name === '.envrc') return true;
  const suffix = /^\.env\.([^/]+)$/.exec(name);
  if (suffix) return !TEMPLATE.test(suffix[1]!);
  const prefix = /^\.?([^/]+)\.env$/.exec(name);
  return prefix !== null && !TEMPLATE.test(prefix[1]!);
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

/** What the stash simulation reads besides `git status`: untracked folders, and the stash's reflog. */
export interface StashFacts {
  /** `ls-files --others --directory`: untracked files, and untracked folders as one entry (empty ones too). */
  untrackedDirs: string[];
  /** `log -g refs/stash` records (empty without a stash). */
  stashLog: string;
}

/** The simulation's reads, concurrent, in the work tree's top folder `root`; the stash's reflog only when `hasStash`. */
export async function readStashFacts(g: GitDeps, root: string, hasStash: boolean): Promise<StashFacts> {
  const r = { ...g, cwd: root };
  const [untrackedDirs, stashLog] = await Promise.all([
    gitOut(r, ['ls-files', '-z', '--others', '--exclude-standard', '--directory']).then(split),
    hasStash ? gitOut(r, ['log', '-g', '-z', '--format=%H%x01%gd%x01%gs', 'refs/stash', '--']).catch(() => '') : '',
  ]);
  return { untrackedDirs, stashLog };
}

export interface StashInput {
  root: string;
  /** This work tree's git dir (for the ignore simulation). */
  gitDir: string;
  /** HEAD's commit (undefined: unborn) and the tag's. */
  head: string | undefined;
  tagCommit: string;
  branches: ReadonlyMap<string, string>;
  /** `git status --porcelain=v2 --untracked-files=all --ignore-submodules=none`, parsed. */
  records: StatusRecord[];
  /** Its ignored paths (`--ignored=matching`). */
  ignored: string[];
  facts: StashFacts;
}

export async function simulateStash(g: GitDeps, o: StashInput): Promise<StashSimulation> {
  const r = { ...g, cwd: o.root };
  const { ignored } = o;
  const folders = walkUntrackedFolders(o.root, o.facts.untrackedDirs, ignored);
  // Ignored now, but not by HEAD's rules (what the stash leaves) or the tag's (what the reset leaves).
  const targets = ([[o.head, 'once the stash takes the uncommitted .gitignore changes'], [o.tagCommit, 'at the tag']] as const).filter(([c]) => c && ignored.length);
  const looseAt = notIgnoredAt(r, o.gitDir, targets.map(([c]) => c!), ignored);
  const failures: PreflightFailure[] = [];
  const submodules: string[] = [];
  const intentToAdd: string[] = [];
  const changedEnv: { xy: string; path: string }[] = [];
  const nested: string[] = [];
  for (const rec of o.records) {
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
      hint:
        `stash inside each: for s in ${subs}; do git -C "$s" stash push --include-untracked; done (that stash is the submodule's own: ignore any env file in it first, ` +
        `printf '/.env\\n' >> "$(git -C <sub> rev-parse --git-path info/exclude)", or its secret goes into .git/modules) — or discard their changes and any commit ` +
        `not on a branch of theirs: git submodule update --init -- ${subs}`,
    });
  }
  // Both at once: a rejection of either is awaited at once, never left unhandled meanwhile.
  const [walked, loose] = await Promise.all([folders, looseAt]);
  // Folders holding a `.git` that git does not take for a repository: the stash's clean deletes them, history and all.
  nested.push(...walked.withGit.filter((d) => !nested.includes(d)));
  nested.sort();
  if (nested.length) {
    failures.push({
      check: 'nested-repos',
      message: `untracked nested git repositories (or folders holding a .git), which git stash cannot take (it would stop half-way, or delete them): ${list(nested)}`,
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
  const emptyFolders = walked.empty;
  targets.forEach(([commit, what], i) => {
    if (!loose[i]!.length) return;
    failures.push({
      check: 'ignored-files',
      message: `ignored file(s) would no longer be ignored ${what}, and would be left behind or stashed: ${list(loose[i]!)}`,
      hint:
        commit === o.head
          ? `commit the .gitignore change first (git add .gitignore && git commit -m "ignore local files"), or list them all in .git/info/exclude: ${excludeCommand(loose[i]!)}`
          : `list them all in .git/info/exclude, which no reset changes: ${excludeCommand(loose[i]!)}`,
    });
  });
  const stashes = split(o.facts.stashLog)
    .map((line) => line.split('\x01'))
    .filter(([, , s]) => / mcpctl rollback \d{8}-\d{6}$/.test(s ?? ''))
    .map(([commit, ref, message]) => ({ commit: commit!, ref: ref!, message: message! }));
  const earlierBranches = [...o.branches].filter(([b]) => b.startsWith('mcpctl/rollback-')).map(([name, commit]) => ({ name, commit }));
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

async function gitOut(g: GitDeps, args: string[]): Promise<string> {
  const res = await git(g, args);
  if (res.exitCode !== 0) throw new Error(`git ${args[0]} failed: ${(res.stderr || res.stdout).trim()}`);
  return res.stdout;
}

function split(z: string): string[] {
  return z.split('\0').filter((s) => s.length > 0);
}

/**
 * What `git stash -u` deletes and cannot save, in every untracked folder (`ls-files --others
 * --directory` names each once, empty ones too), at any depth:
 *   - `empty`: folders with nothing at all inside — `x/y/` is lost beside an untracked `x/z.txt`,
 *     which the stash brings back but not `y`;
 *   - `withGit`: folders holding a `.git` entry (file or folder) — git skips the `.git` itself, so
 *     one it does not take for a repository (no HEAD) is deleted by the stash's clean, history and all.
 * Ignored folders are skipped: the stash's clean leaves them and what they hold.
 */
async function walkUntrackedFolders(root: string, untrackedDirs: string[], ignored: string[]): Promise<{ empty: string[]; withGit: string[] }> {
  const folders = untrackedDirs.filter((p) => p.endsWith('/'));
  if (!folders.length) return { empty: [], withGit: [] };
  const skip = new Set(ignored.filter((p) => p.endsWith('/')));
  const empty: string[] = [];
  const withGit: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    // Symbolic links are not followed: Dirent.isDirectory() is false for one.
    const entries = await fs.readdir(path.join(root, rel), { withFileTypes: true }).catch(() => undefined);
    if (!entries) return;
    if (entries.length === 0) empty.push(rel);
    if (entries.some((e) => e.name === '.git')) return void withGit.push(rel);
    await Promise.all(entries.filter((e) => e.isDirectory() && !skip.has(`${rel}${e.name}/`)).map((e) => walk(`${rel}${e.name}/`)));
  };
  await Promise.all(folders.map(walk));
  return { empty: empty.sort(), withGit: withGit.sort() };
}

/**
 * Ignored files that checking out `targets` would overwrite or delete: of the paths a target
 * tracks and HEAD does not (`tracked`), those where an ignored file stands now — or a folder
 * holding ignored files (a folder of HEAD's that becomes a file at the tag; git counts ignored
 * files as expendable and deletes them). Untracked files there are stashed first; a folder of
 * tracked or untracked files only (`config/` becoming `config`) is no risk.
 */
export async function overwrittenIgnored(root: string, tracked: string[], changes: StatusEntry[], ignored: string[]): Promise<string[]> {
  const stashed = new Set(changes.map((c) => c.path));
  const found: string[] = [];
  await Promise.all(
    [...new Set(tracked)].map(async (p) => {
      if (stashed.has(p)) return;
      const st = await fs.lstat(path.join(root, p)).catch(() => undefined);
      if (!st) return;
      if (!st.isDirectory()) return void found.push(p);
      const inside = ignored.filter((i) => i.startsWith(`${p}/`));
      if (inside.length) found.push(...inside);
    }),
  );
  return [...new Set(found)].sort();
}
