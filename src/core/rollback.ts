import type { Context } from '../lib/context.js';
import { RefusedError, UsageError, type UserError } from '../lib/errors.js';
import { git, type GitDeps } from '../lib/git.js';
import {
  abortCommand,
  branchUsers,
  commitLine,
  commitsIn,
  countApart,
  hasCommitterIdent,
  inspectRepo,
  listRefs,
  pathsAddedBy,
  resolveTag,
  samePath,
  stashTip,
  workingChanges,
  type CommitLine,
  type StatusEntry,
} from '../lib/git-state.js';
import { confirmTyped, confirmYesNo, type PromptDeps } from '../lib/prompts.js';
import { overwrittenIgnored, recreateFolders, simulateStash, type EarlierRollbacks } from './rollback-stash.js';
import { preflightError, stopped, timestamp, undoCommands, uniqueName } from './rollback-undo.js';

export { timestamp, undoCommands, uniqueName };

/** Options of `mcpctl rollback`. */
export interface RollbackOptions {
  tag?: string;
  branch?: string;
  expectBranch?: string;
  /** False with `--no-stash`: refuse when there are changes instead of stashing them. */
  stash?: boolean;
  /** The value of `--confirm` (must be ROLLBACK). */
  confirm?: string;
  dryRun?: boolean;
  /** How many removed commits the plan lists one by one. */
  listLimit?: number;
}

export const ROLLBACK_DEFAULTS = { tag: 'backup-before-refactor', branch: 'main', expectBranch: '004-multi-project-refactor' } as const;
/** The word to type at the confirmation. */
export const CONFIRM_WORD = 'ROLLBACK';

export interface RollbackDeps {
  ctx: Pick<Context, 'cwd' | 'env' | 'now' | 'stdinIsTTY' | 'ci' | 'signal'>;
  /** `--yes`: answers the yes/no question about the current branch. */
  yes: boolean;
  log?: (line: string) => void;
  /** Called once with the plan, before any question or change. */
  onPlan?: (plan: RollbackPlan) => void;
  /** Called as each step starts. */
  onStep?: (step: StepName, text: string) => void;
}

/** What the rollback will do, computed by the pre-flight without changing anything. */
export interface RollbackPlan {
  root: string;
  tag: { name: string; commit: string; subject: string; annotated: boolean };
  branch: { name: string; tip: string };
  /** The branch checked out now (undefined: detached HEAD). */
  current: { branch: string | undefined; head: string | undefined };
  expectBranch: string;
  /** Commits on the branch that the reset takes away (`tag..branch`), newest first, capped. */
  removed: { total: number; commits: CommitLine[] };
  /** Commits the branch gains when the tag is not on it (`branch..tag`). */
  added: { total: number };
  tagIsAncestor: boolean;
  /** Uncommitted and untracked files that the stash takes. */
  changes: StatusEntry[];
  willStash: boolean;
  /** Name of the branch that will keep the old tip. */
  saveBranch: string;
  stashMessage: string;
  /** Empty untracked folders: the stash deletes them (git cannot store a folder); recreated after the reset. */
  emptyFolders: string[];
  /** Stashes and branches of earlier mcpctl rollbacks (e.g. one killed half-way). */
  earlier: EarlierRollbacks;
  warnings: string[];
}

export type StepName = 'save-tip' | 'stash' | 'checkout' | 'reset' | 'folders' | 'verify';

/** Outcome of a completed rollback (or of `--dry-run`, with only the plan). */
export interface RollbackResult {
  ok: true;
  dryRun: boolean;
  plan: RollbackPlan;
  restored?: CommitLine;
  stash?: { ref: string; commit: string; message: string };
  savedTip?: { branch: string; commit: string };
  /** Shell commands, run in order from the work tree's top folder, that undo the rollback. */
  undo?: string[];
  steps?: StepName[];
}

/** A pre-flight finding that stops the rollback before any change. */
export interface PreflightFailure {
  check: string;
  message: string;
  hint?: string;
}

export async function runRollback(deps: RollbackDeps, options: RollbackOptions = {}): Promise<RollbackResult> {
  const plan = await preflight(deps, options);
  deps.onPlan?.(plan);
  if (options.dryRun) return { ok: true, dryRun: true, plan };

  if (options.stash === false && plan.changes.length) {
    throw new RefusedError(`--no-stash was given but ${plan.changes.length} file(s) have uncommitted changes; nothing changed`, {
      hint: 'commit or move them, or drop --no-stash to have them stashed',
    });
  }
  const prompt: PromptDeps = { ctx: deps.ctx, yes: deps.yes };
  if (plan.current.branch !== plan.expectBranch) {
    const where = plan.current.branch ? `on branch ${plan.current.branch}` : 'on a detached HEAD';
    const ok = await confirmYesNo(prompt, `You are ${where}, not ${plan.expectBranch}. Roll back ${plan.branch.name} anyway?`, { flag: '--yes' });
    if (!ok) throw new RefusedError('not confirmed; nothing changed');
  }
  await confirmTyped(prompt, `This resets ${plan.branch.name} to ${plan.tag.name} (${plan.tag.commit.slice(0, 12)}).`, CONFIRM_WORD, {
    flag: '--confirm',
    given: options.confirm,
  });
  return execute(deps, plan);
}

/** Every check, before any change. Throws one UserError (exit 1) listing all failures. */
export async function preflight(deps: RollbackDeps, options: RollbackOptions): Promise<RollbackPlan> {
  const g: GitDeps = { cwd: deps.ctx.cwd, env: deps.ctx.env, log: deps.log };
  const tagName = options.tag ?? ROLLBACK_DEFAULTS.tag;
  const branchName = options.branch ?? ROLLBACK_DEFAULTS.branch;
  const expectBranch = options.expectBranch ?? ROLLBACK_DEFAULTS.expectBranch;
  const failures: PreflightFailure[] = [];
  for (const [flag, v] of [['--tag', tagName], ['--branch', branchName], ['--expect-branch', expectBranch]] as const) {
    if (!v || v.startsWith('-') || /[\0-\x20\x7f~^:?*[\\]/.test(v)) throw new UsageError(`${flag} ${JSON.stringify(v)} is not a valid ref name`);
  }

  // One round of concurrent, read-only git calls; revisions by name so that none waits for another.
  const tagRev = `refs/tags/${tagName}^{commit}`;
  const branchRef = `refs/heads/${branchName}`;
  const limit = options.listLimit ?? 20;
  const refs = listRefs(g, tagName);
  const [repo, tag, { branches }, changes, users, ident, addedByTag, addedByBranch, removedList, apart, tagLine] = await Promise.all([
    inspectRepo(g),
    resolveTag(g, tagName, refs),
    refs,
    workingChanges(g).catch((e: unknown) => e as Error),
    branchUsers(g, branchName),
    hasCommitterIdent(g),
    pathsAddedBy(g, 'HEAD', tagRev),
    pathsAddedBy(g, 'HEAD', branchRef),
    commitsIn(g, `${tagRev}..${branchRef}`, limit),
    countApart(g, tagRev, branchRef),
    commitLine(g, tagRev),
  ]);
  if ('reason' in repo) {
    throw preflightError([{ check: 'work-tree', message: repo.message, hint: repo.reason === 'no-git' ? 'install git' : 'run it inside the project (or pass -C <dir>)' }]);
  }
  // Without a trustworthy list of changes, nothing may be reset.
  if (changes instanceof Error) throw preflightError([{ check: 'status', message: changes.message }]);
  const elsewhere: typeof users = [];
  for (const u of users) if (!(await samePath(u.path, repo.root))) elsewhere.push(u);

  if (tag === 'missing') {
    failures.push({ check: 'tag', message: `tag ${tagName} does not exist`, hint: `list tags with \`git tag -l\`; pass --tag <name>, or create it beforehand with \`mcpctl rollback prepare\`` });
  } else if (tag === 'not-commit') {
    failures.push({ check: 'tag', message: `tag ${tagName} does not point to a commit`, hint: 'pass --tag with a tag of a commit' });
  }
  const tip = branches.get(branchName);
  if (tip === undefined) {
    const others = [...branches.keys()].filter((b) => !b.startsWith('mcpctl/'));
    const guess = ['main', 'master', 'trunk', 'develop'].find((b) => b !== branchName && branches.has(b));
    failures.push({
      check: 'branch',
      message: `branch ${branchName} does not exist${guess ? `; this repository has ${guess}` : ''}`,
      hint: guess ? `pass --branch ${guess}` : others.length ? `pass --branch <name> (branches: ${others.slice(0, 8).join(', ')})` : 'pass --branch <name>',
    });
  }
  for (const op of repo.operations) {
    failures.push({ check: 'in-progress', message: `a ${op.kind} is in progress (${op.path})`, hint: `finish or abort it first: ${abortCommand(op.kind)}` });
  }
  for (const w of elsewhere) {
    failures.push({ check: 'worktree', message: `branch ${branchName} is ${w.how} in another worktree, ${w.path}`, hint: 'run the rollback there, or switch that worktree to another branch' });
  }
  if (branches.has('mcpctl')) {
    failures.push({ check: 'save-branch', message: 'a branch named mcpctl exists, so mcpctl/rollback-… branches cannot be created', hint: 'rename it: git branch -m mcpctl <new-name>' });
  }
  const willStash = options.stash !== false && changes.length > 0;
  if (willStash && !ident) {
    failures.push({ check: 'identity', message: 'git has no committer identity, which `git stash` needs', hint: 'set one: git config user.name "…" && git config user.email "…"' });
  }
  if (tip !== undefined && typeof tag === 'object') {
    // On an unborn HEAD, diff-tree has nothing to compare with: everything the targets track counts.
    const added = repo.head
      ? [...(addedByTag ?? []), ...(repo.head === tip ? [] : (addedByBranch ?? []))]
      : [...((await pathsAddedBy(g, undefined, tag.commit)) ?? []), ...((await pathsAddedBy(g, undefined, tip)) ?? [])];
    const atRisk = await overwrittenIgnored(repo.root, added, changes);
    if (atRisk.length) {
      failures.push({
        check: 'ignored-files',
        message: `ignored file(s) would be overwritten, as ${tagName} or ${branchName} tracks them: ${atRisk.slice(0, 10).join(', ')}${atRisk.length > 10 ? ` … and ${atRisk.length - 10} more` : ''}`,
        hint: 'move them out of the work tree first (stash does not take ignored files)',
      });
    }
  }
  // What the stash and the reset would leave behind, and what they must never take (secrets).
  const sim = tip !== undefined && typeof tag === 'object' ? await simulateStash(g, repo.root, tag.commit, branches) : undefined;
  if (sim) failures.push(...sim.failures);
  if (failures.length || tip === undefined || typeof tag !== 'object' || !sim) throw preflightError(failures);

  const removed = { total: apart?.onlyB ?? 0, commits: removedList };
  const added = { total: apart?.onlyA ?? 0 };
  // Same answer as `merge-base --is-ancestor`: no commit reachable from the tag is missing from the branch.
  const tagIsAncestor = added.total === 0;
  const stamp = timestamp(deps.ctx.now());
  const warnings: string[] = [];
  if (repo.branch !== expectBranch) {
    warnings.push(`you are ${repo.branch ? `on branch ${repo.branch}` : 'on a detached HEAD'}, not ${expectBranch} (--expect-branch)`);
  }
  if (!tagIsAncestor) warnings.push(`${tagName} is not an ancestor of ${branchName}: the branch will move to a commit outside its history (${added.total} commit(s) not on it now)`);
  if (options.stash === false && changes.length) warnings.push(`--no-stash was given but there are ${changes.length} changed file(s): the rollback would be refused`);
  return {
    root: repo.root,
    tag: { name: tag.name, commit: tag.commit, subject: tagLine.subject, annotated: tag.annotated },
    branch: { name: branchName, tip },
    current: { branch: repo.branch, head: repo.head },
    expectBranch,
    removed,
    added: { total: added.total },
    tagIsAncestor,
    changes,
    willStash,
    saveBranch: uniqueName(`mcpctl/rollback-${stamp}`, branches),
    stashMessage: `mcpctl rollback ${stamp}`,
    emptyFolders: sim.emptyFolders,
    earlier: sim.earlier,
    warnings,
  };
}

/** The changes, step by step; on a failure, says exactly what was done and how to get back. */
async function execute(deps: RollbackDeps, plan: RollbackPlan): Promise<RollbackResult> {
  // Run from the top folder: the current subfolder may not exist at the tag.
  const g: GitDeps = { cwd: plan.root, env: deps.ctx.env, log: deps.log };
  const done: StepName[] = [];
  let stash: RollbackResult['stash'];
  const step = async (name: StepName, text: string, fn: () => Promise<string | undefined>) => {
    if (deps.ctx.signal.aborted) throw stopped(plan, done, stash, 'interrupted before ' + text, true);
    deps.onStep?.(name, text);
    let problem: string | undefined;
    try {
      problem = await fn();
    } catch (e) {
      problem = (e as Error).message;
    }
    if (problem) throw stopped(plan, done, stash, `${text} failed: ${problem}`, false);
    done.push(name);
  };
  const mustRun = async (args: string[]) => {
    const r = await git(g, args);
    return r.exitCode === 0 ? undefined : (r.stderr || r.stdout).trim() || `git ${args[0]} exited ${r.exitCode}`;
  };

  const stashBefore = plan.willStash ? stashTip(g) : undefined;
  await step('save-tip', `keep the old tip of ${plan.branch.name} as ${plan.saveBranch}`, () =>
    // An empty old value makes update-ref refuse an existing ref: never overwrite.
    mustRun(['update-ref', '-m', `mcpctl rollback: old tip of ${plan.branch.name}`, `refs/heads/${plan.saveBranch}`, plan.branch.tip, '']),
  );
  if (plan.willStash) {
    await step('stash', 'stash uncommitted and untracked files', async () => {
      const before = await stashBefore;
      const problem = await mustRun(['stash', 'push', '--include-untracked', '-m', plan.stashMessage]);
      // `stash push` with nothing to stash exits 0 and creates no entry; and it can exit non-zero
      // after it created one (a ref it could not lock): only refs/stash tells what happened.
      const [after, left] = await Promise.all([stashTip(g), workingChanges(g)]);
      if (after && after !== before) stash = { ref: 'stash@{0}', commit: after, message: plan.stashMessage };
      if (problem) return stash ? `${problem} (the stash entry ${stash.commit} was created)` : problem;
      if (!stash) return 'git created no stash entry';
      return left.length ? `changes remain after the stash: ${left.map((c) => c.path).join(', ')}` : undefined;
    });
  }
  if (plan.current.branch !== plan.branch.name) {
    await step('checkout', `check out ${plan.branch.name}`, () => mustRun(['checkout', '-q', '--no-guess', plan.branch.name, '--']));
  }
  // The person may have taken a while to confirm: reset only the tip that the plan showed.
  const head = (await git(g, ['rev-parse', '--verify', '--quiet', 'HEAD'])).stdout.trim();
  if (head !== plan.branch.tip) throw stopped(plan, done, stash, `${plan.branch.name} moved since the plan (now ${head.slice(0, 12)}, was ${plan.branch.tip.slice(0, 12)})`, false);
  await step('reset', `reset ${plan.branch.name} to ${plan.tag.name} (${plan.tag.commit.slice(0, 12)})`, () =>
    mustRun(['reset', '-q', '--hard', plan.tag.commit, '--']),
  );
  if (plan.emptyFolders.length) {
    await step('folders', `recreate ${plan.emptyFolders.length} empty folder(s)`, async () => {
      await recreateFolders(plan.root, plan.emptyFolders);
      return undefined;
    });
  }
  await step('verify', 'check HEAD and the work tree', async () => {
    const [head, left] = await Promise.all([git(g, ['rev-parse', 'HEAD', '--symbolic-full-name', 'HEAD', '--']), workingChanges(g)]);
    const [commit = '', ref = ''] = head.stdout.split('\n');
    if (commit !== plan.tag.commit) return `HEAD is ${commit}, not ${plan.tag.commit}`;
    if (ref !== `refs/heads/${plan.branch.name}`) return `HEAD is not on ${plan.branch.name}`;
    return left.length ? `the work tree is not clean: ${left.map((c) => c.path).join(', ')}` : undefined;
  });

  return {
    ok: true,
    dryRun: false,
    plan,
    restored: { commit: plan.tag.commit, subject: plan.tag.subject },
    stash,
    savedTip: { branch: plan.saveBranch, commit: plan.branch.tip },
    undo: undoCommands(plan, done, stash),
    steps: done,
  };
}
