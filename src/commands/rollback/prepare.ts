import type { CoreDeps, DebugEvent } from '../../lib/cli/core-deps.js';
import { UsageError, UserError } from '../../lib/cli/errors.js';
import { git, type GitDeps } from '../../lib/git/porcelain.js';
import { abortCommand, commitLine, inspectRepo, listRefs, resolveTag, type CommitLine } from './git-state.js';
import { workingChanges } from './git-worktree.js';
import { ROLLBACK_DEFAULTS } from './run.js';

/** Options of `mcpctl rollback prepare`. */
export interface PrepareOptions {
  tag?: string;
  /** The refactor branch to create at HEAD. */
  branchName?: string;
}

/** What prepare tells its adapter: the git calls it makes (--debug). */
export type PrepareEvent = DebugEvent;

export type PrepareDeps = Pick<CoreDeps<PrepareEvent>, 'events'> & { ctx: Pick<CoreDeps['ctx'], 'cwd' | 'env'> };

/** What `rollback prepare` found and did. `created: false` means it already pointed at HEAD. */
export interface PrepareResult {
  ok: true;
  head: CommitLine;
  tag: { name: string; commit: string; created: boolean; annotated: boolean };
  branch: { name: string; commit: string; created: boolean };
}

/**
 * Marks the current commit as the rollback point: an annotated tag (who, when and why travel
 * with `git push --follow-tags`) and the refactor branch. Never moves an existing tag or branch;
 * everything is checked before either is created.
 */
export async function runRollbackPrepare(deps: PrepareDeps, options: PrepareOptions = {}): Promise<PrepareResult> {
  const g: GitDeps = { cwd: deps.ctx.cwd, env: deps.ctx.env, log: (text) => deps.events({ type: 'debug', text }) };
  const tagName = options.tag ?? ROLLBACK_DEFAULTS.tag;
  const branchName = options.branchName ?? ROLLBACK_DEFAULTS.expectBranch;

  const [tagOk, branchOk] = await Promise.all([
    git(g, ['check-ref-format', `refs/tags/${tagName}`]),
    git(g, ['check-ref-format', '--branch', branchName]),
  ]);
  if (tagOk.exitCode !== 0 || tagName.startsWith('-')) throw new UsageError(`${JSON.stringify(tagName)} is not a valid tag name`, { hint: 'see `git check-ref-format --help`' });
  if (branchOk.exitCode !== 0 || branchName.startsWith('-')) throw new UsageError(`${JSON.stringify(branchName)} is not a valid branch name`, { hint: 'see `git check-ref-format --help`' });

  const repo = await inspectRepo(g);
  if ('reason' in repo) throw new UserError(repo.message, { hint: 'run it inside the project (or pass -C <dir>)' });
  if (!repo.head) throw new UserError('HEAD has no commit yet', { hint: 'commit first, then prepare' });

  const refs = listRefs(g, tagName);
  const [changes, tag, { branches }, head] = await Promise.all([workingChanges(g), resolveTag(g, tagName, refs), refs, commitLine(g, repo.head)]);
  const ops = repo.operations;
  if (ops.length) throw new UserError(`a ${ops[0]!.kind} is in progress`, { hint: `finish or abort it first: ${abortCommand(ops[0]!.kind)}` });
  if (changes.length) {
    const list = changes.slice(0, 20).map((c) => `${c.x}${c.y} ${c.path}`);
    throw new UserError(`the work tree is not clean (${changes.length} file(s)): ${list.join(', ')}${changes.length > 20 ? ' …' : ''}`, {
      hint: 'commit or stash them first: the tag must hold everything you would want back',
      details: { dirty: changes },
    });
  }
  if (tag === 'not-commit') throw new UserError(`tag ${tagName} exists and does not point to a commit`, { hint: 'pass --tag <another-name>' });
  if (typeof tag === 'object' && tag.commit !== repo.head) {
    throw new UserError(`tag ${tagName} already points to ${tag.commit.slice(0, 12)}, not HEAD (${repo.head.slice(0, 12)}); it is never moved`, {
      hint: `pass --tag <another-name>, or move it yourself: git tag -f ${tagName}`,
    });
  }
  const branchTip = branches.get(branchName);
  if (branchTip !== undefined && branchTip !== repo.head) {
    throw new UserError(`branch ${branchName} already exists at ${branchTip.slice(0, 12)}, not HEAD (${repo.head.slice(0, 12)})`, {
      hint: 'pass --branch-name <another-name>',
    });
  }

  let tagResult: PrepareResult['tag'];
  if (typeof tag === 'object') tagResult = { name: tagName, commit: tag.commit, created: false, annotated: tag.annotated };
  else {
    const r = await git(g, ['tag', '-a', '-m', `mcpctl rollback prepare: rollback point before ${branchName}`, tagName, repo.head]);
    if (r.exitCode !== 0) {
      const ident = /identity|tell me who you are|user\.email/i.test(r.stderr);
      throw new UserError(`git tag failed: ${r.stderr.trim().split('\n').pop()}`, {
        hint: ident ? 'an annotated tag needs an identity: git config user.name "…" && git config user.email "…"' : undefined,
      });
    }
    tagResult = { name: tagName, commit: repo.head, created: true, annotated: true };
  }
  let branchCreated = false;
  if (branchTip === undefined) {
    const r = await git(g, ['branch', '--no-track', branchName, repo.head]);
    if (r.exitCode !== 0) {
      throw new UserError(`git branch failed: ${r.stderr.trim()}${tagResult.created ? ` (the tag ${tagName} was created)` : ''}`);
    }
    branchCreated = true;
  }
  return { ok: true, head, tag: tagResult, branch: { name: branchName, commit: repo.head, created: branchCreated } };
}
