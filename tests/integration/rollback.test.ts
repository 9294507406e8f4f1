import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { runRollback } from '../../src/commands/rollback/run.js';
import { createPrompter } from '../../src/lib/cli/prompts.js';
import { operationsInProgress } from '../../src/commands/rollback/git-state.js';
import { cleanupScenes, makeRepo, rollbackScene, snapshot, type Repo } from '../helpers/git-repo.js';
import { runMain, type CliResult } from '../helpers/project.js';

const repos: Repo[] = [];
afterEach(async () => {
  for (const r of repos.splice(0)) await r.cleanup();
});
afterAll(cleanupScenes);
async function scene(opts: Parameters<typeof rollbackScene>[0] = {}) {
  const s = await rollbackScene(opts);
  repos.push(s.repo);
  return s;
}
const rollback = (repo: Repo, args: string[], cwd = repo.dir) => runMain(['rollback', ...args], { cwd, env: repo.env });

/** Runs `cmd` and checks that the repository is byte for byte as before. */
async function expectUnchanged(repo: Repo, cmd: () => Promise<CliResult>, code: number): Promise<CliResult> {
  const before = await snapshot(repo);
  const r = await cmd();
  expect(r.code).toBe(code);
  expect(await snapshot(repo)).toEqual(before);
  return r;
}

describe('rollback pre-flight: any failure changes nothing', () => {
  it('outside a git work tree', async () => {
    const { repo } = await scene();
    const plain = path.join(repo.home, 'plain');
    await fs.mkdir(plain);
    await fs.writeFile(path.join(plain, 'f.txt'), 'x');
    const r = await rollback(repo, ['--confirm', 'ROLLBACK', '--yes'], plain);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not inside a git work tree/);
    expect(await fs.readdir(plain)).toEqual(['f.txt']);
  });

  it('a missing tag, with every other problem listed too', async () => {
    const { repo } = await scene();
    const r = await expectUnchanged(repo, () => rollback(repo, ['--tag', 'nope', '--branch', 'nope', '--confirm', 'ROLLBACK', '--yes', '--json']), 1);
    const doc = JSON.parse(r.stdout);
    expect(doc.error.code).toBe('preflight');
    expect(doc.error.details.failures.map((f: { check: string }) => f.check)).toEqual(['tag', 'branch']);
    expect(doc.error.message).toMatch(/tag nope does not exist/);
  });

  it('a missing branch names the branch the repository has and the flag', async () => {
    const { repo } = await scene({ branch: 'master' });
    const r = await expectUnchanged(repo, () => rollback(repo, ['--confirm', 'ROLLBACK', '--yes']), 1);
    expect(r.stderr).toMatch(/branch main does not exist; this repository has master/);
    expect(r.stderr).toMatch(/--branch master/);
  });

  it('a merge in progress (a real conflict)', async () => {
    const { repo } = await scene({ dirty: false });
    repo.commit('app.py', 'print("refactor side")\n', 'side change');
    repo.git('checkout', '-q', 'main');
    repo.commit('app.py', 'print("main side")\n', 'main change');
    repo.git('checkout', '-q', '004-multi-project-refactor');
    expect(repo.gitCode('merge', 'main')).not.toBe(0);
    const r = await expectUnchanged(repo, () => rollback(repo, ['--confirm', 'ROLLBACK', '--yes']), 1);
    expect(r.stderr).toMatch(/a merge is in progress/);
    expect(r.stderr).toMatch(/git merge --abort/);
  });

  it('a rebase in progress (a real stopped rebase)', async () => {
    const { repo } = await scene({ dirty: false });
    repo.commit('app.py', 'print("refactor side")\n', 'side change');
    repo.git('checkout', '-q', 'main');
    repo.commit('app.py', 'print("main side")\n', 'main change');
    repo.git('checkout', '-q', '004-multi-project-refactor');
    expect(repo.gitCode('rebase', 'main')).not.toBe(0);
    const r = await expectUnchanged(repo, () => rollback(repo, ['--confirm', 'ROLLBACK', '--yes']), 1);
    expect(r.stderr).toMatch(/a rebase is in progress/);
  });

  it('a cherry-pick in progress, and a bisect', async () => {
    const { repo, tip } = await scene({ dirty: false });
    repo.git('checkout', '-q', '-b', 'other', 'backup-before-refactor');
    repo.commit('app.py', 'print("other")\n', 'other change');
    expect(repo.gitCode('cherry-pick', tip.slice(0, 7) + '~2')).not.toBe(0);
    const r = await expectUnchanged(repo, () => rollback(repo, ['--confirm', 'ROLLBACK', '--yes']), 1);
    expect(r.stderr).toMatch(/a cherry-pick is in progress/);
    repo.git('cherry-pick', '--abort');
    repo.git('bisect', 'start');
    const b = await expectUnchanged(repo, () => rollback(repo, ['--confirm', 'ROLLBACK', '--yes']), 1);
    expect(b.stderr).toMatch(/a bisect is in progress/);
  });

  it('a rebase stopped in a linked worktree is found there', async () => {
    const { repo } = await scene({ dirty: false });
    const wt = path.join(repo.home, 'wt');
    repo.git('worktree', 'add', '-q', '-b', 'feature', wt, 'backup-before-refactor');
    const inWt = (...args: string[]) => execFileSync('git', args, { cwd: wt, env: repo.env, stdio: 'ignore' });
    await fs.writeFile(path.join(wt, 'app.py'), 'print("feature")\n');
    inWt('commit', '-q', '-am', 'feature change');
    expect(() => inWt('rebase', 'main')).toThrow();
    const r = await runMain(['rollback', '--confirm', 'ROLLBACK', '--yes'], { cwd: wt, env: repo.env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/a rebase is in progress \(.*worktrees.*rebase-merge\)/);
    expect(await operationsInProgress({ cwd: wt, env: repo.env })).toEqual([{ kind: 'rebase', path: expect.stringMatching(/worktrees\/wt\/rebase-merge$/) }]);
    expect(await operationsInProgress({ cwd: repo.dir, env: repo.env })).toEqual([]);
    // The main work tree has no operation of its own: from there the rollback is possible.
    const dry = await rollback(repo, ['--dry-run']);
    expect(dry.code).toBe(0);
  });

  it('the branch checked out in another worktree', async () => {
    const { repo } = await scene({ dirty: false });
    repo.git('worktree', 'add', '-q', path.join(repo.home, 'wt-main'), 'main');
    const r = await expectUnchanged(repo, () => rollback(repo, ['--confirm', 'ROLLBACK', '--yes']), 1);
    expect(r.stderr).toMatch(/branch main is checked out in another worktree/);
  });

  it('an ignored file that the reset would overwrite', async () => {
    const { repo } = await scene({ dirty: false });
    repo.git('checkout', '-q', 'main');
    repo.git('rm', '-q', '--cached', 'lib/util.py');
    await repo.write('.gitignore', 'lib/util.py\n');
    repo.git('add', '.gitignore');
    repo.git('commit', '-q', '-m', 'stop tracking util');
    repo.git('checkout', '-q', '004-multi-project-refactor');
    repo.git('reset', '-q', '--hard', 'main');
    await repo.write('lib/util.py', 'LOCAL SECRET = 1\n');
    const r = await expectUnchanged(repo, () => rollback(repo, ['--confirm', 'ROLLBACK', '--yes']), 1);
    expect(r.stderr).toMatch(/ignored file\(s\) would be overwritten.*lib\/util\.py/);
  });

  it('a wrong typed confirmation', async () => {
    const { repo } = await scene();
    const r = await expectUnchanged(repo, () => rollback(repo, ['--confirm', 'rollback']), 3);
    expect(r.stderr).toMatch(/does not match/);
  });

  it('no confirmation when not interactive', async () => {
    const { repo } = await scene();
    const r = await expectUnchanged(repo, () => rollback(repo, ['--yes']), 3);
    expect(r.stderr).toMatch(/pass --confirm ROLLBACK/);
  });

  it('--no-stash with changes present', async () => {
    const { repo } = await scene();
    const r = await expectUnchanged(repo, () => rollback(repo, ['--no-stash', '--confirm', 'ROLLBACK']), 3);
    expect(r.stderr).toMatch(/--no-stash/);
  });

  it('another branch than --expect-branch without --yes, when not interactive', async () => {
    const { repo } = await scene();
    const r = await expectUnchanged(repo, () => rollback(repo, ['--expect-branch', 'elsewhere', '--confirm', 'ROLLBACK']), 3);
    expect(r.stderr).toMatch(/not elsewhere/);
    expect(r.stderr).toMatch(/--yes/);
  });

  it('--dry-run shows the plan and changes nothing', async () => {
    const { repo, tagCommit, tip } = await scene();
    const r = await expectUnchanged(repo, () => rollback(repo, ['--dry-run', '--json']), 0);
    const doc = JSON.parse(r.stdout);
    expect(doc.dryRun).toBe(true);
    expect(doc.plan.tag.commit).toBe(tagCommit);
    expect(doc.plan.branch.tip).toBe(tip);
    expect(doc.plan.removed.total).toBe(3);
    expect(doc.plan.removed.commits.map((c: { subject: string }) => c.subject)).toEqual(['refactor 3', 'refactor 2', 'refactor 1']);
    expect(doc.plan.tagIsAncestor).toBe(true);
    expect(doc.plan.changes.map((c: { path: string }) => c.path).sort()).toEqual(['app.py', 'notes/untracked.txt']);
    expect(r.stderr).toMatch(/Rollback plan/);
  });
});

describe('rollback', () => {
  it('resets the branch to an annotated tag, stashes everything, keeps the old tip, and its undo commands restore', async () => {
    const { repo, tagCommit, tip } = await scene();
    await repo.write('staged.txt', 'staged\n');
    repo.git('add', 'staged.txt');
    const before = await snapshot(repo);
    await fs.mkdir(path.join(repo.dir, 'lib'), { recursive: true });
    // From a subfolder, which the tag also has.
    const r = await rollback(repo, ['--confirm', 'ROLLBACK', '--yes', '--json'], path.join(repo.dir, 'lib'));
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);

    expect(repo.git('rev-parse', 'HEAD').trim()).toBe(tagCommit);
    expect(repo.git('symbolic-ref', 'HEAD').trim()).toBe('refs/heads/main');
    expect(repo.git('status', '--porcelain', '--untracked-files=all')).toBe('');
    expect(await repo.read('app.py')).toBe('print("v1")\n');
    expect(doc.restored).toEqual({ commit: tagCommit, subject: 'add util' });

    expect(doc.savedTip.branch).toMatch(/^mcpctl\/rollback-\d{8}-\d{6}$/);
    expect(repo.git('rev-parse', `refs/heads/${doc.savedTip.branch}`).trim()).toBe(tip);

    expect(repo.git('stash', 'list')).toMatch(/^stash@\{0\}: On 004-multi-project-refactor: mcpctl rollback \d{8}-\d{6}\n$/);
    expect(doc.stash.commit).toBe(repo.git('rev-parse', 'refs/stash').trim());
    expect(repo.git('show', `${doc.stash.commit}:app.py`)).toBe('print("work in progress")\n');
    expect(repo.git('show', `${doc.stash.commit}^3:notes/untracked.txt`)).toBe('my notes\n');

    execFileSync('sh', ['-c', doc.undo.join(' && ')], { cwd: repo.dir, env: repo.env, stdio: 'ignore' });
    const after = await snapshot(repo);
    expect(after.files).toEqual(before.files);
    expect(after.status).toBe(before.status);
    expect(after.head).toBe(before.head);
    expect(repo.git('rev-parse', 'refs/heads/main').trim()).toBe(tip);
  });

  it('works with a lightweight tag on a master branch, and stashes nothing when clean', async () => {
    const { repo, tagCommit } = await scene({ branch: 'master', annotated: false, dirty: false });
    repo.git('checkout', '-q', 'master');
    const r = await rollback(repo, ['--branch', 'master', '--confirm', 'ROLLBACK', '--expect-branch', 'master']);
    expect(r.code, r.stderr).toBe(0);
    expect(repo.git('rev-parse', 'HEAD').trim()).toBe(tagCommit);
    expect(repo.git('stash', 'list')).toBe('');
    expect(r.stdout).toMatch(/lightweight tag/);
    expect(r.stdout).toMatch(/none \(nothing to stash\)/);
    expect(r.stdout).not.toMatch(/stash apply/);
  });

  it('caps the list of removed commits and warns when the tag is not on the branch', async () => {
    const repo = await makeRepo();
    repos.push(repo);
    repo.commit('a', '0', 'base');
    repo.git('checkout', '-q', '-b', 'side');
    repo.commit('b', 'side', 'side commit');
    repo.git('tag', 'backup-before-refactor');
    repo.git('checkout', '-q', 'main');
    repo.importCommits(25, 'a', (i) => `main ${i}`);
    const r = await rollback(repo, ['--dry-run', '--yes']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/removes {6}25 commit\(s\)/);
    expect(r.stdout).toMatch(/… and 5 more/);
    expect(r.stdout).toMatch(/ancestor +no/);
    expect(r.stderr).toMatch(/is not an ancestor of main/);
  });

  it('never overwrites a saved tip: a second rollback in the same second gets its own branch', async () => {
    const { repo, tagCommit, tip } = await scene({ dirty: false });
    const now = () => new Date('2026-11-26T01:30:45Z');
    const ctx = { cwd: repo.dir, env: repo.env, now, stdinIsTTY: false, ci: true, signal: new AbortController().signal };
    // What -y gives the core: a prompter that answers yes/no questions (never the typed confirmation).
    const deps = { ctx, events: () => {}, prompter: createPrompter({ ctx, yes: true }) };
    const first = await runRollback(deps, { confirm: 'ROLLBACK' });
    expect(first.savedTip).toEqual({ branch: 'mcpctl/rollback-20261126-013045', commit: tip });
    repo.git('reset', '-q', '--hard', tip);
    const second = await runRollback(deps, { confirm: 'ROLLBACK' });
    expect(second.savedTip!.branch).toBe('mcpctl/rollback-20261126-013045-2');
    expect(repo.git('rev-parse', 'HEAD').trim()).toBe(tagCommit);
    expect(repo.git('rev-parse', 'mcpctl/rollback-20261126-013045').trim()).toBe(tip);
  });

  it('stops when the branch moved after the plan, says what was done, and its hint gets back', async () => {
    const { repo, tip } = await scene();
    const before = await snapshot(repo);
    const ctx = { cwd: repo.dir, env: repo.env, now: () => new Date(), stdinIsTTY: false, ci: true, signal: new AbortController().signal };
    type Stopped = Error & { exitCode: number; hint: string; details: { done: string[]; undo: string[] } };
    const err = (await runRollback(
      {
        ctx,
        prompter: createPrompter({ ctx, yes: true }),
        // Someone commits on main while the person was typing ROLLBACK.
        events: (e) => {
          if (e.type === 'step' && e.step === 'stash') execFileSync('git', ['update-ref', 'refs/heads/main', `${tip}~1`], { cwd: repo.dir, env: repo.env });
        },
      },
      { confirm: 'ROLLBACK' },
    ).catch((e: unknown) => e)) as Stopped;
    expect(err).toBeInstanceOf(Error);
    expect(err.exitCode).toBe(1);
    expect(err.message).toMatch(/main moved since the plan.*done: save-tip, stash, checkout/);
    expect(repo.git('rev-parse', 'refs/heads/main').trim()).not.toBe(repo.git('rev-parse', 'backup-before-refactor^{commit}').trim());
    execFileSync('sh', ['-c', err.details.undo.join(' && ')], { cwd: repo.dir, env: repo.env, stdio: 'ignore' });
    const after = await snapshot(repo);
    expect(after.files).toEqual(before.files);
    expect(after.head).toBe(before.head);
    expect(err.hint).toContain(err.details.undo.join(' && '));
  });
});
