/**
 * What the index hides from `git status`, and so from the stash, read before any change
 * (`ls-files -s -v`): tracked files whose local content git was told not to look at, and
 * submodules whose populated folders the reset cannot make match the tag.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { git, type GitDeps } from '../../lib/git/porcelain.js';
import { pathList, shq } from './stash.js';
import { tabRecords, type TreeEntry } from './tree-check.js';
import type { PreflightFailure } from './run.js';

/** One entry of `ls-files -z -s -v`: its tag (`H`; lowercase: assume-unchanged; `S`/`s`: skip-worktree), mode and path. */
export interface IndexEntry {
  tag: string;
  mode: string;
  oid: string;
  path: string;
}

/** Every index entry, run in the top folder (ls-files lists only the folder it runs in). */
export async function readIndex(g: GitDeps, root: string): Promise<IndexEntry[]> {
  const r = await git({ ...g, cwd: root }, ['ls-files', '-z', '-s', '-v']);
  if (r.exitCode !== 0) throw new Error(`git ls-files failed: ${(r.stderr || r.stdout).trim()}`);
  // "<tag> <mode> <oid> <stage>\t<path>"
  return tabRecords(r.stdout).map(([[tag = '', mode = '', oid = ''], p]) => ({ tag, mode, oid, path: p }));
}

const present = (root: string, p: string) => fs.lstat(path.join(root, p)).then(() => true, () => false);

/**
 * Assume-unchanged and skip-worktree entries: status and stash skip them, and the reset then
 * overwrites their local content (or stops on them: "not uptodate"). A skip-worktree file absent
 * from the work tree is what sparse-checkout makes (nothing local to lose): only present ones count.
 * An assume-unchanged one counts even when absent: its deletion is a change the stash would not keep.
 */
export async function hiddenChanges(root: string, index: IndexEntry[]): Promise<PreflightFailure[]> {
  const assumed = index.filter((e) => e.tag !== e.tag.toUpperCase()).map((e) => e.path);
  const skipped = await Promise.all(index.filter((e) => e.tag.toUpperCase() === 'S').map(async (e) => (e.tag === 'S' && !(await present(root, e.path)) ? [] : [e.path])));
  const [a, s] = [[...new Set(assumed)].sort(), [...new Set(skipped.flat())].sort()];
  const paths = [...new Set([...a, ...s])].sort();
  if (!paths.length) return [];
  // One update-index clears one kind of flag per path (the first given): one call per kind.
  const fixes = [...(a.length ? [`git update-index --no-assume-unchanged -- ${a.map(shq).join(' ')}`] : []), ...(s.length ? [`git update-index --no-skip-worktree -- ${s.map(shq).join(' ')}`] : [])];
  return [
    {
      check: 'hidden-changes',
      message: `tracked file(s) marked assume-unchanged or skip-worktree, whose local content git stash does not see and the reset would overwrite: ${pathList(paths)}`,
      hint: `let git see them again: ${fixes.join(' && ')}`,
    },
  ];
}

/**
 * Populated submodules (a gitlink whose folder holds a `.git`) that the tag does not have at the
 * same commit: the reset moves or drops the gitlink but never touches the submodule's folder, so
 * the work tree no longer matches the tag and the rollback stops at its check, after the reset.
 */
export async function submodulesAtRisk(root: string, index: IndexEntry[], tagTree: TreeEntry[] | undefined, tagName: string): Promise<PreflightFailure[]> {
  if (!tagTree) return [];
  const atTag = new Map(tagTree.filter((e) => e.mode === '160000').map((e) => [e.path, e.oid]));
  const links = index.filter((e) => e.mode === '160000' && atTag.get(e.path) !== e.oid);
  const found = await Promise.all(links.map(async (e) => ((await present(root, `${e.path}/.git`)) ? e.path : undefined)));
  const paths = [...new Set(found.filter((p): p is string => p !== undefined))].sort();
  if (!paths.length) return [];
  // A repository added with `git add` (no `.gitmodules` entry) keeps its history in its own `.git`
  // folder: `deinit` does nothing for it, and emptying the folder would delete that history.
  const embedded = new Set((await Promise.all(paths.map(async (p) => ((await fs.lstat(path.join(root, p, '.git')).catch(() => undefined))?.isDirectory() ? p : undefined)))).filter((p) => p));
  const sub = paths.filter((p) => !embedded.has(p));
  const fixes = [
    ...(sub.length ? [`empty their folders (git keeps each submodule's history under .git/modules, and refuses if one has local changes): git submodule deinit -- ${sub.map(shq).join(' ')}; after the rollback, \`git submodule update --init\` checks out the tag's submodules`] : []),
    ...(embedded.size ? [`move the embedded repositories (their .git folder is their only history) out of the work tree, leaving an empty folder (an unpopulated submodule), and back after the rollback: ${[...embedded].map((p) => `mv -- ${shq(p!)} ../${shq(path.basename(p!) + '.saved')} && mkdir -- ${shq(p!)}`).join(' && ')}`] : []),
  ];
  return [
    {
      check: 'submodules',
      message: `populated submodule(s) that ${tagName} does not have at the same commit; the reset would leave their folders as they are, not as at the tag: ${pathList(paths)}`,
      hint: fixes.join('; '),
    },
  ];
}
