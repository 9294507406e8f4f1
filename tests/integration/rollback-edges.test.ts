// Rollback in ordinary but less common repository states: a file that became a folder, worktrees
// whose folder is gone, a `.git` file, folder names with control characters in the undo, ref names
// git refuses, and the records of empty folders (a FIFO, stale ones).
import { execFileSync, spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fullSnapshot, gitEnv, trackedRepos, type Repo } from '../helpers/git-repo.js';
import { BIN, runMain } from '../helpers/project.js';

const { scene } = trackedRepos();
const rollback = (repo: Repo, args: string[], cwd = repo.dir) => runMain(['rollback', ...args], { cwd, env: repo.env });
const isDir = (p: string) => fs.stat(p).then((s) => s.isDirectory(), () => false);

describe('rollback: a path that is a file at the tag and a folder now', () => {
  it('a folder of tracked files only is no risk (the usual refactor): the rollback runs', async () => {
    const { repo, tagCommit } = await scene({ dirty: false });
    // The tag tracks lib/util.py; the branch turned it into a folder.
    repo.git('rm', '-q', 'lib/util.py');
    repo.commit('lib/util.py/__init__.py', 'X = 4\n', 'file becomes a package');
    repo.git('branch', '-f', 'main', 'HEAD');
    const r = await rollback(repo, ['--confirm', 'ROLLBACK', '--yes']);
    expect(r.code, r.stderr).toBe(0);
    expect(repo.git('rev-parse', 'HEAD').trim()).toBe(tagCommit);
    expect(await repo.read('lib/util.py')).toBe('X = 1\n');
  });

  it('a folder holding ignored files is refused, naming those files (git would delete them)', async () => {
    const { repo } = await scene({ dirty: false });
    repo.git('rm', '-q', 'lib/util.py');
    repo.commit('lib/util.py/__init__.py', 'X = 4\n', 'file becomes a package');
    repo.commit('.gitignore', '*.pyc\n', 'ignore bytecode');
    repo.git('branch', '-f', 'main', 'HEAD');
    await repo.write('lib/util.py/__init__.pyc', 'compiled\n');
    const before = await fullSnapshot(repo);
    const r = await rollback(repo, ['--confirm', 'ROLLBACK', '--yes']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/ignored file\(s\) would be overwritten.*: lib\/util\.py\/__init__\.pyc/);
    expect(await fullSnapshot(repo)).toEqual(before);
  });
});

describe('rollback: an embedded repository (git add of a folder with its own .git, no .gitmodules)', () => {
  it('is refused with a hint that moves it aside (deinit would do nothing), which then works and keeps its history', async () => {
    const { repo, tagCommit } = await scene({ dirty: false });
    const emb = path.join(repo.dir, 'emb');
    await fs.mkdir(emb);
    execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: emb, env: repo.env });
    await fs.writeFile(path.join(emb, 'w.txt'), 'work\n');
    execFileSync('git', ['add', 'w.txt'], { cwd: emb, env: repo.env });
    execFileSync('git', ['commit', '-q', '-m', 'embedded history'], { cwd: emb, env: repo.env });
    repo.git('add', 'emb');
    repo.git('commit', '-q', '-m', 'embed');
    repo.git('branch', '-f', 'main', 'HEAD');
    const before = await fullSnapshot(repo);
    const r = await rollback(repo, ['--confirm', 'ROLLBACK', '--yes']);
    expect(r.code, r.stderr).toBe(1);
    expect(await fullSnapshot(repo)).toEqual(before);
    const hint = r.stderr.match(/mv -- emb \.\.\/emb\.saved && mkdir -- emb/);
    expect(hint, r.stderr).not.toBeNull();
    execFileSync('sh', ['-c', hint![0]], { cwd: repo.dir });
    const again = await rollback(repo, ['--confirm', 'ROLLBACK', '--yes']);
    expect(again.code, again.stderr).toBe(0);
    expect(repo.git('rev-parse', 'HEAD').trim()).toBe(tagCommit);
    expect(execFileSync('git', ['log', '--format=%s'], { cwd: path.join(path.dirname(repo.dir), 'emb.saved'), env: repo.env, encoding: 'utf8' }).trim()).toBe('embedded history');
  });
});

describe('rollback: worktrees', () => {
  it('a worktree of the branch whose folder was deleted: refused before any change, with `git worktree prune`', async () => {
    const { repo } = await scene();
    const wt = path.join(path.dirname(repo.dir), 'wt');
    repo.git('worktree', 'add', '-q', wt, 'main');
    await fs.rm(wt, { recursive: true, force: true });
    const before = await fullSnapshot(repo);
    const r = await rollback(repo, ['--confirm', 'ROLLBACK', '--yes']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/branch main is checked out in a worktree whose folder is gone/);
    expect(r.stderr).toMatch(/git worktree prune/);
    expect(await fullSnapshot(repo)).toEqual(before);
    repo.git('worktree', 'prune');
    expect((await rollback(repo, ['--confirm', 'ROLLBACK', '--yes'])).code).toBe(0);
  });

  it('a repository whose .git is a file (git init --separate-git-dir) rolls back', async () => {
    const base = await fs.mkdtemp(path.join(os.tmpdir(), 'mcpctl-sepgit-'));
    const dir = path.join(base, 'work');
    await fs.mkdir(dir);
    const env = gitEnv(base);
    const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, env, encoding: 'utf8' });
    try {
      git('init', '-q', '-b', 'main', `--separate-git-dir=${path.join(base, 'store.git')}`);
      await fs.writeFile(path.join(dir, 'a.txt'), 'one\n');
      git('add', 'a.txt');
      git('commit', '-q', '-m', 'one');
      git('tag', 'backup-before-refactor');
      await fs.writeFile(path.join(dir, 'a.txt'), 'two\n');
      git('commit', '-q', '-am', 'two');
      const r = await runMain(['rollback', '--expect-branch', 'main', '--confirm', 'ROLLBACK', '--yes'], { cwd: dir, env });
      expect(r.code, r.stderr).toBe(0);
      expect(await fs.readFile(path.join(dir, 'a.txt'), 'utf8')).toBe('one\n');
    } finally {
      await fs.rm(base, { recursive: true, force: true });
    }
  });
});

describe('rollback: the undo and the ref names', () => {
  it('the undo recreates empty folders whose names hold control characters, exactly (bash)', async () => {
    const { repo } = await scene();
    const odd = ['esc\x1b[31mred', 'new\nline', "quote'd"];
    for (const d of odd) await fs.mkdir(path.join(repo.dir, d));
    const before = await fullSnapshot(repo);
    // Ctrl-C once the step after the stash is announced: the undo must end with the folders.
    const child = spawn(process.execPath, [BIN, 'rollback', '--confirm', 'ROLLBACK', '--yes', '--json'], { cwd: repo.dir, env: { ...repo.env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let seen = '';
    child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr!.on('data', (b: Buffer) => {
      seen += b.toString();
      if (/… check out main/.test(seen)) child.kill('SIGINT');
    });
    await new Promise((res) => child.once('exit', res));
    const undo: string[] = JSON.parse(stdout).error.details.undo;
    expect(undo.at(-1)).not.toMatch(/\x1b|\n/);
    execFileSync('bash', ['-c', undo.join(' && ')], { cwd: repo.dir, env: repo.env, stdio: 'ignore' });
    const after = await fullSnapshot(repo);
    expect({ ...after, refs: undefined, stash: undefined }).toEqual({ ...before, refs: undefined, stash: undefined });
  });

  it.each(['a..b', 'x.lock', '@{1}', 'a//b', 'feature/.hidden', 'v1.'])('--tag %j is a usage error (exit 2), not "does not exist"', async (tag) => {
    const { repo } = await scene();
    const r = await rollback(repo, ['--tag', tag, '--dry-run']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/is not a valid ref name/);
  });
});

describe('rollback: records of empty folders', () => {
  it('a FIFO where a record would be does not block the pre-flight', async () => {
    const { repo } = await scene();
    execFileSync('mkfifo', [path.join(repo.dir, '.git', 'mcpctl-rollback-20260101-000000.empty-folders')]);
    const r = await rollback(repo, ['--dry-run', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).plan.emptyFolders).toEqual([]);
  });

  it('a record with no stash of its rollback (a run stopped before its stash) brings back no folder, and is removed', async () => {
    const { repo } = await scene();
    const record = path.join(repo.dir, '.git', 'mcpctl-rollback-20260101-000000.empty-folders');
    // Its folder existed when the record was written and was deleted by the person since.
    await fs.writeFile(record, 'gone/on/purpose/\0');
    const plan = JSON.parse((await rollback(repo, ['--dry-run', '--json'])).stdout).plan;
    expect(plan.emptyFolders).toEqual([]);
    const r = await rollback(repo, ['--confirm', 'ROLLBACK', '--yes']);
    expect(r.code, r.stderr).toBe(0);
    expect(await isDir(path.join(repo.dir, 'gone'))).toBe(false);
    await expect(fs.stat(record)).rejects.toThrow();
  });
});
