/** How a rollback that stopped half-way is reported and undone; names and stamps of its refs. */
import { InterruptedError, UserError } from '../../lib/cli/errors.js';
import { displayArg } from '../../lib/process/exec.js';
import { shq } from './stash.js';
import type { PreflightFailure, RollbackPlan, RollbackResult, StepName } from './run.js';

/** The commands that take the repository back to how it was, given the steps that were done. */
export function undoCommands(plan: RollbackPlan, done: StepName[], stash: RollbackResult['stash']): string[] {
  const q = displayArg;
  const cmds: string[] = [];
  const moved = done.includes('checkout') || done.includes('reset');
  if (done.includes('reset')) cmds.push(`git checkout ${q(plan.branch.name)} && git reset --hard ${q(plan.saveBranch)}`);
  if (moved && plan.current.branch !== plan.branch.name) {
    cmds.push(plan.current.branch ? `git checkout ${q(plan.current.branch)}` : `git checkout --detach ${plan.current.head ?? ''}`.trim());
  }
  // By hash: `stash@{0}` moves when more stashes are pushed; `pop` refuses a hash, so apply (the entry stays listed).
  if (stash) cmds.push(`git stash apply --index ${stash.commit}`);
  // The stash deleted the empty folders; once the folders step is done they exist again.
  // Folder names may hold anything but `/` and NUL: quoted for a shell, control characters as `$'…'`.
  if (stash && plan.emptyFolders.length && !done.includes('folders')) cmds.push(`mkdir -p -- ${plan.emptyFolders.map(shq).join(' ')}`);
  return cmds;
}

export function stopped(plan: RollbackPlan, done: StepName[], stash: RollbackResult['stash'], what: string, interrupted: boolean): UserError {
  const undo = undoCommands(plan, done, stash);
  const state = done.length ? `done: ${done.join(', ')}` : 'no step was done; the repository is unchanged';
  const extra = done.includes('save-tip') && undo.length === 0 ? ` (only the branch ${plan.saveBranch} was added; keep it or delete it)` : '';
  const message = `rollback stopped: ${what}. ${state}${extra}`;
  const hint = undo.length ? `to get back, run in ${plan.root}: ${undo.join(' && ')}` : undefined;
  const details = { done, stash, savedTip: done.includes('save-tip') ? { branch: plan.saveBranch, commit: plan.branch.tip } : undefined, undo };
  if (interrupted) return Object.assign(new InterruptedError(message, { hint }), { details });
  return new UserError(message, { hint, code: 'rollback-incomplete', details });
}

export function preflightError(failures: PreflightFailure[]): UserError {
  const message =
    failures.length === 1 ? `pre-flight failed: ${failures[0]!.message}` : `pre-flight failed (${failures.length} problems): ${failures.map((f) => f.message).join('; ')}`;
  const hint = failures.map((f) => f.hint).filter(Boolean).join('; ');
  return new UserError(`${message}. Nothing was changed`, { hint: hint || undefined, code: 'preflight', details: { failures } });
}

/** A rollback's stamp in its branch and stash names: `20261126-013045` (UTC), sorting by time, valid in a ref. */
export function rollbackStamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
}

/** `name`, or `name-2`, `name-3`, … when a branch already has it. */
export function uniqueName(name: string, branches: ReadonlyMap<string, string>): string {
  if (!branches.has(name)) return name;
  for (let i = 2; ; i++) if (!branches.has(`${name}-${i}`)) return `${name}-${i}`;
}
