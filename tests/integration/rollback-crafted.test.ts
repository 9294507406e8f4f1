// Rollback against crafted trees, links and records, and the folders and ignore files a plain
// stash simulation gets wrong: nothing is written outside the work tree (not even by --dry-run),
// and the pre-flight refuses exactly what git would refuse or lose.
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fullSnapshot, makeRepo, objectsHold, trackedRepos, type Repo } from '../helpers/git-repo.js';
import { BIN, runMain } from '../helpers/project.js';

const PASSWORD = 'Sup3r-secret-pw-crafted-0a1b2c3d';
const { repos, scene } = trackedRepos();
const rollback = (repo: Repo, args: string[]) => runMain(['rollback', ...args], { cwd: repo.dir, env: repo.env });
const temps: string[] = [];
afterEach(async () => {
  for (const t of temps.splice(0)) await fs.rm(t, { recursive: true, force: true });
});
const tempDir = async () => {
  const t = await fs.mkdtemp(path.join(os.tmpdir(), 'mcpctl-crafted-'));
  temps.push(t);
  return t;
};
const exists = (p: string) => fs.lstat(p).then(() => true, () => false);

/** A tree object from `ls-tree`-style lines ("<mode> <type> <oid>\t<name>"). */
const mktree = (repo: Repo, lines: string[]) =>
  spawnSync('git', ['mktree'], { cwd: repo.dir, env: repo.env, input: lines.map((l) => `${l}\n`).join(''), encoding: 'utf8' }).stdout.trim();
const blob = (repo: Repo, content: string) => spawnSync('git', ['hash-object', '-w', '--stdin'], { cwd: repo.dir, env: repo.env, input: content, encoding: 'utf8' }).stdout.trim();

/** Tags a commit (parent: the scene's tag) whose tree is the tag's plus `extra` entries; returns the tag's name. */
function craftTag(repo: Repo, name: string, extra: string[]): string {
  const base = repo.git('ls-tree', 'backup-before-refactor^{commit}').trim().split('\n');
  const tree = mktree(repo, [...base, ...extra]);
  const commit = repo.git('commit-tree', tree, '-p', 'backup-before-refactor^{commit}', '-m', name).trim();
  repo.git('tag', name, commit);
  return name;
}

/** HEAD ignores .env (committed), and .env holds the password: the ignore simulation has work. */
async function withIgnoredEnv(repo: Repo) {
  repo.commit('.gitignore', '.env\n', 'ignore env');
  repo.git('branch', '-f', 'main', 'HEAD');
  await repo.write('.env', `POSTGRES_PASSWORD=${PASSWORD}\n`);
}

describe('rollback: crafted trees and links', () => {
  it('a tag whose tree holds `..`: refused before any change, and nothing is written outside (not even by --dry-run)', async () => {
    const { repo } = await scene();
    await withIgnoredEnv(repo);
    const gi = mktree(repo, [`100644 blob ${blob(repo, '!.env\n')}\t.gitignore`]);
    const dotdot = mktree(repo, [`040000 tree ${mktree(repo, [`040000 tree ${gi}\tvictim`])}\trb`]);
    const tag = craftTag(repo, 'evil', [`040000 tree ${dotdot}\t..`]);
    const tmp = await tempDir();
    const before = await fullSnapshot(repo);
    for (const args of [['--dry-run'], ['--confirm', 'ROLLBACK', '--yes']]) {
      // The real binary, so that its temp folder is one the test can watch.
      const r = spawnSync(process.execPath, [BIN, 'rollback', '--tag', tag, ...args], { cwd: repo.dir, env: { ...repo.env, TMPDIR: tmp, CI: 'true' }, encoding: 'utf8' });
      expect(await exists(path.join(tmp, 'rb'))).toBe(false);
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/evil or main holds path\(s\) that git refuses to check out: \.\.\/rb\/victim\/\.gitignore/);
    }
    expect(await fullSnapshot(repo)).toEqual(before);
    expect(await fs.readdir(tmp)).toEqual([]);
  });

  it('a .gitignore that is a symbolic link at the tag is not read (git does not follow it): refused, .env never stashed', async () => {
    const { repo } = await scene();
    await withIgnoredEnv(repo);
    // The link's blob is its target, ".env": read as patterns it would seem to ignore .env.
    const tag = craftTag(repo, 'linked', [`120000 blob ${blob(repo, '.env')}\t.gitignore`]);
    const before = await fullSnapshot(repo);
    const r = await rollback(repo, ['--tag', tag, '--confirm', 'ROLLBACK', '--yes']);
    expect(r.code, r.stderr).toBe(1);
    expect(await fullSnapshot(repo)).toEqual(before);
    expect(r.stderr).toMatch(/would no longer be ignored at the tag, and would be left behind or stashed: \.env/);
    expect(objectsHold(repo, [PASSWORD])).toBe(false);
  });

  it('a record of lost folders naming a path through a symbolic link: nothing is created outside the work tree', async () => {
    const { repo } = await scene();
    const outside = await tempDir();
    // An ignored link (kept by the reset) to a folder outside, and a record someone else wrote.
    await fs.appendFile(path.join(repo.dir, '.git', 'info', 'exclude'), '/lnk\n');
    await fs.symlink(outside, path.join(repo.dir, 'lnk'));
    await fs.writeFile(path.join(repo.dir, '.git', 'mcpctl-rollback-20260101-000000.empty-folders'), 'lnk/evil/\0../up/\0.git/hooks/x/\0ok/fine/\0');
    // Its rollback's stash exists (a record without one is stale and names no folder).
    repo.git('stash', 'push', '-q', '-m', 'mcpctl rollback 20260101-000000');
    const plan = JSON.parse((await rollback(repo, ['--dry-run', '--json'])).stdout).plan;
    expect(plan.emptyFolders).toEqual(['ok/fine/']);
    const r = await rollback(repo, ['--confirm', 'ROLLBACK', '--yes']);
    expect(r.code, r.stderr).toBe(0);
    expect(await fs.readdir(outside)).toEqual([]);
    expect(await exists(path.join(repo.dir, '..', 'up'))).toBe(false);
    expect(await exists(path.join(repo.dir, '.git', 'hooks', 'x'))).toBe(false);
    expect((await fs.stat(path.join(repo.dir, 'ok', 'fine'))).isDirectory()).toBe(true);
  });
});

/** Refused (exit 1) with `message`, nothing changed. */
async function refusedUnchanged(repo: Repo, args: string[], message: RegExp) {
  const before = await fullSnapshot(repo);
  const r = await rollback(repo, [...args, '--confirm', 'ROLLBACK', '--yes']);
  expect(r.code, r.stderr).toBe(1);
  expect(await fullSnapshot(repo)).toEqual(before);
  expect(r.stderr).toMatch(message);
  return r;
}

describe('rollback: tree paths git refuses on any system (core.protectNTFS is on by default), or that name one path twice', () => {
  const long = 'a'.repeat(256);
  // Each one alone stopped the old rollback after its stash (the reset or the verify failed).
  const cases: [string, (repo: Repo) => string[], string][] = [
    ['git~1/x', (repo) => [`040000 tree ${mktree(repo, [`100644 blob ${blob(repo, 'x')}\tx`])}\tgit~1`], 'git~1/x'],
    ['GIT~1', (repo) => [`100644 blob ${blob(repo, 'x')}\tGIT~1`], 'GIT~1'],
    ['.git.', (repo) => [`100644 blob ${blob(repo, 'x')}\t.git.`], '.git.'],
    ['.git + space', (repo) => [`100644 blob ${blob(repo, 'x')}\t.git `], '.git '],
    ['.git::$INDEX_ALLOCATION', (repo) => [`040000 tree ${mktree(repo, [`100644 blob ${blob(repo, 'x')}\tconfig`])}\t.git::$INDEX_ALLOCATION`], '.git::$INDEX_ALLOCATION/config'],
    ['a symlinked .gitmodules', (repo) => [`120000 blob ${blob(repo, 'a.txt')}\t.gitmodules`], '.gitmodules'],
    ['a symlinked .GITMODULES', (repo) => [`120000 blob ${blob(repo, 'a.txt')}\t.GITMODULES`], '.GITMODULES'],
    ['a 256-byte name', (repo) => [`100644 blob ${blob(repo, 'x')}\t${long}`], long],
    ['a file d beside a folder d', (repo) => [`100644 blob ${blob(repo, 'x')}\td`, `040000 tree ${mktree(repo, [`100644 blob ${blob(repo, 'y')}\ty`])}\td`], 'd'],
  ];
  it.each(cases)('%s: refused before any change, the path named', async (_, entries, named) => {
    const { repo } = await scene();
    const tag = craftTag(repo, 'crafted', entries(repo));
    const r = await refusedUnchanged(repo, ['--tag', tag], /crafted or main holds path\(s\) that git refuses to check out: /);
    expect(r.stderr).toContain(`check out: ${named}`);
  });

  it('all of them in one tree: every path named (git itself names only the first)', async () => {
    const { repo } = await scene();
    const tag = craftTag(repo, 'crafted', cases.flatMap(([, entries]) => entries(repo)));
    const r = await refusedUnchanged(repo, ['--tag', tag], /holds path\(s\) that git refuses to check out/);
    for (const [, , named] of cases) expect(r.stderr).toContain(named);
  });
  it('the branch tip (HEAD elsewhere: the checkout meets it) holding GIT~1: refused before any change', async () => {
    const { repo } = await scene();
    const base = repo.git('ls-tree', 'main').trim().split('\n');
    const tip = repo.git('commit-tree', mktree(repo, [...base, `100644 blob ${blob(repo, 'x')}\tGIT~1`]), '-p', 'main', '-m', 'crafted tip').trim();
    repo.git('branch', '-f', 'main', tip);
    await refusedUnchanged(repo, [], /backup-before-refactor or main holds path\(s\) that git refuses to check out: GIT~1\./);
  });
});

describe('rollback: populated submodules the tag does not have as they are', () => {
  async function withSubmodule() {
    const s = await scene();
    const sub = await makeRepo('main');
    repos.push(sub);
    const first = sub.commit('s.txt', 'one\n', 's1');
    sub.commit('s.txt', 'two\n', 's2');
    s.repo.git('-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', sub.dir, 'sub');
    s.repo.git('commit', '-q', '-m', 'add submodule');
    s.repo.git('branch', '-f', 'main', 'HEAD');
    return { ...s, first };
  }

  it('a clean submodule the tag lacks: refused (it stopped at the verify, after the reset), and the hint makes it work', async () => {
    const { repo, tagCommit } = await withSubmodule();
    const r = await refusedUnchanged(repo, [], /populated submodule\(s\) that backup-before-refactor does not have at the same commit.*: sub\./);
    repo.git(...r.stderr.match(/git submodule deinit -- sub/)![0].split(' ').slice(1));
    const ok = await rollback(repo, ['--confirm', 'ROLLBACK', '--yes']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(repo.git('rev-parse', 'HEAD').trim()).toBe(tagCommit);
  });

  it('a clean submodule the tag has at another commit: refused', async () => {
    const { repo, first } = await withSubmodule();
    const tag = craftTag(repo, 'older-sub', [`160000 commit ${first}\tsub`, `100644 blob ${blob(repo, await repo.read('.gitmodules'))}\t.gitmodules`]);
    await refusedUnchanged(repo, ['--tag', tag], /populated submodule\(s\) that older-sub does not have at the same commit.*: sub\./);
  });
});

describe('rollback: what the stash really leaves', () => {
  it('an empty folder inside an untracked folder that holds files is listed and recreated', async () => {
    const { repo } = await scene();
    await fs.mkdir(path.join(repo.dir, 'x', 'y'), { recursive: true });
    await fs.mkdir(path.join(repo.dir, 'x', 'w', 'deep'), { recursive: true });
    await repo.write('x/z.txt', 'z\n');
    await repo.write('x/w/file.txt', 'w\n');
    const plan = JSON.parse((await rollback(repo, ['--dry-run', '--json'])).stdout).plan;
    expect(plan.emptyFolders).toEqual(['x/w/deep/', 'x/y/']);
    const r = await rollback(repo, ['--confirm', 'ROLLBACK', '--yes']);
    expect(r.code, r.stderr).toBe(0);
    for (const d of ['x/y', 'x/w/deep']) expect((await fs.stat(path.join(repo.dir, d))).isDirectory()).toBe(true);
  });

  it('an untracked sub/.gitignore that ignores itself (`*`) stays, and so do the files it ignores: not refused', async () => {
    const { repo, tagCommit } = await scene();
    await repo.write('sub/.gitignore', '*\n');
    await repo.write('sub/data.txt', `POSTGRES_PASSWORD=${PASSWORD}\n`);
    const dry = await rollback(repo, ['--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    const r = await rollback(repo, ['--confirm', 'ROLLBACK', '--yes']);
    expect(r.code, r.stderr).toBe(0);
    expect(repo.git('rev-parse', 'HEAD').trim()).toBe(tagCommit);
    expect(await repo.read('sub/.gitignore')).toBe('*\n');
    expect(await repo.read('sub/data.txt')).toBe(`POSTGRES_PASSWORD=${PASSWORD}\n`);
    expect(objectsHold(repo, [PASSWORD])).toBe(false);
  });

  it('an untracked sub/.gitignore that ignores a file but not itself: the stash takes it, so that file is refused', async () => {
    const { repo } = await scene();
    await repo.write('sub/.gitignore', 'secret.txt\n');
    await repo.write('sub/secret.txt', `POSTGRES_PASSWORD=${PASSWORD}\n`);
    const before = await fullSnapshot(repo);
    const r = await rollback(repo, ['--confirm', 'ROLLBACK', '--yes']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/would no longer be ignored once the stash takes the uncommitted \.gitignore changes.*sub\/secret\.txt/);
    expect(await fullSnapshot(repo)).toEqual(before);
    expect(objectsHold(repo, [PASSWORD])).toBe(false);
  });
});
