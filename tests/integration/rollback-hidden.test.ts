// Rollback against what `git status` does not show, and so the stash does not take: flagged index
// entries, folders holding a .git that git does not take for a repository, names git will not check
// out again, an unborn branch. Each is refused before any change; sparse-checkout keeps working.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fullSnapshot, trackedRepos, type Repo } from '../helpers/git-repo.js';
import { runMain } from '../helpers/project.js';

const { scene } = trackedRepos();
const rollback = (repo: Repo, args: string[]) => runMain(['rollback', ...args], { cwd: repo.dir, env: repo.env });
const YES = ['--confirm', 'ROLLBACK', '--yes'];

async function refusedUnchanged(repo: Repo, message: RegExp, hint: RegExp) {
  const before = await fullSnapshot(repo);
  const r = await rollback(repo, YES);
  expect(r.code, r.stderr).toBe(1);
  expect(await fullSnapshot(repo)).toEqual(before);
  expect(r.stderr).toMatch(message);
  expect(r.stderr).toMatch(hint);
  return r;
}

describe('rollback: index entries whose local content git does not look at', () => {
  it.each(['--assume-unchanged', '--skip-worktree'])('a tracked file marked %s with local edits: refused, and the hint lets the stash keep them', async (flag) => {
    const { repo, tagCommit } = await scene();
    // lib/util.py differs at the tag (X = 1): the reset overwrote the edit (assume-unchanged) or stopped on it (skip-worktree).
    repo.git('update-index', flag, 'lib/util.py');
    await repo.write('lib/util.py', 'X = "LOCAL"\n');
    const r = await refusedUnchanged(repo, /marked assume-unchanged or skip-worktree.*: lib\/util\.py\./, new RegExp(`git update-index --no-${flag.slice(2)} -- lib/util\\.py$`, 'm'));
    repo.git(...r.stderr.match(/git (update-index .*)$/m)![1]!.split(' '));
    const ok = await rollback(repo, YES);
    expect(ok.code, ok.stderr).toBe(0);
    expect(repo.git('rev-parse', 'HEAD').trim()).toBe(tagCommit);
    expect(repo.git('show', 'stash@{0}:lib/util.py')).toBe('X = "LOCAL"\n');
  });

  it('sparse-checkout (skip-worktree files absent from the work tree): the rollback works', async () => {
    const { repo, tagCommit } = await scene();
    // The scene's files are copies: git must see they are unchanged before it leaves them out.
    repo.git('update-index', '-q', '--refresh');
    repo.git('sparse-checkout', 'set', 'notes');
    expect(await fs.stat(path.join(repo.dir, 'lib')).catch(() => undefined)).toBeUndefined();
    const r = await rollback(repo, YES);
    expect(r.code, r.stderr).toBe(0);
    expect(repo.git('rev-parse', 'HEAD').trim()).toBe(tagCommit);
  });
});

describe('rollback: what the stash would delete or never give back', () => {
  it('folders holding a .git that git does not take for a repository (no HEAD; a gitfile to nowhere): refused, both named', async () => {
    const { repo } = await scene();
    await repo.write('nested/code.txt', 'x\n');
    repo.git('-C', 'nested', 'init', '-q');
    repo.git('-C', 'nested', 'add', 'code.txt');
    repo.git('-C', 'nested', 'commit', '-q', '-m', 'history');
    await fs.rm(path.join(repo.dir, 'nested', '.git', 'HEAD'));
    await repo.write('deep/a.txt', 'a\n');
    await repo.write('deep/inner/.git', 'gitdir: /nowhere\n');
    await refusedUnchanged(repo, /folders holding a \.git.*: deep\/inner\/, nested\/\./, /printf '%s\\n' \/deep\/inner\/ \/nested\/ >> \.git\/info\/exclude/);
  });

  it('an untracked name git will not check out (GIT~1): refused, not stashed for good', async () => {
    const { repo } = await scene();
    await repo.write('GIT~1', 'precious\n');
    await repo.write('sub/.git.', 'precious too\n');
    await refusedUnchanged(repo, /names git refuses to check out.*: GIT~1, sub\/\.git\.\./, /tar cf \.\.\/mcpctl-names\.tar -- 'GIT~1' sub\/\.git\./);
  });

  it('an unborn branch with changes: refused (git stash needs a commit), and the hint makes it work', async () => {
    const { repo, tagCommit } = await scene();
    repo.git('checkout', '-q', '--orphan', 'fresh');
    // fullSnapshot asks for HEAD's commit, which an unborn branch has not: the rest of it.
    const state = () => ['for-each-ref', 'stash list', 'ls-files -s', 'status --porcelain=v2 --ignored --untracked-files=all'].map((c) => repo.git(...c.split(' ')));
    const before = state();
    const r = await rollback(repo, YES);
    expect(r.code, r.stderr).toBe(1);
    expect(state()).toEqual(before);
    expect(r.stderr).toMatch(/HEAD is on fresh, which has no commit yet/);
    repo.git(...r.stderr.match(/git (switch main)/)![1]!.split(' '));
    const ok = await rollback(repo, YES);
    expect(ok.code, ok.stderr).toBe(0);
    expect(repo.git('rev-parse', 'HEAD').trim()).toBe(tagCommit);
  });
});
