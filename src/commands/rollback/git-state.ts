/**
 * Read-only questions about a git repository's state, for commands that must check
 * everything before they change anything (rollback, rollback prepare). Every answer
 * comes from plumbing or porcelain formats through `git()`; nothing here writes.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { git, type GitDeps } from '../../lib/git/porcelain.js';
import { pathExists } from '../../lib/files/fs-exists.js';

/** Where we are: a work tree (never bare), its top folder and git dirs, and HEAD. */
export interface RepoInfo {
  root: string;
  /** This work tree's git dir (differs from `commonDir` in a linked worktree). */
  gitDir: string;
  commonDir: string;
  /** `refs/heads/<name>` stripped to the name; undefined when HEAD is detached. */
  branch: string | undefined;
  /** HEAD's commit; undefined on an unborn branch. */
  head: string | undefined;
  /** Operations in progress in this work tree (see `operationsInProgress`). */
  operations: OperationInProgress[];
}

/** Why `inspectRepo` found no usable work tree. */
export type NotWorkTree = { reason: 'not-a-repo' | 'bare' | 'inside-git-dir' | 'no-git'; message: string };

/**
 * Finds the work tree containing `deps.cwd` (a subfolder works too), HEAD, and the operations
 * in progress, in one `git rev-parse` (it prints each answer as it goes, so even when it stops
 * at a bare repository or an unborn HEAD the answers before tell which).
 */
export async function inspectRepo(deps: GitDeps): Promise<RepoInfo | NotWorkTree> {
  const r = await git(deps, [
    'rev-parse',
    '--is-bare-repository',
    '--is-inside-work-tree',
    '--absolute-git-dir',
    '--git-common-dir',
    '--show-toplevel',
    ...STATE_FILES.flatMap((f) => ['--git-path', f.name]),
    'HEAD',
    '--symbolic-full-name',
    'HEAD',
    // Ends the revisions: a file named HEAD must not make them ambiguous.
    '--',
  ]);
  if (r.notFound) return { reason: 'no-git', message: 'git is not installed (not found on PATH)' };
  const lines = r.stdout.split('\n');
  const [bare, inside, gitDir = '', common = '', top = ''] = lines;
  if (bare === 'true') return { reason: 'bare', message: `${deps.cwd} is a bare repository (no work tree to roll back)` };
  if (bare !== 'false') return { reason: 'not-a-repo', message: `${deps.cwd} is not inside a git work tree` };
  if (inside !== 'true') return { reason: 'inside-git-dir', message: `${deps.cwd} is inside a git dir, not a work tree` };
  const statePaths = lines.slice(5, 5 + STATE_FILES.length).map((p) => path.resolve(deps.cwd, p));
  let head: string | undefined;
  let ref: string;
  if (r.exitCode === 0) {
    head = lines[5 + STATE_FILES.length];
    ref = lines[6 + STATE_FILES.length] ?? '';
  } else {
    // An unborn branch: HEAD names a branch that has no commit yet.
    const sym = await git(deps, ['symbolic-ref', '--quiet', 'HEAD']);
    ref = sym.exitCode === 0 ? sym.stdout.trim() : '';
  }
  return {
    root: top,
    gitDir,
    commonDir: path.resolve(deps.cwd, common),
    branch: ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : undefined,
    head,
    operations: await operationsAt(statePaths),
  };
}

/** A tag resolved to its commit; `annotated` when the ref points at a tag object. */
export interface ResolvedTag {
  name: string;
  commit: string;
  annotated: boolean;
  /** The commit's subject, when for-each-ref could give it (a tag of a commit, annotated at most once). */
  subject?: string;
}

/** Local branches (name → tip) and, when asked, one tag: its object type (`tag` when annotated) and what it peels to. */
export interface RefList {
  branches: Map<string, string>;
  tagType: string | undefined;
  /** The tag ref's object, and (annotated) the object that tag object names, with its type. */
  tagObject?: string;
  tagPeeled?: { type: string; object: string };
  /** The subject of the tag's object and (annotated) of the object it peels to: one line each (git folds the first paragraph). */
  tagSubjects?: { own: string; peeled: string };
  /** The commit refs/stash points at (when asked for, and there is one). */
  stash?: string;
}

/** One `for-each-ref` for every local branch, the tag `tag` and (`withStash`) refs/stash (ref names hold no newline or NUL). */
export async function listRefs(deps: GitDeps, tag?: string, withStash = false): Promise<RefList> {
  const tagRef = tag === undefined ? undefined : `refs/tags/${tag}`;
  const format = '%(refname)%00%(objectname)%00%(objecttype)%00%(*objecttype)%00%(*objectname)%00%(contents:subject)%00%(*contents:subject)';
  const r = await git(deps, ['for-each-ref', `--format=${format}`, 'refs/heads/', ...(tagRef ? [tagRef] : []), ...(withStash ? ['refs/stash'] : [])]);
  const list: RefList = { branches: new Map(), tagType: undefined };
  for (const line of r.stdout.split('\n')) {
    const [ref, sha, type, peeledType, peeled, own = '', peeledSubject = ''] = line.split('\0');
    if (!ref || !sha) continue;
    if (ref.startsWith('refs/heads/')) list.branches.set(ref.slice('refs/heads/'.length), sha);
    else if (ref === 'refs/stash') list.stash = sha;
    // for-each-ref matches path prefixes (refs/tags/a also lists refs/tags/a/b): only the exact ref counts.
    else if (ref === tagRef) {
      list.tagType = type;
      list.tagObject = sha;
      if (peeledType && peeled) list.tagPeeled = { type: peeledType, object: peeled };
      list.tagSubjects = { own, peeled: peeledSubject };
    }
  }
  return list;
}

/**
 * Resolves `refs/tags/<name>` (never a branch or another ref of the same name) to a commit.
 * `missing`: no such tag; `not-commit`: the tag exists but names a tree or blob. A tag of a commit
 * (lightweight, or annotated once) is answered from `refs`; only other tags ask `rev-parse ^{commit}`.
 */
export async function resolveTag(deps: GitDeps, name: string, refs?: Promise<RefList>): Promise<ResolvedTag | 'missing' | 'not-commit'> {
  const list = await (refs ?? listRefs(deps, name));
  if (list.tagType === undefined) return 'missing';
  const annotated = list.tagType === 'tag';
  const direct = list.tagType === 'commit' ? list.tagObject : annotated && list.tagPeeled?.type === 'commit' ? list.tagPeeled.object : undefined;
  // The commit's subject comes with it: the plan needs no `git log -1` of the tag.
  if (direct) return { name, commit: direct, annotated, subject: annotated ? list.tagSubjects?.peeled : list.tagSubjects?.own };
  const commit = await git(deps, ['rev-parse', '--verify', '--quiet', `refs/tags/${name}^{commit}`]);
  if (commit.exitCode !== 0) return 'not-commit';
  return { name, commit: commit.stdout.trim(), annotated };
}

/** A git operation that stopped half-way and waits for the user (`--continue`/`--abort`). */
export interface OperationInProgress {
  kind: 'merge' | 'rebase' | 'am' | 'cherry-pick' | 'revert' | 'bisect' | 'sequencer';
  /** The state file or folder that shows it. */
  path: string;
}

/** State files, as named under `git rev-parse --git-path`, and the operation each one shows. */
const STATE_FILES: { name: string; kind: OperationInProgress['kind'] }[] = [
  { name: 'MERGE_HEAD', kind: 'merge' },
  { name: 'rebase-merge', kind: 'rebase' },
  { name: 'rebase-apply', kind: 'rebase' },
  { name: 'CHERRY_PICK_HEAD', kind: 'cherry-pick' },
  { name: 'REVERT_HEAD', kind: 'revert' },
  { name: 'BISECT_LOG', kind: 'bisect' },
  { name: 'sequencer', kind: 'sequencer' },
];

/**
 * Operations in progress in the work tree of `deps.cwd`. Paths come from
 * `rev-parse --git-path`, so a linked worktree's own state is found (not the main one's).
 */
export async function operationsInProgress(deps: GitDeps): Promise<OperationInProgress[]> {
  const r = await git(deps, ['rev-parse', ...STATE_FILES.flatMap((s) => ['--git-path', s.name])]);
  if (r.exitCode !== 0) return [];
  return operationsAt(r.stdout.split('\n').slice(0, STATE_FILES.length).map((p) => path.resolve(deps.cwd, p)));
}

/** Which of the state files (absolute paths, in STATE_FILES order) exist, as operations. */
async function operationsAt(paths: string[]): Promise<OperationInProgress[]> {
  const found: OperationInProgress[] = [];
  await Promise.all(
    STATE_FILES.map(async (s, i) => {
      const p = paths[i];
      if (!p || !(await pathExists(p))) return;
      // `git am` also keeps its state in rebase-apply/, marked by an `applying` file.
      const kind = s.name === 'rebase-apply' && (await pathExists(path.join(p, 'applying'))) ? 'am' : s.kind;
      found.push({ kind, path: p });
    }),
  );
  // The sequencer folder only adds information when no *_HEAD file names the operation.
  const named = found.some((f) => f.kind === 'cherry-pick' || f.kind === 'revert');
  return found.filter((f) => !(named && f.kind === 'sequencer')).sort((a, b) => a.path.localeCompare(b.path));
}

/** The command that ends an operation in progress, for hints. */
export function abortCommand(kind: OperationInProgress['kind']): string {
  switch (kind) {
    case 'bisect':
      return 'git bisect reset';
    case 'sequencer':
      return 'git cherry-pick --abort (or git revert --abort)';
    default:
      return `git ${kind} --continue, or git ${kind} --abort`;
  }
}

/** A commit's hash and subject line. */
export interface CommitLine {
  commit: string;
  subject: string;
}

/** Commits in `range` (e.g. `a..b`), newest first, at most `limit`. */
export async function commitsIn(deps: GitDeps, range: string, limit: number): Promise<CommitLine[]> {
  const log = await git(deps, ['log', '-z', '--no-color', `--max-count=${limit}`, '--format=%H%x1f%s', range, '--']);
  return log.stdout.split('\0').filter(Boolean).map(toCommitLine);
}

/** How many commits only `a` has and how many only `b` has (`rev-list --left-right --count a...b`). */
export async function countApart(deps: GitDeps, a: string, b: string): Promise<{ onlyA: number; onlyB: number } | undefined> {
  const r = await git(deps, ['rev-list', '--left-right', '--count', `${a}...${b}`, '--']);
  if (r.exitCode !== 0) return undefined;
  const [onlyA = 0, onlyB = 0] = r.stdout.trim().split(/\s+/).map(Number);
  return { onlyA, onlyB };
}

/** One commit's hash and subject. */
export async function commitLine(deps: GitDeps, rev: string): Promise<CommitLine> {
  const r = await git(deps, ['log', '-1', '--no-color', '--format=%H%x1f%s', rev, '--']);
  return toCommitLine(r.stdout.replace(/\n$/, ''));
}

function toCommitLine(rec: string): CommitLine {
  const [commit = '', subject = ''] = rec.replace(/^\n/, '').split('\x1f');
  return { commit, subject };
}

/** The commit `refs/stash` points at, or undefined when there is no stash. */
export async function stashTip(deps: GitDeps): Promise<string | undefined> {
  const r = await git(deps, ['rev-parse', '-q', '--verify', 'refs/stash']);
  return r.exitCode === 0 ? r.stdout.trim() : undefined;
}

/** Whether git can make commits (stash needs a committer identity). */
export async function hasCommitterIdent(deps: GitDeps): Promise<boolean> {
  return (await git(deps, ['var', 'GIT_COMMITTER_IDENT'])).exitCode === 0;
}
