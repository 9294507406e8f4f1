// Rollback pre-flight simulates the stash and the reset: it refuses what would stop half-way
// or put a secret into git's object database, recreates empty folders, lists earlier leftovers.
import { execFileSync, spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fullSnapshot, makeRepo, objectsHold, trackedRepos, type Repo } from '../helpers/git-repo.js';
import { BIN, runMain } from '../helpers/project.js';

const PASSWORD = 'Sup3r-secret-pw-9f8e7d6c5b4a3210';
const { repos, scene } = trackedRepos();
const rollback = (repo: Repo, args: string[]) => runMain(['rollback', ...args], { cwd: repo.dir, env: repo.env });

/** Whether any object in the repository (reachable or not, loose or packed) holds the password. */
const passwordInObjects = (repo: Repo) => objectsHold(repo, [PASSWORD]);

async function refusedUnchanged(repo: Repo, check: RegExp, hint: RegExp) {
  const before = await fullSnapshot(repo);
  const r = await rollback(repo, ['--confirm', 'ROLLBACK', '--yes']);
  expect(r.code, r.stderr).toBe(1);
  // The harm first (a changed repository, a password in git), then the message.
  expect(await fullSnapshot(repo)).toEqual(before);
  expect(passwordInObjects(repo)).toBe(false);
  expect(r.stderr).toMatch(check);
  expect(r.stderr).toMatch(hint);
  return r;
}

describe('rollback: what the stash would leave or take is refused before any change', () => {
  it('right after setup-db (uncommitted .gitignore ignoring .env.local): refused, and the password never enters git', async () => {
    const { repo } = await scene();
    await repo.write('.gitignore', '.env\n.env.local\n');
    await repo.write('.env.local', `POSTGRES_PASSWORD=${PASSWORD}\n`);
    await refusedUnchanged(repo, /\.env\.local/, /git add \.gitignore && git commit/);
  });

  it('the .gitignore committed, but the tag does not ignore .env.local: refused with the .git/info/exclude fix, which then works', async () => {
    const { repo, tagCommit } = await scene();
    repo.commit('.gitignore', '.env.local\n', 'ignore env');
    repo.git('branch', '-f', 'main', 'HEAD');
    await repo.write('.env.local', `POSTGRES_PASSWORD=${PASSWORD}\n`);
    await refusedUnchanged(repo, /would no longer be ignored at the tag.*: \.env\.local/, /\.git\/info\/exclude/);
    await fs.appendFile(path.join(repo.dir, '.git', 'info', 'exclude'), '.env.local\n');
    const r = await rollback(repo, ['--confirm', 'ROLLBACK', '--yes']);
    expect(r.code, r.stderr).toBe(0);
    expect(repo.git('rev-parse', 'HEAD').trim()).toBe(tagCommit);
    expect(await repo.read('.env.local')).toBe(`POSTGRES_PASSWORD=${PASSWORD}\n`);
    expect(passwordInObjects(repo)).toBe(false);
  });

  it('a folder whose files are all ignored, but not at the tag: each file named once', async () => {
    const { repo } = await scene();
    repo.commit('.gitignore', '*.cache\n', 'ignore caches');
    repo.git('branch', '-f', 'main', 'HEAD');
    await repo.write('cdir/a.cache', 'x\n');
    await repo.write('b.cache', 'x\n');
    // `ls-files --ignored --directory` names both cdir/ and cdir/a.cache.
    await refusedUnchanged(repo, /would no longer be ignored at the tag, and would be left behind or stashed: b\.cache, cdir\/a\.cache\. /, /printf '%s\\n' \/b\.cache \/cdir\/a\.cache >> \.git\/info\/exclude/);
  });

  it('an untracked env file that is not ignored is never stashed', async () => {
    const { repo } = await scene();
    await repo.write('.env', `POSTGRES_PASSWORD=${PASSWORD}\n`);
    await refusedUnchanged(repo, /env file\(s\) that the stash would copy into git's object database: \.env/, /info\/exclude/);
  });

  it('a submodule with changes', async () => {
    const { repo } = await scene();
    const sub = await makeRepo('main');
    repos.push(sub);
    sub.commit('s.txt', 'one\n', 's1');
    repo.git('-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', sub.dir, 'sub');
    repo.git('commit', '-q', '-m', 'add submodule');
    repo.git('branch', '-f', 'main', 'HEAD');
    await repo.write('sub/s.txt', 'changed\n');
    await refusedUnchanged(repo, /submodule\(s\) with changes.*sub/, /for s in sub; do git -C "\$s" stash push --include-untracked; done/);
  });

  it('an intent-to-add entry (git add -N)', async () => {
    const { repo } = await scene();
    await repo.write('planned.py', 'x = 1\n');
    repo.git('add', '-N', 'planned.py');
    await refusedUnchanged(repo, /intent-to-add entries.*planned\.py/, /git rm --cached -- planned\.py/);
  });
});

/** Runs a rollback and sends `signal` when its output matches `event` (a step it announces); resolves with its stdout. */
async function killAt(repo: Repo, event: RegExp, signal: NodeJS.Signals, extra: string[] = []): Promise<string> {
  const child = spawn(process.execPath, [BIN, 'rollback', '--confirm', 'ROLLBACK', '--yes', ...extra], { cwd: repo.dir, env: { ...repo.env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let seen = '';
  let stdout = '';
  child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  await new Promise<void>((res, rej) => {
    const look = (b: Buffer) => {
      seen += b.toString();
      if (event.test(seen)) {
        child.kill(signal);
        res();
      }
    };
    child.stdout!.on('data', look);
    child.stderr!.on('data', look);
    child.once('exit', () => rej(new Error(`rollback ended before ${event}:\n${seen}`)));
  });
  await exited;
  return stdout;
}

const isDir = (repo: Repo, d: string) => fs.stat(path.join(repo.dir, d)).then((s) => s.isDirectory(), () => false);

describe('rollback: empty folders and earlier leftovers', () => {
  it('empty untracked folders are listed in the plan and recreated after the reset', async () => {
    const { repo } = await scene();
    await fs.mkdir(path.join(repo.dir, 'empty', 'a', 'b'), { recursive: true });
    await fs.mkdir(path.join(repo.dir, 'e2'));
    const dry = await rollback(repo, ['--dry-run', '--json']);
    expect(JSON.parse(dry.stdout).plan.emptyFolders).toEqual(['e2/', 'empty/a/b/']);
    const before = await fullSnapshot(repo);
    const r = await rollback(repo, ['--confirm', 'ROLLBACK', '--yes', '--json']);
    expect(r.code, r.stderr).toBe(0);
    for (const d of ['empty/a/b', 'e2']) expect((await fs.stat(path.join(repo.dir, d))).isDirectory()).toBe(true);
    const doc = JSON.parse(r.stdout);
    expect(doc.steps).toContain('folders');
    // Its undo gives back everything but the refs it added (the saved tip, the stash entry).
    execFileSync('sh', ['-c', doc.undo.join(' && ')], { cwd: repo.dir, env: repo.env, stdio: 'ignore' });
    const after = await fullSnapshot(repo);
    expect({ ...after, refs: undefined, stash: undefined }).toEqual({ ...before, refs: undefined, stash: undefined });
    expect(after.refs.split('\n').filter((l) => !before.refs.includes(l)).map((l) => l.split(' ')[0])).toEqual([`refs/heads/${doc.savedTip.branch}`, 'refs/stash']);
    expect(passwordInObjects(repo)).toBe(false);
  });

  it('a re-run lists the stash and branch of a run killed (kill -9) between stash and reset', async () => {
    const { repo } = await scene();
    // The observed event: the run announces the step after the stash.
    await killAt(repo, /… check out main/, 'SIGKILL');
    const stashCommit = repo.git('rev-parse', 'refs/stash').trim();
    const saved = repo.git('for-each-ref', '--format=%(refname:short)', 'refs/heads/mcpctl/').trim();
    expect(saved).toMatch(/^mcpctl\/rollback-\d{8}-\d{6}$/);
    await repo.write('again.txt', 'new work\n');
    const r = await rollback(repo, ['--dry-run', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const plan = JSON.parse(r.stdout).plan;
    expect(plan.earlier.stashes).toEqual([{ commit: stashCommit, ref: 'stash@{0}', message: expect.stringMatching(/^On 004-multi-project-refactor: mcpctl rollback \d{8}-\d{6}$/) }]);
    expect(plan.earlier.branches.map((b: { name: string }) => b.name)).toEqual([saved]);
    const human = await rollback(repo, ['--dry-run']);
    expect(human.stdout + human.stderr).toMatch(/earlier.*\n.*stash stash@\{0\}.*mcpctl rollback \d{8}-\d{6}/);
  });

  it('empty folders deleted by the stash of a run killed (kill -9) before it recreated them: the re-run lists them and recreates them', async () => {
    const { repo, tagCommit } = await scene();
    await fs.mkdir(path.join(repo.dir, 'keep', 'me'), { recursive: true });
    await repo.write('work.txt', 'uncommitted\n');
    await killAt(repo, /… reset main to/, 'SIGKILL');
    expect(await isDir(repo, 'keep/me')).toBe(false);
    const dry = await rollback(repo, ['--dry-run', '--json']);
    expect(dry.code, dry.stderr).toBe(0);
    const plan = JSON.parse(dry.stdout).plan;
    expect(plan.earlier.folders.flatMap((l: { folders: string[] }) => l.folders)).toEqual(['keep/me/']);
    expect(plan.emptyFolders).toEqual(['keep/me/']);
    expect((await rollback(repo, ['--dry-run'])).stdout).toMatch(/1 empty folder\(s\) deleted by a stash and not recreated.*keep\/me\//);
    const r = await rollback(repo, ['--confirm', 'ROLLBACK', '--yes', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(repo.git('rev-parse', 'HEAD').trim()).toBe(tagCommit);
    expect(await isDir(repo, 'keep/me')).toBe(true);
    // The record is gone once the folders are back: the next plan no longer mentions them.
    const next = JSON.parse((await rollback(repo, ['--dry-run', '--json'])).stdout).plan;
    expect(next.earlier.folders).toEqual([]);
  });

  it('Ctrl-C after the stash: the printed undo recreates the empty folders too', async () => {
    const { repo } = await scene();
    await fs.mkdir(path.join(repo.dir, 'keep', 'me'), { recursive: true });
    await repo.write('work.txt', 'uncommitted\n');
    const before = await fullSnapshot(repo);
    const doc = JSON.parse(await killAt(repo, /… check out main/, 'SIGINT', ['--json']));
    expect(doc.ok).toBe(false);
    const undo: string[] = doc.error.details.undo;
    expect(undo.at(-1)).toBe('mkdir -p -- keep/me/');
    execFileSync('sh', ['-c', undo.join(' && ')], { cwd: repo.dir, env: repo.env, stdio: 'ignore' });
    const after = await fullSnapshot(repo);
    expect({ ...after, refs: undefined, stash: undefined }).toEqual({ ...before, refs: undefined, stash: undefined });
  });
});
