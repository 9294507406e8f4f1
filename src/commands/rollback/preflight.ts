/**
 * The rollback's pre-flight: every check, before any change, from one round of concurrent
 * read-only git calls. Its result is the plan the person confirms; any failure stops the
 * rollback with all the problems at once.
 */
import { UsageError } from '../../lib/cli/errors.js';
import type { GitDeps } from '../../lib/git/porcelain.js';
import { abortCommand, commitLine, commitsIn, countApart, hasCommitterIdent, inspectRepo, listRefs, resolveTag, type RepoInfo, type ResolvedTag } from './git-state.js';
import { branchUsers, otherWorktreesPossible, readStatus, samePath, type StatusEntry } from './git-worktree.js';
import { isEnvFile, overwrittenIgnored, pathList, readStashFacts, shq, simulateStash } from './stash.js';
import { secretForms } from '../../lib/files/secret-search.js';
import { secretFailures, secretSourcesExist } from './secrets.js';
import { readFolderRecords, type LostFolders } from './folder-record.js';
import { unsafeTreePath } from './tree-paths.js';
import { malformedPaths, readTargets, type TreeEntry } from './tree-check.js';
import { hiddenChanges, readIndex, submodulesAtRisk, type IndexEntry } from './index-check.js';
import { excludeFailures, readExcludesFile } from './exclude-sources.js';
import { preflightError, rollbackStamp, uniqueName } from './undo.js';
import { ROLLBACK_DEFAULTS, type PreflightFailure, type RollbackDeps, type RollbackOptions, type RollbackPlan } from './run.js';

/** How many removed commits the plan lists one by one. */
const LIST_LIMIT = 20;

interface Names {
  tagName: string;
  branchName: string;
  expectBranch: string;
}

/**
 * Whether git could take `v` as a branch or tag name (the rules of `git check-ref-format`): no
 * control characters, space, `~^:?*[\`, `..`, `@{` or `//`; no part that starts with `.` or ends
 * with `.lock`; not `@`, not starting with `-` or `/`, not ending with `/` or `.`.
 */
export function validRefName(v: string): boolean {
  if (!v || v === '@' || v.startsWith('-') || v.startsWith('/') || v.endsWith('/') || v.endsWith('.')) return false;
  if (/[\0-\x20\x7f~^:?*[\\]|\.\.|@\{|\/\//.test(v)) return false;
  return v.split('/').every((part) => !part.startsWith('.') && !part.endsWith('.lock'));
}

/** The three ref names, each refused (exit 2) when git could not take it. */
function refNames(options: RollbackOptions): Names {
  const names = {
    tagName: options.tag ?? ROLLBACK_DEFAULTS.tag,
    branchName: options.branch ?? ROLLBACK_DEFAULTS.branch,
    expectBranch: options.expectBranch ?? ROLLBACK_DEFAULTS.expectBranch,
  };
  for (const [flag, v] of [['--tag', names.tagName], ['--branch', names.branchName], ['--expect-branch', names.expectBranch]] as const) {
    if (!validRefName(v)) throw new UsageError(`${flag} ${JSON.stringify(v)} is not a valid ref name`, { hint: 'see `git check-ref-format --help` for the rules' });
  }
  return names;
}

/**
 * The repository's state in two rounds of concurrent, read-only git calls: where we are, the
 * refs, the work tree's status and the committer identity; then everything else, asked only where
 * it means something (no range without both refs, no diff against the branch HEAD already is at).
 */
async function readRepo(g: GitDeps, n: Names) {
  // git status takes longest and names paths from the top folder wherever it runs: it starts first.
  const statusRead = readStatus(g).catch((e: unknown) => e as Error);
  const refs = listRefs(g, n.tagName, true);
  const inspected = inspectRepo(g);
  const identity = hasCommitterIdent(g);
  const excludesFile = readExcludesFile(g);
  const [repo, tag, { branches, stash }] = await Promise.all([inspected, resolveTag(g, n.tagName, refs), refs]);
  if ('reason' in repo) {
    throw preflightError([{ check: 'work-tree', message: repo.message, hint: repo.reason === 'no-git' ? 'install git' : 'run it inside the project (or pass -C <dir>)' }]);
  }
  const tip = branches.get(n.branchName);
  const target = typeof tag === 'object' && tip !== undefined ? { tag: tag.commit, tip } : undefined;
  const { head } = repo;
  const [status, users, ident, removedList, apart, tagLine, stashFacts, index, trees, excludes] = await Promise.all([
    statusRead,
    otherWorktreesPossible(repo).then((possible) => (possible ? branchUsers(g, n.branchName, repo.gitDir === repo.commonDir) : [])),
    identity,
    target ? commitsIn(g, `${target.tag}..${target.tip}`, LIST_LIMIT) : [],
    target ? countApart(g, target.tag, target.tip) : undefined,
    !target ? { commit: '', subject: '' } : typeof tag === 'object' && tag.subject !== undefined ? { commit: tag.commit, subject: tag.subject } : commitLine(g, target.tag),
    target ? readStashFacts(g, repo.root, stash !== undefined).catch((e: unknown) => e as Error) : undefined,
    // What status does not show (flagged entries, gitlinks) and the trees the reset and checkout will meet.
    readIndex(g, repo.root).catch((e: unknown) => e as Error),
    target ? readTargets({ ...g, cwd: repo.root }, target.tag, head !== target.tip ? target.tip : undefined).catch((e: unknown) => e as Error) : undefined,
    excludesFile,
  ]);
  // Without a trustworthy list of changes, nothing may be reset.
  if (status instanceof Error) throw preflightError([{ check: 'status', message: status.message }]);
  if (stashFacts instanceof Error) throw stashFacts;
  if (index instanceof Error) throw preflightError([{ check: 'index', message: index.message }]);
  if (trees instanceof Error) throw preflightError([{ check: 'tree-paths', message: trees.message }]);
  const elsewhere: typeof users = [];
  for (const u of users) if (!(await samePath(u.path, repo.root))) elsewhere.push(u);
  // What the reset (the tag) and the checkout (the tip, when HEAD is elsewhere) would write where the index tracks nothing.
  const addedByTag = trees ? addedPaths(trees.tag, index) : undefined;
  const addedByBranch = trees && head !== target?.tip ? addedPaths(trees.tip, index) : [];
  return { repo, tag, branches, changes: status.changes, records: status.records, ignored: status.ignored, elsewhere, ident, addedByTag, addedByBranch, removedList, apart, tagLine, stashFacts, index, trees, excludesFile: excludes };
}

type RepoFacts = Awaited<ReturnType<typeof readRepo>>;

/** Paths (files, links, gitlinks) of a target tree that the index does not track: what its checkout would write over. */
function addedPaths(tree: TreeEntry[], index: IndexEntry[]): string[] {
  const tracked = new Set(index.map((e) => e.path));
  return tree.filter((e) => e.type !== 'tree' && !tracked.has(e.path)).map((e) => e.path);
}

/** What stops the rollback: a missing tag or branch, an operation in progress, the branch used elsewhere, … */
function refFailures(f: RepoFacts, n: Names, willStash: boolean): PreflightFailure[] {
  const failures: PreflightFailure[] = [];
  if (f.tag === 'missing') {
    failures.push({ check: 'tag', message: `tag ${n.tagName} does not exist`, hint: `list tags with \`git tag -l\`; pass --tag <name>, or create it beforehand with \`mcpctl rollback prepare\`` });
  } else if (f.tag === 'not-commit') {
    failures.push({ check: 'tag', message: `tag ${n.tagName} does not point to a commit`, hint: 'pass --tag with a tag of a commit' });
  }
  if (!f.branches.has(n.branchName)) {
    const others = [...f.branches.keys()].filter((b) => !b.startsWith('mcpctl/'));
    const guess = ['main', 'master', 'trunk', 'develop'].find((b) => b !== n.branchName && f.branches.has(b));
    failures.push({
      check: 'branch',
      message: `branch ${n.branchName} does not exist${guess ? `; this repository has ${guess}` : ''}`,
      hint: guess ? `pass --branch ${guess}` : others.length ? `pass --branch <name> (branches: ${others.slice(0, 8).join(', ')})` : 'pass --branch <name>',
    });
  }
  for (const op of f.repo.operations) {
    failures.push({ check: 'in-progress', message: `a ${op.kind} is in progress (${op.path})`, hint: `finish or abort it first: ${abortCommand(op.kind)}` });
  }
  for (const w of f.elsewhere) {
    failures.push(
      w.prunable
        ? { check: 'worktree', message: `branch ${n.branchName} is ${w.how} in a worktree whose folder is gone, ${w.path} (git still refuses to check it out here)`, hint: 'forget the missing worktree: git worktree prune' }
        : { check: 'worktree', message: `branch ${n.branchName} is ${w.how} in another worktree, ${w.path}`, hint: 'run the rollback there, or switch that worktree to another branch' },
    );
  }
  if (f.branches.has('mcpctl')) {
    failures.push({ check: 'save-branch', message: 'a branch named mcpctl exists, so mcpctl/rollback-… branches cannot be created', hint: 'rename it: git branch -m mcpctl <new-name>' });
  }
  // `git stash` needs a commit to stash against: on an unborn branch it stops after the saved tip.
  if (willStash && f.repo.head === undefined) {
    failures.push({ check: 'unborn', message: `HEAD is on ${f.repo.branch ?? 'a branch'}, which has no commit yet, so git stash cannot save the changes`, hint: `take them along to ${n.branchName} (git refuses if that would overwrite anything): git switch ${n.branchName}` });
  }
  if (willStash && !f.ident) {
    failures.push({ check: 'identity', message: 'git has no committer identity, which `git stash` needs', hint: 'set one: git config user.name "…" && git config user.email "…"' });
  }
  return failures;
}

/**
 * Paths of the tag or the branch that git refuses to check out (a crafted tree), by git's own
 * judgement and by the rules that name them all: the reset would stop after the stash.
 */
function treePathFailures(f: RepoFacts, n: Names): PreflightFailure[] {
  if (!f.trees) return [];
  const bad = [...new Set([...malformedPaths(f.trees.tag), ...malformedPaths(f.trees.tip)])].sort();
  if (!bad.length) return [];
  return [
    {
      check: 'tree-paths',
      message: `${n.tagName} or ${n.branchName} holds path(s) that git refuses to check out: ${pathList(bad)}`,
      hint: `roll back to another commit (--tag <name>); inspect the tree (a name used twice counts too) with: git ls-tree -r ${n.tagName}`,
    },
  ];
}

/**
 * Changed or untracked paths that git would not check out again (`GIT~1`, `.git.`): the stash
 * takes them, and neither its apply nor the printed undo brings them back.
 */
function unsafeChanges(f: RepoFacts): PreflightFailure[] {
  const bad = [...new Set(f.changes.flatMap((c) => [c.path.replace(/\/$/, ''), ...(c.from !== undefined ? [c.from] : [])]).filter((p) => unsafeTreePath(p)))].sort();
  if (!bad.length) return [];
  return [
    {
      check: 'unsafe-names',
      message: `changed or untracked path(s) with names git refuses to check out, which the stash would take but never give back: ${pathList(bad)}`,
      hint: `move them out of the work tree (or rename them): (umask 077 && tar cf ../mcpctl-names.tar -- ${bad.map(shq).join(' ')}) && rm -rf -- ${bad.map(shq).join(' ')}, and after the rollback: tar xf ../mcpctl-names.tar`,
    },
  ];
}

/** Ignored files the tag or the branch would overwrite (the stash does not take them). */
async function ignoredAtRisk(f: RepoFacts, n: Names): Promise<PreflightFailure[]> {
  const added = [...(f.addedByTag ?? []), ...(f.addedByBranch ?? [])].filter((p) => !unsafeTreePath(p));
  const atRisk = await overwrittenIgnored(f.repo.root, added, f.changes, f.ignored);
  if (!atRisk.length) return [];
  return [
    {
      check: 'ignored-files',
      message: `ignored file(s) would be overwritten, as ${n.tagName} or ${n.branchName} tracks them: ${pathList(atRisk)}`,
      hint: 'move them out of the work tree first (stash does not take ignored files)',
    },
  ];
}

/** The stamps of the stash entries earlier rollbacks made (`… mcpctl rollback <stamp>` in the stash's reflog). */
function rollbackStashStamps(stashLog: string): Set<string> {
  return new Set([...stashLog.matchAll(/ mcpctl rollback (\d{8}-\d{6})(?=\0|$)/g)].map((m) => m[1]!));
}

/**
 * Files the stash would copy that hold a secret: the project's secrets, and those of every
 * ignored env file in the work tree (the stash covers the whole repository, wherever mcpctl runs).
 * Ignored folders (`node_modules/`, named once by git status) are not walked.
 */
async function stashSecretFailures(g: GitDeps, ctx: RollbackDeps['ctx'], f: RepoFacts, project: Promise<{ v: string[] } | { e: unknown }>): Promise<PreflightFailure[]> {
  const envFiles = f.ignored.filter((p) => !p.endsWith('/') && isEnvFile(p));
  const [known, fromFiles] = await Promise.all([
    project.then((r) => ('e' in r ? Promise.reject(r.e) : r.v)),
    envFiles.length ? import('./project-secrets.js').then((m) => m.ignoredEnvSecrets(ctx, f.repo.root, envFiles)) : [],
  ]);
  const all = new Set([...known, ...fromFiles]);
  return all.size ? secretFailures(g, f.repo.root, f.changes, secretForms(all)) : [];
}

/** Every check, before any change. Throws one UserError (exit 1) listing all failures. */
export async function preflight(deps: Pick<RollbackDeps, 'ctx' | 'events'>, options: RollbackOptions): Promise<RollbackPlan> {
  const g: GitDeps = { cwd: deps.ctx.cwd, env: deps.ctx.env, log: (text) => deps.events({ type: 'debug', text }) };
  const n = refNames(options);
  // The project's secrets (from its configuration: modules and files read while git works, when it can have any); searched for only when something is stashed.
  const project = secretSourcesExist(deps.ctx)
    .then(async (any) => (any ? (await import('./project-secrets.js')).projectSecrets(deps.ctx) : []))
    .then((v) => ({ v }), (e: unknown) => ({ e }));
  const f = await readRepo(g, n);
  const willStash = options.stash !== false && f.changes.length > 0;
  const failures = refFailures(f, n, willStash);
  const tip = f.branches.get(n.branchName);
  const tag = typeof f.tag === 'object' ? f.tag : undefined;
  // What the stash and the reset would leave behind, and what they must never take (secrets).
  const [atRisk, sim, secrets, lost, hidden, links, excludes] = await Promise.all([
    tip !== undefined && tag ? ignoredAtRisk(f, n) : [],
    tip !== undefined && tag && f.stashFacts
      ? simulateStash(g, { root: f.repo.root, gitDir: f.repo.gitDir, head: f.repo.head, tagCommit: tag.commit, branches: f.branches, records: f.records, ignored: f.ignored, facts: f.stashFacts })
      : undefined,
    willStash ? stashSecretFailures(g, deps.ctx, f, project) : [],
    readFolderRecords(f.repo.gitDir, f.repo.root, rollbackStashStamps(f.stashFacts?.stashLog ?? '')),
    hiddenChanges(f.repo.root, f.index),
    submodulesAtRisk(f.repo.root, f.index, f.trees?.tag, n.tagName),
    excludeFailures(g, { root: f.repo.root, commonDir: f.repo.commonDir, excludesFile: f.excludesFile, changes: f.changes, ignored: f.ignored, commits: [f.repo.head, tip, tag?.commit] }),
  ]);
  failures.push(...treePathFailures(f, n), ...unsafeChanges(f), ...hidden, ...links, ...atRisk, ...excludes);
  if (sim) failures.push(...sim.failures);
  failures.push(...secrets);
  if (failures.length || tip === undefined || !tag || !sim) throw preflightError(failures);
  return planOf(f, n, { tag, tip, sim, lost, willStash, stash: options.stash, now: deps.ctx.now() });
}

function planOf(f: RepoFacts, n: Names, o: { tag: ResolvedTag; tip: string; sim: NonNullable<Awaited<ReturnType<typeof simulateStash>>>; lost: LostFolders[]; willStash: boolean; stash: boolean | undefined; now: Date }): RollbackPlan {
  const removed = { total: f.apart?.onlyB ?? 0, commits: f.removedList };
  const added = { total: f.apart?.onlyA ?? 0 };
  // Same answer as `merge-base --is-ancestor`: no commit reachable from the tag is missing from the branch.
  const tagIsAncestor = added.total === 0;
  const stamp = rollbackStamp(o.now);
  const warnings: string[] = [];
  if (f.repo.branch !== n.expectBranch) {
    warnings.push(`you are ${f.repo.branch ? `on branch ${f.repo.branch}` : 'on a detached HEAD'}, not ${n.expectBranch} (--expect-branch)`);
  }
  if (!tagIsAncestor) warnings.push(`${n.tagName} is not an ancestor of ${n.branchName}: the branch will move to a commit outside its history (${added.total} commit(s) not on it now)`);
  if (o.stash === false && f.changes.length) warnings.push(`--no-stash was given but there are ${f.changes.length} changed file(s): the rollback would be refused`);
  const changes: StatusEntry[] = f.changes;
  const repo: RepoInfo = f.repo;
  return {
    root: repo.root,
    tag: { name: o.tag.name, commit: o.tag.commit, subject: f.tagLine.subject, annotated: o.tag.annotated },
    branch: { name: n.branchName, tip: o.tip },
    current: { branch: repo.branch, head: repo.head },
    expectBranch: n.expectBranch,
    removed,
    added,
    tagIsAncestor,
    changes,
    willStash: o.willStash,
    saveBranch: uniqueName(`mcpctl/rollback-${stamp}`, f.branches),
    stashMessage: `mcpctl rollback ${stamp}`,
    // Folders an earlier rollback lost when killed after its stash are recreated by this one too.
    emptyFolders: [...new Set([...o.sim.emptyFolders, ...o.lost.flatMap((l) => l.folders)])].sort(),
    gitDir: repo.gitDir,
    earlier: { ...o.sim.earlier, folders: o.lost },
    warnings,
  };
}
