// Rollback never stashes the project's password (review A6), whatever file holds it and however
// it is written; and each refusal of the pre-flight names every file at once, with one command
// that fixes them all (review A9).
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fullSnapshot, makeRepo, objectsHold, rollbackScene, trackedRepos, type Repo } from '../helpers/git-repo.js';
import { runMain } from '../helpers/project.js';

// Characters a URL must encode, so the percent-encoded form differs from the plain one.
const PASSWORD = 'Sup3r/secret@pw:9f8e7d6c5b4a3210';
const ENCODED = encodeURIComponent(PASSWORD);
const BASE64 = Buffer.from(`mcp_user:${PASSWORD}`).toString('base64');
const LOWER_HEX = ENCODED.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase());
const FORMS = [PASSWORD, ENCODED, LOWER_HEX, BASE64];

const { repos, scene: usualScene } = trackedRepos();

/** The usual scene with the password in an ignored .env.local (ignored at HEAD and at the tag). */
async function scene() {
  const s = await usualScene();
  await fs.appendFile(path.join(s.repo.dir, '.git', 'info', 'exclude'), '/.env.local\n');
  await s.repo.write('.env.local', `POSTGRES_PASSWORD=${PASSWORD}\n`);
  return s;
}
const rollback = (repo: Repo, args: string[]) => runMain(['rollback', ...args], { cwd: repo.dir, env: repo.env });
const sh = (repo: Repo, command: string) => execFileSync('sh', ['-c', command], { cwd: repo.dir, env: repo.env, stdio: 'pipe' });

/** Refused with exit 1; nothing changed; no form of the password in git or in the output. */
async function refused(repo: Repo) {
  const before = await fullSnapshot(repo);
  const r = await rollback(repo, ['--confirm', 'ROLLBACK', '--yes']);
  expect(r.code, r.stderr).toBe(1);
  expect(await fullSnapshot(repo)).toEqual(before);
  expect(objectsHold(repo, FORMS)).toBe(false);
  for (const f of FORMS) expect(r.stdout + r.stderr).not.toContain(f);
  return r;
}

/** The `printf … >> .git/info/exclude` command of the hint (there must be exactly one per refusal). */
function excludeCommandOf(stderr: string, which: RegExp): string {
  const hint = stderr.split('\n').find((l) => l.startsWith('hint:'))!;
  const part = hint.split('; ').find((p) => which.test(p))!;
  const cmds = part.match(/printf '%s\\n' .*? >> \.git\/info\/exclude/g) ?? [];
  expect(cmds).toHaveLength(1);
  return cmds[0]!;
}

describe('rollback: the password never enters git through the stash (A6)', () => {
  it('untracked and changed tracked files holding it (plain, percent-encoded, base64, in a binary) are refused in one run, and the hint fixes them', async () => {
    const { repo, tagCommit } = await scene();
    await repo.write('notes.txt', `db password: ${PASSWORD}\n`);
    await repo.write('logs/debug.log', `connect postgresql://mcp_user:${LOWER_HEX}@localhost/project_registry\n`);
    await repo.write('k8s/secret.yaml', `data:\n  auth: ${BASE64}\n`);
    await fs.writeFile(path.join(repo.dir, 'dump.bin'), Buffer.concat([Buffer.alloc(70_000, 0xff), Buffer.from(PASSWORD), Buffer.from([0, 0])]));
    // A tracked file edited to hold a URL: its work-tree content would be stashed too.
    await repo.write('app.py', `DATABASE_URL = "postgresql+asyncpg://mcp_user:${ENCODED}@localhost:5432/project_registry"\n`);
    const r = await refused(repo);
    expect(r.stderr).toMatch(/hold a password or secret of the project or of its env files: dump\.bin, k8s\/secret\.yaml, logs\/debug\.log, notes\.txt, app\.py/);
    // The untracked files that hold nothing are not named.
    expect(r.stderr).not.toMatch(/password:[^\n]*untracked\.txt/);
    expect(r.stderr).toMatch(/git restore -- app\.py/);

    sh(repo, excludeCommandOf(r.stderr, /^(hint: )?untracked ones/));
    repo.git('restore', '--', 'app.py');
    const ok = await rollback(repo, ['--confirm', 'ROLLBACK', '--yes']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(repo.git('rev-parse', 'HEAD').trim()).toBe(tagCommit);
    expect(objectsHold(repo, FORMS)).toBe(false);
    // Ignored, so never touched: every file is still there as it was.
    expect(await repo.read('notes.txt')).toBe(`db password: ${PASSWORD}\n`);
    expect((await fs.stat(path.join(repo.dir, 'dump.bin'))).size).toBe(70_000 + PASSWORD.length + 2);
  });

  it('the password from the password file alone (no POSTGRES_PASSWORD anywhere) is searched for too', async () => {
    const { repo } = await rollbackScene();
    repos.push(repo);
    const pgpass = path.join(repo.home, '.pgpass');
    await fs.writeFile(pgpass, `localhost:5432:project_registry:mcp_user:${PASSWORD.replace(/:/g, '\\:')}\n`, { mode: 0o600 });
    await repo.write('scratch/psql-history.txt', `\\password ${PASSWORD}\n`);
    const r = await refused(repo);
    expect(r.stderr).toMatch(/hold a password or secret of the project or of its env files: scratch\/psql-history\.txt/);
  });

  it('a copy base64-wrapped over lines, UTF-16 LE/BE, gzip, JSON with \\/ and .pgpass-escaped: each refused (review M3, L1)', async () => {
    const { repo } = await scene();
    // Long enough that GNU base64's 76-character lines cut through the password's encoding.
    await repo.write('.env.local', `# local settings, never committed\nPOSTGRES_PASSWORD=${PASSWORD}\n`);
    sh(repo, 'base64 .env.local > secrets.b64');
    expect(await repo.read('secrets.b64')).toMatch(/\n./);
    await fs.writeFile(path.join(repo.dir, 'env16le.txt'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`POSTGRES_PASSWORD=${PASSWORD}\r\n`, 'utf16le')]));
    await fs.writeFile(path.join(repo.dir, 'env16be.txt'), Buffer.from(`POSTGRES_PASSWORD=${PASSWORD}`, 'utf16le').swap16());
    sh(repo, 'cat .env.local | gzip > env.gz');
    await repo.write('php.json', `{"pw":"${PASSWORD.replace(/\//g, '\\/')}"}\n`);
    await repo.write('pgpass.bak', `localhost:5432:*:mcp_user:${PASSWORD.replace(/:/g, '\\:')}\n`);
    const r = await refused(repo);
    expect(r.stderr).toMatch(/hold a password or secret of the project or of its env files: env\.gz, env16be\.txt, env16le\.txt, pgpass\.bak, php\.json, secrets\.b64/);
  });

  it('a file named with the password: refused before any change, the name never printed (review M3a)', async () => {
    const { repo } = await scene();
    // The password's `/` makes it a folder and a file name: the path as git stores it holds it.
    await repo.write(`keys/${PASSWORD}.txt`, 'nothing secret inside\n');
    await repo.write(`pw-${encodeURIComponent(PASSWORD)}.txt`, 'nothing secret inside\n');
    const r = await refused(repo);
    expect(r.stderr).toMatch(/2 changed or untracked path\(s\) have a password or secret of the project in their name/);
  });

  it('a new file with the password staged with git add: refused, and its blob stays unreachable (review M3d)', async () => {
    const { repo } = await scene();
    await repo.write('config/db.txt', `password=${PASSWORD}\n`);
    repo.git('add', 'config/db.txt');
    // The work tree no longer holds it: only the index does.
    await repo.write('config/db.txt', 'password=(moved to .env.local)\n');
    const oid = repo.git('rev-parse', ':config/db.txt').trim();
    const before = await fullSnapshot(repo);
    const r = await rollback(repo, ['--confirm', 'ROLLBACK', '--yes']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/staged file\(s\) \(git add\) whose staged content holds a password or secret of the project or of its env files[^\n]*: config\/db\.txt/);
    expect(r.stderr + r.stdout).not.toContain(PASSWORD);
    expect(await fullSnapshot(repo)).toEqual(before);
    expect(repo.git('rev-list', '--all', '--reflog', '--objects')).not.toContain(oid);
    sh(repo, r.stderr.match(/git restore --staged -- \S+/)![0]);
    const ok = await rollback(repo, ['--confirm', 'ROLLBACK', '--yes']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(repo.git('rev-list', '--all', '--reflog', '--objects')).not.toContain(oid);
  });

  it("every .pgpass entry of the admin role on the server is searched for, whatever its database (review L4)", async () => {
    const { repo } = await rollbackScene();
    repos.push(repo);
    await fs.writeFile(path.join(repo.home, '.pgpass'), `localhost:5432:template1:postgres:${PASSWORD.replace(/:/g, '\\:')}\nlocalhost:5433:*:postgres:other-server-password\n`, { mode: 0o600 });
    await repo.write('scratch/admin.txt', `admin: ${PASSWORD}\n`);
    await repo.write('scratch/other.txt', 'other-server-password\n');
    const r = await refused(repo);
    expect(r.stderr).toMatch(/hold a password or secret of the project or of its env files: scratch\/admin\.txt\. /);
  });

  it('a large file without the password is read through, not refused', async () => {
    const { repo, tagCommit } = await scene();
    const big = Buffer.alloc(24 << 20, 'a');
    await fs.writeFile(path.join(repo.dir, 'big.log'), big);
    const r = await rollback(repo, ['--confirm', 'ROLLBACK', '--yes']);
    expect(r.code, r.stderr).toBe(0);
    expect(repo.git('rev-parse', 'HEAD').trim()).toBe(tagCommit);
    expect(objectsHold(repo, FORMS)).toBe(false);
  });
});

describe('rollback: each refusal lists every file and one command fixes them all (A9)', () => {
  it('several env files, untracked and tracked: one refusal, one command per kind', async () => {
    const { repo, tagCommit } = await rollbackScene({ dirty: false });
    repos.push(repo);
    // .env.test is tracked at the tag and at the tip (with no secret), then edited locally.
    for (const b of ['main', 'backup-before-refactor']) {
      repo.git('checkout', '-q', b);
      repo.commit('.env.test', 'POSTGRES_DB=test\n', 'env.test');
      if (b !== 'main') repo.git('tag', '-f', '-a', '-m', 'before refactor', 'backup-before-refactor', 'HEAD');
    }
    repo.git('checkout', '-q', '004-multi-project-refactor');
    repo.git('reset', '-q', '--hard', 'main');
    const newTag = repo.git('rev-parse', 'backup-before-refactor^{commit}').trim();
    expect(newTag).not.toBe(tagCommit);
    await repo.write('.env', `POSTGRES_PASSWORD=${PASSWORD}\n`);
    await repo.write('.env.local', `POSTGRES_PASSWORD=${PASSWORD}\n`);
    await repo.write('services/api/.env.production', `POSTGRES_PASSWORD=${PASSWORD}\n`);
    await repo.write('.env.test', `POSTGRES_DB=test\nPOSTGRES_PASSWORD=${PASSWORD}\n`);
    const r = await refused(repo);
    expect(r.stderr).toMatch(/env file\(s\) that the stash would copy into git's object database: \.env, \.env\.local, \.env\.test, services\/api\/\.env\.production/);
    sh(repo, excludeCommandOf(r.stderr, /untracked ones/));
    const aside = r.stderr.match(/\(umask 077 && tar cf \.\.\/mcpctl-aside\.tar -- [^)]*\) && git restore -- [^,;]*/)![0];
    expect(aside).toContain('.env.test');
    sh(repo, aside);
    const ok = await rollback(repo, ['--confirm', 'ROLLBACK', '--yes']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(repo.git('rev-parse', 'HEAD').trim()).toBe(newTag);
    expect(objectsHold(repo, FORMS)).toBe(false);
    for (const f of ['.env', '.env.local', 'services/api/.env.production']) expect(await repo.read(f)).toBe(`POSTGRES_PASSWORD=${PASSWORD}\n`);
  });

  it('untracked nested repositories: refused before any change, one command ignores them all (review M2)', async () => {
    const { repo, tagCommit } = await scene();
    for (const d of ['sub', 'tools/vendor x']) sh(repo, `mkdir -p '${d}' && git -C '${d}' init -q && echo x > '${d}/f'`);
    expect(repo.git('status', '--porcelain')).toContain('?? sub/');
    const r = await refused(repo);
    expect(r.stderr).toMatch(/untracked nested git repositories[^\n]*: sub\/, tools\/vendor x\//);
    expect(repo.git('branch', '--list', 'mcpctl/*')).toBe('');
    sh(repo, excludeCommandOf(r.stderr, /info\/exclude/));
    const ok = await rollback(repo, ['--confirm', 'ROLLBACK', '--yes']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(repo.git('rev-parse', 'HEAD').trim()).toBe(tagCommit);
    expect(await repo.read('tools/vendor x/f')).toBe('x\n');
  });

  it('two dirty submodules: the hint stashes inside both', async () => {
    const { repo } = await rollbackScene();
    repos.push(repo);
    for (const name of ['sub-a', 'sub-b']) {
      const sub = await makeRepo('main');
      repos.push(sub);
      sub.commit('s.txt', 'one\n', 's1');
      repo.git('-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', sub.dir, name);
    }
    repo.git('commit', '-q', '-m', 'add submodules');
    repo.git('branch', '-f', 'main', 'HEAD');
    await repo.write('sub-a/s.txt', 'changed\n');
    await repo.write('sub-b/new.txt', 'new\n');
    const r = await refused(repo);
    expect(r.stderr).toMatch(/submodule\(s\) with changes, which git stash does not take: sub-a, sub-b/);
    sh(repo, r.stderr.match(/for s in [^;]*; do [^;]*; done/)![0]);
    // Clean now, but still populated while the tag has no submodules: the reset would leave them (the next refusal, and its hint).
    const next = await refused(repo);
    expect(next.stderr).toMatch(/populated submodule\(s\) that backup-before-refactor does not have at the same commit.*: sub-a, sub-b/);
    sh(repo, next.stderr.match(/git submodule deinit -- [^;]*/)![0]);
    const dry = await rollback(repo, ['--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
  });

  it('more than eight files no longer ignored at the tag: the command lists them all', async () => {
    const { repo } = await rollbackScene({ dirty: false });
    repos.push(repo);
    repo.commit('.gitignore', '*.cache\n', 'ignore caches');
    repo.git('branch', '-f', 'main', 'HEAD');
    for (let i = 0; i < 12; i++) await repo.write(`c/f ${i}[x].cache`, 'x\n');
    const r = await refused(repo);
    expect(r.stderr).toMatch(/would no longer be ignored at the tag/);
    sh(repo, excludeCommandOf(r.stderr, /info\/exclude/));
    const dry = await rollback(repo, ['--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
  });
});
