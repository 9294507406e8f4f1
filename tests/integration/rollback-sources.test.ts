// What the pre-flight must know before any change, wherever it lives: exclude files that the
// stash or the reset would change (review round 2, finding 1), the secrets of every ignored env
// file in the repository, not only the project's nearest the current folder (finding 3), and
// env files by every usual name (finding 4).
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fullSnapshot, objectsHold, trackedRepos, type Repo } from '../helpers/git-repo.js';
import { runMain } from '../helpers/project.js';

const PASSWORD = 'Zq8vLm2Kx9Pw4Rt7Yh-rollback';
const KEYDATA = 'KEYDATA-7f3e9a1c5b2d8e4f';
const { scene } = trackedRepos();
const rollback = (repo: Repo, cwd = repo.dir) => runMain(['rollback', '--confirm', 'ROLLBACK', '--yes'], { cwd, env: repo.env });

/** Refused with exit 1, nothing changed, none of `needles` in git's objects or in the output. */
async function refused(repo: Repo, needles: string[], cwd?: string) {
  const before = await fullSnapshot(repo);
  const r = await rollback(repo, cwd);
  expect(r.code, r.stderr).toBe(1);
  expect(await fullSnapshot(repo)).toEqual(before);
  expect(objectsHold(repo, needles)).toBe(false);
  for (const n of needles) expect(r.stdout + r.stderr).not.toContain(n);
  return r;
}

describe('rollback: exclude files in the work tree (finding 1)', () => {
  it('.git/info/exclude linked to an untracked .localignore: refused before any change, twice, and the key never enters git', async () => {
    const { repo } = await scene();
    await repo.write('.localignore', 'secret.key\n');
    await fs.rm(path.join(repo.dir, '.git', 'info', 'exclude'));
    await fs.symlink('../../.localignore', path.join(repo.dir, '.git', 'info', 'exclude'));
    await repo.write('secret.key', `${KEYDATA}\n`);
    const r = await refused(repo, [KEYDATA]);
    expect(r.stderr).toMatch(/ignore rules \(info\/exclude\) from \.localignore in the work tree/);
    expect(r.stderr).toMatch(/cp --remove-destination/);
    // The second run the review found leaking is refused the same way.
    await refused(repo, [KEYDATA]);
  });

  it('core.excludesFile naming an untracked .myignore in the work tree: refused, the key never enters git', async () => {
    const { repo } = await scene();
    await repo.write('.myignore', 'secret.key\n');
    repo.git('config', 'core.excludesFile', path.join(repo.dir, '.myignore'));
    await repo.write('secret.key', `${KEYDATA}\n`);
    const r = await refused(repo, [KEYDATA]);
    expect(r.stderr).toMatch(/ignore rules \(core\.excludesFile\) from \.myignore/);
  });

  it('core.excludesFile (outside) set by a configuration file in the work tree (include.path): refused, twice, the key never enters git', async () => {
    const { repo } = await scene();
    const rules = path.join(repo.home, 'ignore-rules');
    await fs.writeFile(rules, 'secret.key\n');
    await repo.write('.gitconfig-local', `[core]\n\texcludesFile = ${rules}\n`);
    repo.git('config', 'include.path', '../.gitconfig-local');
    await repo.write('secret.key', `${KEYDATA}\n`);
    for (let i = 0; i < 2; i++) {
      const r = await refused(repo, [KEYDATA]);
      expect(r.stderr).toMatch(/ignore rules \(git config\) from \.gitconfig-local/);
    }
  });

  it('core.excludesFile as ~/ (relative to HOME) in the work tree, and a committed one the tag lacks: refused', async () => {
    const { repo } = await scene();
    // HOME inside the work tree: `~/` is expanded as git does.
    await repo.write('home/.myignore', 'secret.key\n');
    repo.git('config', 'core.excludesFile', '~/.myignore');
    const env = { ...repo.env, HOME: path.join(repo.dir, 'home') };
    await repo.write('secret.key', `${KEYDATA}\n`);
    const r = await runMain(['rollback', '--confirm', 'ROLLBACK', '--yes'], { cwd: repo.dir, env });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/from home\/\.myignore/);
    expect(objectsHold(repo, [KEYDATA])).toBe(false);
    // Committed on the branch, absent at the tag: the reset would delete it.
    const other = (await scene()).repo;
    other.commit('.myignore', 'secret.key\n', 'local ignore rules');
    other.git('branch', '-f', 'main', 'HEAD');
    other.git('config', 'core.excludesFile', '.myignore');
    await other.write('secret.key', `${KEYDATA}\n`);
    const r2 = await refused(other, [KEYDATA]);
    expect(r2.stderr).toMatch(/from \.myignore/);
    expect(r2.stderr).not.toMatch(/or commit/);
  });

  it('.git/info/exclude reached through an untracked folder link in the work tree (lnk → outside): refused', async () => {
    const { repo } = await scene();
    const outside = path.join(repo.home, 'rules');
    await fs.mkdir(outside);
    await fs.writeFile(path.join(outside, 'exclude'), 'secret.key\n');
    await fs.symlink(outside, path.join(repo.dir, 'lnk'));
    await fs.rm(path.join(repo.dir, '.git', 'info', 'exclude'));
    await fs.symlink(path.join(repo.dir, 'lnk', 'exclude'), path.join(repo.dir, '.git', 'info', 'exclude'));
    await repo.write('secret.key', `${KEYDATA}\n`);
    // fullSnapshot cannot hash a folder link: refs, HEAD, stash and status are compared instead.
    const state = () => [repo.git('for-each-ref'), repo.git('rev-parse', 'HEAD'), repo.git('stash', 'list'), repo.git('status', '--porcelain=v2', '--ignored', '--untracked-files=all')];
    const before = state();
    const r = await rollback(repo);
    expect(r.code, r.stderr).toBe(1);
    expect(state()).toEqual(before);
    expect(objectsHold(repo, [KEYDATA])).toBe(false);
    expect(r.stderr).toMatch(/from lnk\/exclude in the work tree/);
  });

  it('an exclude file outside the work tree (the XDG default) changes nothing: the rollback runs', async () => {
    const { repo, tagCommit } = await scene();
    await fs.mkdir(path.join(repo.home, '.config', 'git'), { recursive: true });
    await fs.writeFile(path.join(repo.home, '.config', 'git', 'ignore'), 'secret.key\n');
    await repo.write('secret.key', `${KEYDATA}\n`);
    const r = await rollback(repo);
    expect(r.code, r.stderr).toBe(0);
    expect(repo.git('rev-parse', 'HEAD').trim()).toBe(tagCommit);
    expect(await repo.read('secret.key')).toBe(`${KEYDATA}\n`);
    expect(objectsHold(repo, [KEYDATA])).toBe(false);
  });
});

describe('rollback: the secrets of every ignored env file are searched for (finding 3)', () => {
  it('run from a project subfolder (svc/, marked by migrations/): the top folder .env.local password in notes.txt is refused', async () => {
    const { repo } = await scene();
    await fs.appendFile(path.join(repo.dir, '.git', 'info', 'exclude'), '/.env.local\n');
    await repo.write('.env.local', `POSTGRES_PASSWORD=${PASSWORD}\n`);
    await repo.write('notes.txt', `${PASSWORD}\n`);
    await fs.mkdir(path.join(repo.dir, 'svc', 'migrations'), { recursive: true });
    // migrations/ marks svc as a project folder: the project nearest the current folder is svc.
    const r = await refused(repo, [PASSWORD], path.join(repo.dir, 'svc'));
    expect(r.stderr).toMatch(/hold a password or secret of the project or of its env files: notes\.txt/);
  });

  it('a nested service env file (DATABASE_URL, percent-encoded; an admin password in .envrc): refused from the top folder', async () => {
    const { repo } = await scene();
    await fs.appendFile(path.join(repo.dir, '.git', 'info', 'exclude'), '.env\n.envrc\n');
    const pw = `${PASSWORD}@:/`;
    await repo.write('svc/.env', `REGISTRY_DATABASE_URL=postgresql://u:${encodeURIComponent(pw)}@db/x\n`);
    await repo.write('tools/.envrc', `export SETUP_POSTGRES_PASSWORD=admin-${PASSWORD}\n`);
    await repo.write('svc/log.txt', `pw=${pw}\n`);
    await repo.write('tools/admin.txt', `admin-${PASSWORD}\n`);
    const r = await refused(repo, [pw, `admin-${PASSWORD}`]);
    expect(r.stderr).toMatch(/hold a password or secret of the project or of its env files: svc\/log\.txt, tools\/admin\.txt/);
  });
});

describe('rollback: every secret-named value of an ignored env file is searched for (second review)', () => {
  it('API_TOKEN in svc/.env, DB_PASSWORD in app/.env and a redis URL password, copied into tracked files: refused, never stashed', async () => {
    const { repo } = await scene();
    await fs.appendFile(path.join(repo.dir, '.git', 'info', 'exclude'), '.env\n');
    const [token, dbpw, redis] = ['Zebra77Qx-token-5d1e', 'Hunter2Zq9-db-pw', 'r3dis-pw-8c2b9a'];
    await repo.write('svc/.env', `API_TOKEN=${token}\nLOG_LEVEL=information\n`);
    await repo.write('app/.env', `DB_PASSWORD="${dbpw}"\nCACHE=redis://:${redis}@cache:6379/0\n`);
    await repo.write('app.py', `TOKEN = "${token}"\n`);
    await repo.write('notes/untracked.txt', `db ${dbpw} / cache ${redis}\n`);
    // Not secret by name: a value the env files share with ordinary text is no reason to refuse.
    await repo.write('lib/util.py', 'LEVEL = "information"\n');
    await fs.mkdir(path.join(repo.dir, 'app', 'migrations'), { recursive: true });
    const r = await refused(repo, [token, dbpw, redis], path.join(repo.dir, 'app'));
    expect(r.stderr).toMatch(/hold a password or secret of the project or of its env files: notes\/untracked\.txt, app\.py\. /);
    expect(r.stderr + r.stdout).not.toMatch(new RegExp(`${token}|${dbpw}|${redis}`));
  });
});

describe('rollback: env files by every usual name (finding 4)', () => {
  it('.envrc, .env~ and prod.env are refused by name; templates are not', async () => {
    const { repo } = await scene();
    for (const f of ['.envrc', '.env~', 'deploy/prod.env', '.env.local~']) await repo.write(f, `POSTGRES_PASSWORD=${PASSWORD}\n`);
    for (const f of ['example.env', '.env.example~', '.env.sample']) await repo.write(f, 'POSTGRES_PASSWORD=change-me\n');
    const r = await refused(repo, [PASSWORD]);
    expect(r.stderr).toMatch(/env file\(s\) that the stash would copy into git's object database: \.env\.local~, \.envrc, \.env~, deploy\/prod\.env\./);
  });
});
