/**
 * The work tree's changes (`git status -z`) and the worktrees that have a branch checked out,
 * read through git's -z formats, for the rollback's pre-flight and its checks afterwards.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { git, type GitDeps } from '../../lib/git/porcelain.js';
import { pathExists } from '../../lib/files/fs-exists.js';

/** One entry of `git status --porcelain=v1 -z`. */
export interface StatusEntry {
  /** Index status (X) and work-tree status (Y); `??` for untracked. */
  x: string;
  y: string;
  path: string;
  /** The source path of a rename or copy. */
  from?: string;
  untracked: boolean;
}

/** Parses `git status --porcelain=v1 -z` (renames and copies carry their source as the next field). */
export function parseStatusZ(text: string): StatusEntry[] {
  const fields = text.split('\0');
  const out: StatusEntry[] = [];
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    if (f.length < 4) continue;
    const x = f[0]!;
    const y = f[1]!;
    const entry: StatusEntry = { x, y, path: f.slice(3), untracked: x === '?' && y === '?' };
    if (x === 'R' || x === 'C' || y === 'R' || y === 'C') entry.from = fields[++i];
    out.push(entry);
  }
  return out;
}

/** Uncommitted changes: tracked changes and every untracked file (not folders), ignored files excluded. */
export async function workingChanges(deps: GitDeps): Promise<StatusEntry[]> {
  const r = await git(deps, ['status', '--porcelain=v1', '-z', '--untracked-files=all']);
  if (r.exitCode !== 0) throw new Error(`git status failed: ${r.stderr.trim()}`);
  return parseStatusZ(r.stdout);
}

/** A record of `git status --porcelain=v2 -z`, with its submodule field (`N...`, or `S<c><m><u>`). */
export interface StatusRecord extends StatusEntry {
  /** XY as v2 prints it (`.` for unchanged; `??` for untracked). */
  xy: string;
  sub: string;
}

/** Ordinary (`1`), renamed or copied (`2`), unmerged (`u`) and untracked (`?`) records of `status --porcelain=v2 -z`. */
export function parseStatusV2(z: string): StatusRecord[] {
  const f = z.split('\0');
  const out: StatusRecord[] = [];
  const entry = (xy: string, sub: string, p: string, from?: string): StatusRecord => {
    const e: StatusRecord = { xy, sub, x: xy[0] === '.' ? ' ' : xy[0]!, y: xy[1] === '.' ? ' ' : xy[1]!, path: p, untracked: xy === '??' };
    if (from !== undefined) e.from = from;
    return e;
  };
  for (let i = 0; i < f.length; i++) {
    const rec = f[i]!;
    const parts = rec.split(' ');
    if (rec.startsWith('1 ')) out.push(entry(parts[1]!, parts[2]!, parts.slice(8).join(' ')));
    // The rename's or copy's source is the next field.
    else if (rec.startsWith('2 ')) out.push(entry(parts[1]!, parts[2]!, parts.slice(9).join(' '), f[++i]));
    else if (rec.startsWith('u ')) out.push(entry(parts[1]!, parts[2]!, parts.slice(10).join(' ')));
    else if (rec.startsWith('? ')) out.push(entry('??', 'N...', rec.slice(2)));
  }
  return out;
}

/**
 * One `git status` for the pre-flight's list of changes, the stash simulation and its ignore
 * check: every record with submodules' changes shown (`--ignore-submodules=none`), the ignored
 * paths (`--ignored=matching`: a folder an ignore rule matches as one entry, other ignored files
 * one by one), and the changes as `workingChanges` gives them (the configuration's submodule rules
 * applied). The two differ only in submodule records; when there is one, `workingChanges` is asked too.
 */
export async function readStatus(deps: GitDeps): Promise<{ records: StatusRecord[]; changes: StatusEntry[]; ignored: string[] }> {
  const r = await git(deps, ['status', '--porcelain=v2', '-z', '--untracked-files=all', '--ignore-submodules=none', '--ignored=matching']);
  if (r.exitCode !== 0) throw new Error(`git status failed: ${r.stderr.trim()}`);
  const records = parseStatusV2(r.stdout);
  const ignored = r.stdout.split('\0').filter((f) => f.startsWith('! ')).map((f) => f.slice(2));
  if (records.some((rec) => rec.sub.startsWith('S'))) return { records, changes: await workingChanges(deps), ignored };
  return { records, changes: toEntries(records), ignored };
}

/**
 * HEAD (its commit, and its branch: undefined when detached) and the work tree's changes as
 * `workingChanges` gives them, from one `git status --branch`. A branch named `(detached)` reads as
 * git's word for a detached HEAD: `branch` is then undefined, and the caller asks `rev-parse`.
 */
export async function headAndChanges(deps: GitDeps): Promise<{ commit: string | undefined; branch: string | undefined; changes: StatusEntry[] }> {
  const r = await git(deps, ['status', '--porcelain=v2', '-z', '--branch', '--no-ahead-behind', '--untracked-files=all']);
  if (r.exitCode !== 0) throw new Error(`git status failed: ${r.stderr.trim()}`);
  let commit: string | undefined;
  let branch: string | undefined;
  for (const h of r.stdout.split('\0')) {
    if (h.startsWith('# branch.oid ')) commit = h.slice('# branch.oid '.length);
    else if (h.startsWith('# branch.head ')) branch = h.slice('# branch.head '.length);
  }
  return { commit: commit === '(initial)' ? undefined : commit, branch: branch === '(detached)' ? undefined : branch, changes: toEntries(parseStatusV2(r.stdout)) };
}

/** The StatusEntry objects that parseStatusZ makes (same keys in the same order: --json prints them). */
const toEntries = (records: StatusRecord[]): StatusEntry[] => records.map(({ x, y, path: p, untracked, from }) => (from === undefined ? { x, y, path: p, untracked } : { x, y, path: p, untracked, from }));

/** One work tree from `git worktree list --porcelain -z`. */
export interface WorktreeEntry {
  path: string;
  head?: string;
  branch?: string;
  bare: boolean;
  detached: boolean;
  prunable: boolean;
}

/** Parses `git worktree list --porcelain -z`: records of NUL-ended lines, each record ended by an empty one. */
export function parseWorktreesZ(text: string): WorktreeEntry[] {
  const out: WorktreeEntry[] = [];
  let cur: WorktreeEntry | undefined;
  for (const line of text.split('\0')) {
    if (line === '') {
      if (cur) out.push(cur);
      cur = undefined;
      continue;
    }
    const sp = line.indexOf(' ');
    const key = sp < 0 ? line : line.slice(0, sp);
    const value = sp < 0 ? '' : line.slice(sp + 1);
    if (key === 'worktree') cur = { path: value, bare: false, detached: false, prunable: false };
    else if (!cur) continue;
    else if (key === 'HEAD') cur.head = value;
    else if (key === 'branch') cur.branch = value.replace(/^refs\/heads\//, '');
    else if (key === 'bare') cur.bare = true;
    else if (key === 'detached') cur.detached = true;
    else if (key === 'prunable') cur.prunable = true;
  }
  if (cur) out.push(cur);
  return out;
}

/** A work tree that holds the branch; `prunable`: its folder is gone, but git still counts it until `git worktree prune`. */
export interface BranchUser {
  path: string;
  how: string;
  prunable: boolean;
}

/**
 * Work trees (this one included, unless `selfIsMain`) that hold `branch`: checked out there, or
 * being rebased or bisected there (git itself refuses to check such a branch out twice — also
 * for a worktree whose folder was deleted, until it is pruned). The first entry is the main
 * work tree; with `selfIsMain` it is skipped, as git names it by its git dir when `.git` is a
 * file (`git init --separate-git-dir`), which no path comparison would match.
 */
export async function branchUsers(deps: GitDeps, branch: string, selfIsMain: boolean): Promise<BranchUser[]> {
  const r = await git(deps, ['worktree', 'list', '--porcelain', '-z']);
  if (r.exitCode !== 0) return [];
  const found: BranchUser[] = [];
  await Promise.all(
    parseWorktreesZ(r.stdout).map(async (w, i) => {
      if (w.bare || (i === 0 && selfIsMain)) return;
      if (w.branch === branch) return void found.push({ path: w.path, how: 'checked out', prunable: w.prunable });
      if (w.prunable) return;
      // A rebase or bisect leaves HEAD detached; its state files name the branch.
      if (!w.detached) return;
      const p = await git({ ...deps, cwd: w.path }, ['rev-parse', '--git-path', 'rebase-merge/head-name', '--git-path', 'rebase-apply/head-name', '--git-path', 'BISECT_START']);
      if (p.exitCode !== 0) return;
      const [merge, apply, bisect] = p.stdout.split('\n').map((x) => path.resolve(w.path, x));
      for (const [file, how] of [
        [merge!, 'being rebased'],
        [apply!, 'being rebased'],
        [bisect!, 'being bisected'],
      ] as const) {
        const text = await fs.readFile(file, 'utf8').catch(() => '');
        if (text.trim().replace(/^refs\/heads\//, '') === branch) return void found.push({ path: w.path, how, prunable: false });
      }
    }),
  );
  return found;
}

/**
 * Whether another work tree may use a branch: false only in a main work tree (its git dir is
 * `<root>/.git`) without linked ones (no `worktrees/` folder there, which git lists them from).
 */
export async function otherWorktreesPossible(repo: { root: string; gitDir: string; commonDir: string }): Promise<boolean> {
  if (repo.gitDir !== repo.commonDir || repo.commonDir !== path.join(repo.root, '.git')) return true;
  return pathExists(path.join(repo.commonDir, 'worktrees'));
}

/** True when two paths name the same folder (symlinks resolved). */
export async function samePath(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([fs.realpath(a).catch(() => a), fs.realpath(b).catch(() => b)]);
  return x === y;
}
