/** The rollback's changes, step by step, each checked; a failure says what was done and how to get back. */
import { git, type GitDeps } from '../../lib/git/porcelain.js';
import { stashTip } from './git-state.js';
import { headAndChanges, workingChanges } from './git-worktree.js';
import { recordPath, recreateFolders, removeRecords, writeFolderRecord } from './folder-record.js';
import { stopped, undoCommands } from './undo.js';
import type { RollbackDeps, RollbackPlan, RollbackResult, StepName } from './run.js';

/** The changes, step by step; on a failure, says exactly what was done and how to get back. */
export async function execute(deps: Pick<RollbackDeps, 'ctx' | 'events'>, plan: RollbackPlan): Promise<RollbackResult> {
  // Run from the top folder: the current subfolder may not exist at the tag.
  const g: GitDeps = { cwd: plan.root, env: deps.ctx.env, log: (text) => deps.events({ type: 'debug', text }) };
  const done: StepName[] = [];
  let stash: RollbackResult['stash'];
  const step = async (name: StepName, text: string, fn: () => Promise<string | undefined>) => {
    if (deps.ctx.signal.aborted) throw stopped(plan, done, stash, 'interrupted before ' + text, true);
    deps.events({ type: 'step', step: name, text });
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
  const record = recordPath(plan.gitDir, plan.saveBranch);
  await step('save-tip', `keep the old tip of ${plan.branch.name} as ${plan.saveBranch}`, () =>
    // An empty old value makes update-ref refuse an existing ref: never overwrite.
    mustRun(['update-ref', '-m', `mcpctl rollback: old tip of ${plan.branch.name}`, `refs/heads/${plan.saveBranch}`, plan.branch.tip, '']),
  );
  if (plan.willStash) {
    await step('stash', 'stash uncommitted and untracked files', async () => {
      // Written before the stash deletes the folders: a kill before they are recreated leaves the names.
      if (plan.emptyFolders.length) await writeFolderRecord(record, plan.emptyFolders);
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
  // This rollback's record and earlier ones: their folders are back, or they are stale (no stash).
  await removeRecords([record, ...plan.earlier.folders.map((l) => l.record)]);
  await step('verify', 'check HEAD and the work tree', async () => {
    const { commit = '', branch, changes: left } = await headAndChanges(g);
    if (commit !== plan.tag.commit) return `HEAD is ${commit}, not ${plan.tag.commit}`;
    // A branch named `(detached)` is what status calls a detached HEAD: only rev-parse tells them apart.
    const ref = branch !== undefined ? `refs/heads/${branch}` : (await git(g, ['rev-parse', '--symbolic-full-name', 'HEAD', '--'])).stdout.trim();
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
