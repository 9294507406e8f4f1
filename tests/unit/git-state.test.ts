import { describe, expect, it } from 'vitest';
import { abortCommand } from '../../src/commands/rollback/git-state.js';
import { parseStatusZ, parseWorktreesZ } from '../../src/commands/rollback/git-worktree.js';
import { rollbackStamp, undoCommands, uniqueName } from '../../src/commands/rollback/undo.js';
import type { RollbackPlan } from '../../src/commands/rollback/run.js';

describe('parseStatusZ', () => {
  it('reads modified, added, untracked, renamed and copied entries, with spaces and arrows in names', () => {
    const text = [' M app.py', 'A  new file.txt', '?? notes/a -> b.txt', 'R  to.py', 'from.py', 'C  copy.py', 'orig.py', 'MM both.py', ''].join('\0');
    expect(parseStatusZ(text)).toEqual([
      { x: ' ', y: 'M', path: 'app.py', untracked: false },
      { x: 'A', y: ' ', path: 'new file.txt', untracked: false },
      { x: '?', y: '?', path: 'notes/a -> b.txt', untracked: true },
      { x: 'R', y: ' ', path: 'to.py', from: 'from.py', untracked: false },
      { x: 'C', y: ' ', path: 'copy.py', from: 'orig.py', untracked: false },
      { x: 'M', y: 'M', path: 'both.py', untracked: false },
    ]);
  });
  it('gives nothing for a clean tree', () => {
    expect(parseStatusZ('')).toEqual([]);
  });
});

describe('parseWorktreesZ', () => {
  it('reads records ended by an empty field', () => {
    const text = ['worktree /r', 'HEAD abc', 'branch refs/heads/main', '', 'worktree /w two', 'HEAD def', 'detached', '', 'worktree /gone', 'HEAD 123', 'detached', 'prunable gitdir file points to non-existent location', '', ''].join('\0');
    expect(parseWorktreesZ(text)).toEqual([
      { path: '/r', head: 'abc', branch: 'main', bare: false, detached: false, prunable: false },
      { path: '/w two', head: 'def', bare: false, detached: true, prunable: false },
      { path: '/gone', head: '123', bare: false, detached: true, prunable: true },
    ]);
  });
});

describe('rollback naming', () => {
  it('timestamps in UTC, zero-padded', () => {
    expect(rollbackStamp(new Date('2026-01-02T03:04:05Z'))).toBe('20260102-030405');
  });
  it('never reuses a branch name', () => {
    const b = new Map([['x', '1'], ['x-2', '2']]);
    expect(uniqueName('y', b)).toBe('y');
    expect(uniqueName('x', b)).toBe('x-3');
  });
  it('names the command that ends each operation', () => {
    expect(abortCommand('rebase')).toBe('git rebase --continue, or git rebase --abort');
    expect(abortCommand('bisect')).toBe('git bisect reset');
  });
});

describe('undoCommands', () => {
  const plan = {
    branch: { name: 'main', tip: 'a'.repeat(40) },
    current: { branch: 'feature x', head: 'b'.repeat(40) },
    saveBranch: 'mcpctl/rollback-20260102-030405',
    emptyFolders: [] as string[],
  } as RollbackPlan;
  const stash = { ref: 'stash@{0}', commit: 'c'.repeat(40), message: 'm' };
  it('undoes every step, in reverse, quoting names', () => {
    expect(undoCommands(plan, ['save-tip', 'stash', 'checkout', 'reset', 'verify'], stash)).toEqual([
      'git checkout main && git reset --hard mcpctl/rollback-20260102-030405',
      "git checkout 'feature x'",
      `git stash apply --index ${'c'.repeat(40)}`,
    ]);
  });
  it('after a stop at the checkout: back to the first branch and the stash', () => {
    expect(undoCommands(plan, ['save-tip', 'stash', 'checkout'], stash)).toEqual(["git checkout 'feature x'", `git stash apply --index ${'c'.repeat(40)}`]);
  });
  it('from a detached HEAD', () => {
    const detached = { ...plan, current: { branch: undefined, head: 'b'.repeat(40) } } as RollbackPlan;
    expect(undoCommands(detached, ['save-tip', 'checkout', 'reset'], undefined)[1]).toBe(`git checkout --detach ${'b'.repeat(40)}`);
  });
  it('the stash deleted empty folders: recreated last, until the folders step is done', () => {
    const folders = { ...plan, emptyFolders: ['a b/', 'c/'] } as RollbackPlan;
    expect(undoCommands(folders, ['save-tip', 'stash', 'checkout', 'reset'], stash).at(-1)).toBe("mkdir -p -- 'a b/' c/");
    expect(undoCommands(folders, ['save-tip', 'stash', 'checkout', 'reset', 'folders'], stash).at(-1)).toBe(`git stash apply --index ${'c'.repeat(40)}`);
  });
});
