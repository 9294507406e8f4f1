import type { CoreDeps, DebugEvent } from '../../lib/cli/core-deps.js';
import { RefusedError, UserError } from '../../lib/cli/errors.js';
import type { CommitLine } from './git-state.js';
import type { StatusEntry } from './git-worktree.js';
import type { EarlierRollbacks } from './stash.js';
import type { LostFolders } from './folder-record.js';
import { execute } from './apply.js';
import { preflight } from './preflight.js';

export { preflight } from './preflight.js';

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
}

export const ROLLBACK_DEFAULTS = { tag: 'backup-before-refactor', branch: 'main', expectBranch: '004-multi-project-refactor' } as const;
/** The word to type at the confirmation. */
export const CONFIRM_WORD = 'ROLLBACK';

/** What rollback tells its adapter: the plan (once, before any question or change), each step as it starts, git calls (--debug). */
export type RollbackEvent = { type: 'plan'; plan: RollbackPlan } | { type: 'step'; step: StepName; text: string } | DebugEvent;

export type RollbackDeps = Pick<CoreDeps<RollbackEvent>, 'events' | 'prompter'> & {
  // home and secrets are optional: without them the secret search uses the configuration alone.
  ctx: Pick<CoreDeps['ctx'], 'cwd' | 'env' | 'now' | 'signal'> & Partial<Pick<CoreDeps['ctx'], 'home' | 'secrets'>>;
};

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
  /** The work tree's git dir, where the record of the empty folders is kept while they are gone. */
  gitDir: string;
  /** Stashes and branches of earlier mcpctl rollbacks (e.g. one killed half-way). */
  earlier: EarlierRollbacks & {
    /** Records of empty folders that an earlier rollback's stash deleted and that it did not recreate (killed). */
    folders: LostFolders[];
  };
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
  deps.events({ type: 'plan', plan });
  if (options.dryRun) return { ok: true, dryRun: true, plan };

  if (options.stash === false && plan.changes.length) {
    throw new RefusedError(`--no-stash was given but ${plan.changes.length} file(s) have uncommitted changes; nothing changed`, {
      hint: 'commit or move them, or drop --no-stash to have them stashed',
    });
  }
  if (plan.current.branch !== plan.expectBranch) {
    const where = plan.current.branch ? `on branch ${plan.current.branch}` : 'on a detached HEAD';
    const ok = await deps.prompter.yesNo(`You are ${where}, not ${plan.expectBranch}. Roll back ${plan.branch.name} anyway?`, { flag: '--yes' });
    if (!ok) throw new RefusedError('not confirmed; nothing changed');
  }
  await deps.prompter.typed(`This resets ${plan.branch.name} to ${plan.tag.name} (${plan.tag.commit.slice(0, 12)}).`, CONFIRM_WORD, {
    flag: '--confirm',
    given: options.confirm,
  });
  // A person may have answered a question: the work tree had time to change (a .env written meanwhile).
  if (options.confirm === undefined || plan.current.branch !== plan.expectBranch) await unchangedSince(deps, options, plan);
  return execute(deps, plan);
}

const CHANGED = 'the work tree changed while waiting; run again to see the new plan';

/**
 * Every check again, after the confirmation and before the first change: the plan the person
 * confirmed must still be what the steps will do. Different changes (a new file, a file gone),
 * different empty folders or refs refuse; so does any check that fails now (a password typed into
 * a file the plan listed). Costs a second pre-flight, only when someone was asked.
 */
async function unchangedSince(deps: RollbackDeps, options: RollbackOptions, plan: RollbackPlan): Promise<void> {
  const quiet = { ...deps, events: (e: RollbackEvent) => e.type === 'debug' && deps.events(e) };
  let again: RollbackPlan;
  try {
    again = await preflight(quiet, options);
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    throw new UserError(`${CHANGED}: ${e.message}`, { hint: e.hint, code: e.code, details: e.details });
  }
  const facts = (p: RollbackPlan) => JSON.stringify([p.changes, p.emptyFolders, p.branch, p.tag.commit, p.current, p.root, p.willStash]);
  if (facts(again) !== facts(plan)) throw new UserError(`${CHANGED}. Nothing was changed`, { code: 'preflight' });
}
