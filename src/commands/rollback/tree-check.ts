/**
 * The target trees (the tag's, and the branch tip's when HEAD is elsewhere) as the reset and the
 * checkout will meet them, read before any change: every entry (`ls-tree -r -t`), judged by git's
 * path rules (tree-paths.ts; `git read-tree` stops at the first path it refuses, so these rules
 * name them all, in one git call less). A tree git refuses would stop the rollback after its
 * stash; a tree with two entries of one name (a file `d` beside a folder `d`) is checked out
 * without complaint but never matches it.
 */
import { git, type GitDeps } from '../../lib/git/porcelain.js';
import { unsafeTreePath } from './tree-paths.js';

/** One entry of `ls-tree -r -t -z --full-tree`: blobs, gitlinks, and the trees on their way. */
export interface TreeEntry {
  mode: string;
  type: string;
  oid: string;
  path: string;
}

/** Every entry of `commit`'s tree, at any depth. */
export async function listTree(g: GitDeps, commit: string): Promise<TreeEntry[]> {
  const r = await git(g, ['ls-tree', '-r', '-t', '-z', '--full-tree', commit]);
  if (r.exitCode !== 0) throw new Error(`git ls-tree failed: ${(r.stderr || r.stdout).trim()}`);
  return tabRecords(r.stdout).map(([[mode = '', type = '', oid = ''], p]) => ({ mode, type, oid, path: p }));
}

/** NUL-ended records of `ls-tree -z` and `ls-files -s -z`: space-separated fields, a tab, the path (which may hold anything). */
export function tabRecords(z: string): [string[], string][] {
  const out: [string[], string][] = [];
  for (const rec of z.split('\0')) {
    const tab = rec.indexOf('\t');
    if (tab >= 0) out.push([rec.slice(0, tab).split(' '), rec.slice(tab + 1)]);
  }
  return out;
}

/**
 * Paths of `entries` that git refuses (unsafeTreePath, with their modes) or that name two entries:
 * the same name twice, or a file (or link, or gitlink) that another entry has as its folder.
 */
export function malformedPaths(entries: TreeEntry[]): string[] {
  const bad = new Set<string>();
  const seen = new Set<string>();
  const leaves = new Set<string>();
  for (const e of entries) {
    // A tree's own path is named through the entries below it (an empty tree writes nothing).
    if (e.type !== 'tree' && unsafeTreePath(e.path, e.mode)) bad.add(e.path);
    if (seen.has(e.path)) bad.add(e.path);
    seen.add(e.path);
    if (e.type !== 'tree') leaves.add(e.path);
  }
  for (const e of entries) {
    const parts = e.path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const folder = parts.slice(0, i).join('/');
      if (leaves.has(folder)) bad.add(folder);
    }
  }
  return [...bad];
}

/** The target trees: the tag's, and the tip's when HEAD is elsewhere (the checkout meets it). */
export async function readTargets(g: GitDeps, tag: string, tip: string | undefined): Promise<{ tag: TreeEntry[]; tip: TreeEntry[] }> {
  const [tagTree, tipTree] = await Promise.all([listTree(g, tag), tip ? listTree(g, tip) : []]);
  return { tag: tagTree, tip: tipTree };
}
