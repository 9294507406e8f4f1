import { afterEach, describe, expect, it } from 'vitest';
import { makeRepo, snapshot, type Repo } from '../helpers/git-repo.js';
import { runMain } from '../helpers/project.js';

const repos: Repo[] = [];
afterEach(async () => {
  for (const r of repos.splice(0)) await r.cleanup();
});
async function repoWithCommits() {
  const repo = await makeRepo();
  repos.push(repo);
  const first = repo.commit('app.py', 'v1\n', 'first');
  const head = repo.commit('app.py', 'v2\n', 'second');
  return { repo, first, head };
}
const prepare = (repo: Repo, args: string[] = []) => runMain(['rollback', 'prepare', ...args], { cwd: repo.dir, env: repo.env });

describe('rollback prepare', () => {
  it('tags HEAD (annotated) and creates the refactor branch, then succeeds quietly a second time', async () => {
    const { repo, head } = await repoWithCommits();
    const r = await prepare(repo, ['--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.tag).toEqual({ name: 'backup-before-refactor', commit: head, created: true, annotated: true });
    expect(doc.branch).toEqual({ name: '004-multi-project-refactor', commit: head, created: true });
    expect(repo.git('cat-file', '-t', 'refs/tags/backup-before-refactor').trim()).toBe('tag');
    expect(repo.git('rev-parse', 'backup-before-refactor^{commit}').trim()).toBe(head);
    expect(repo.git('rev-parse', 'refs/heads/004-multi-project-refactor').trim()).toBe(head);
    // Preparing does not switch branches.
    expect(repo.git('symbolic-ref', 'HEAD').trim()).toBe('refs/heads/main');

    const before = await snapshot(repo);
    const again = await prepare(repo);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/tag backup-before-refactor already at HEAD/);
    expect(await snapshot(repo)).toEqual(before);
  });

  it('accepts a lightweight tag already at HEAD', async () => {
    const { repo } = await repoWithCommits();
    repo.git('tag', 'mine');
    const r = await prepare(repo, ['--tag', 'mine', '--branch-name', 'v2', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).tag).toMatchObject({ created: false, annotated: false });
  });

  it('never moves a tag that points elsewhere, and then creates no branch either', async () => {
    const { repo, first } = await repoWithCommits();
    repo.git('tag', 'backup-before-refactor', first);
    const before = await snapshot(repo);
    const r = await prepare(repo);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/already points to .* not HEAD/);
    expect(await snapshot(repo)).toEqual(before);
  });

  it('refuses a refactor branch that exists elsewhere, before creating the tag', async () => {
    const { repo, first } = await repoWithCommits();
    repo.git('branch', '004-multi-project-refactor', first);
    const before = await snapshot(repo);
    const r = await prepare(repo);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/branch 004-multi-project-refactor already exists/);
    expect(await snapshot(repo)).toEqual(before);
  });

  it('refuses a dirty tree and names the files', async () => {
    const { repo } = await repoWithCommits();
    await repo.write('app.py', 'changed\n');
    await repo.write('new.txt', 'new\n');
    const before = await snapshot(repo);
    const r = await prepare(repo, ['--json']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.error.message).toMatch(/not clean \(2 file\(s\)\).*app\.py.*new\.txt/);
    expect(await snapshot(repo)).toEqual(before);
  });

  it('rejects rollback-only flags and invalid names', async () => {
    const { repo } = await repoWithCommits();
    const r = await prepare(repo, ['--confirm', 'ROLLBACK']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/does not take --confirm/);
    const bad = await prepare(repo, ['--branch-name', 'a..b']);
    expect(bad.code).toBe(2);
  });

  it('outside a repository, and on an unborn branch', async () => {
    const repo = await makeRepo();
    repos.push(repo);
    const r = await prepare(repo);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/HEAD has no commit yet/);
    const outside = await runMain(['rollback', 'prepare'], { cwd: repo.home, env: repo.env });
    expect(outside.code).toBe(1);
    expect(outside.stderr).toMatch(/not inside a git work tree/);
  });
});
