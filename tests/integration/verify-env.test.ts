import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runVerifyEnv, type VerifyEnvResult } from '../../src/core/verify-env.js';
import { gitSync, gitEnv, initRepo } from '../helpers/git.js';
import { adminQuery, dropAll, harness, uniqueName } from '../helpers/pg.js';
import { pgEnv, runMain, tempProject, type TempProject } from '../helpers/project.js';
import { needsClientTools } from '../helpers/pg-major.js';

/** A well-configured project passes only when pg_dump can dump the server (not so with PG_MAJOR=17 and Debian's pg_dump 15). */
const dump = await needsClientTools();

const PASSWORD = 'Vq3kP9wZr2Lm8Tx5Nb7Hc4Jd';
const status = (r: VerifyEnvResult, name: string) => r.checks.find((c) => c.name === name)?.status;
const check = (r: VerifyEnvResult, name: string) => r.checks.find((c) => c.name === name)!;

let role: string;
beforeAll(async () => {
  role = uniqueName('venv');
  await adminQuery(`CREATE ROLE ${role} LOGIN PASSWORD '${PASSWORD}'`);
  await adminQuery(`CREATE DATABASE ${role} OWNER ${role}`);
});
afterAll(async () => {
  await dropAll({ databases: [role], roles: [role] });
});

/** A fake tool on PATH that prints a fixed version. */
async function fakeTool(dir: string, name: string, output: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  const file = path.join(dir, name);
  await fs.writeFile(file, `#!/bin/sh\necho "${output}"\n`, { mode: 0o755 });
}

async function wellConfigured(): Promise<TempProject> {
  const h = harness();
  const p = await tempProject({
    '.env': `POSTGRES_HOST=${h.host}\nPOSTGRES_PORT=${h.port}\nPOSTGRES_USER=${role}\nPOSTGRES_DB=${role}\nPOSTGRES_SSLMODE=disable\nMCP_SERVER_COMMAND=python -m json.tool\n`,
    '.gitignore': '.env\n.env.local\n.env.*.local\nnode_modules/\n',
    'app.py': 'print("hello")\n',
  });
  Object.assign(p.env, gitEnv(p.home));
  await p.write('.env.local', `POSTGRES_PASSWORD=${PASSWORD}\n`, 0o600);
  initRepo(p.dir, p.home);
  gitSync(p.dir, p.home, ['add', '.gitignore', 'app.py']);
  gitSync(p.dir, p.home, ['commit', '-qm', 'init']);
  await fs.mkdir(path.join(p.dir, '.venv', 'bin'), { recursive: true });
  await fs.writeFile(path.join(p.dir, '.venv', 'pyvenv.cfg'), 'home = /usr/bin\n');
  await fs.symlink((await which('python3', p.env.PATH!))!, path.join(p.dir, '.venv', 'bin', 'python'));
  await fs.writeFile(path.join(p.dir, '.git', 'hooks', 'pre-commit'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  return p;
}

async function which(name: string, PATH: string): Promise<string | undefined> {
  for (const d of PATH.split(':')) {
    const f = path.join(d, name);
    try {
      await fs.access(f, fs.constants.X_OK);
      return f;
    } catch {
      // keep looking
    }
  }
  return undefined;
}

describe('verify-env', () => {
  it.skipIf(dump.skip)(`passes every check in a well-configured project, with the real tools and server${dump.note}`, async () => {
    const p = await wellConfigured();
    try {
      expect((await runMain(['client', 'add', 'cursor'], { cwd: p.dir, env: p.env })).code).toBe(0);
      const r = await runVerifyEnv({ ctx: p.ctx() }, { pythonPackages: ['json', 'sqlite3'] });
      const bad = r.checks.filter((c) => c.status !== 'pass');
      expect(bad).toEqual([]);
      expect(r.ok).toBe(true);
      expect(check(r, 'pg_dump-server').message).toMatch(/pg_dump \d+ ≥ server \d+/);
    } finally {
      await p.cleanup();
    }
  });

  it('fails for a missing .env as a check, and the CLI exits 1 with one JSON document', async () => {
    const p = await tempProject();
    try {
      const r = await runMain(['verify-env', '--json'], { cwd: p.dir, env: p.env });
      expect(r.code).toBe(1);
      const doc = JSON.parse(r.stdout);
      expect(doc.ok).toBe(false);
      expect(doc.checks.find((c: { name: string }) => c.name === 'env-file')).toMatchObject({ status: 'fail' });
      for (const c of doc.checks) expect(Object.keys(c).sort()).toEqual(expect.arrayContaining(['message', 'ms', 'name', 'status']));
    } finally {
      await p.cleanup();
    }
  });

  it('fails the python check for a too-old interpreter (fake python3) and for a newer .python-version (real python3)', async () => {
    const p = await tempProject({ '.env': '' });
    try {
      const fake = path.join(p.home, 'fakebin');
      // Both names: the check asks the interpreter serve would run (python, else python3).
      await fakeTool(fake, 'python3', 'Python 3.8.10');
      await fakeTool(fake, 'python', 'Python 3.8.10');
      const old = await runVerifyEnv({ ctx: p.ctx({ env: { ...p.env, PATH: `${fake}:${p.env.PATH}` } }) });
      expect(check(old, 'python')).toMatchObject({ status: 'fail' });
      expect(check(old, 'python').message).toContain('3.8.10 is older than 3.11');
      await p.write('.python-version', '3.99\n');
      const newer = await runVerifyEnv({ ctx: p.ctx() });
      expect(check(newer, 'python').status).toBe('fail');
      expect(check(newer, 'python').hint).toContain('.python-version');
    } finally {
      await p.cleanup();
    }
  });

  it('fails psql and pg_dump when they are missing or older than 14, and pg_dump older than the server', async () => {
    const p = await wellConfigured();
    try {
      // A PATH with node, git and python3 but no PostgreSQL client.
      const bin = path.join(p.home, 'bin-nopg');
      await fs.mkdir(bin);
      for (const t of ['node', 'git', 'python3', 'sh']) await fs.symlink((await which(t, process.env.PATH!))!, path.join(bin, t));
      const missing = await runVerifyEnv({ ctx: p.ctx({ env: { ...p.env, PATH: bin } }) });
      expect(check(missing, 'psql')).toMatchObject({ status: 'fail', message: 'psql not found on PATH' });
      expect(check(missing, 'pg_dump').status).toBe('fail');
      expect(check(missing, 'pg_dump-server').status).toBe('skip');

      const fake = path.join(p.home, 'fakebin');
      await fakeTool(fake, 'pg_dump', 'pg_dump (PostgreSQL) 14.2');
      await fakeTool(fake, 'psql', 'psql (PostgreSQL) 13.9');
      const r = await runVerifyEnv({ ctx: p.ctx({ env: { ...p.env, PATH: `${fake}:${p.env.PATH}` } }) });
      expect(check(r, 'psql').message).toContain('13.9 is older than 14');
      expect(check(r, 'pg_dump').status).toBe('pass');
      // pg_dump 14 is older than the server unless the server is 14 itself (PG_MAJOR=14).
      const major = harness().major;
      expect(check(r, 'pg_dump-server')).toMatchObject({ status: major > 14 ? 'fail' : 'pass' });
      if (major > 14) expect(check(r, 'pg_dump-server').message).toContain(`pg_dump 14 is older than the server (${major})`);
    } finally {
      await p.cleanup();
    }
  });

  it('fails for a missing server package or an unimportable server module (as the old script did)', async () => {
    const p = await wellConfigured();
    try {
      const r = await runVerifyEnv({ ctx: p.ctx() }, { pythonPackages: ['json', 'surely_not_installed_pkg'] });
      expect(check(r, 'python-packages')).toMatchObject({ status: 'fail' });
      expect(check(r, 'python-packages').message).toContain('surely_not_installed_pkg');
      expect(check(r, 'python-packages').message).not.toContain('json');
      expect(check(r, 'python-packages').hint).toContain('.venv/bin/python -m pip install surely_not_installed_pkg');
      expect(r.ok).toBe(false);
      const mod = await runVerifyEnv({ ctx: p.ctx({ env: { ...p.env, MCP_SERVER_COMMAND: 'python -m no_such_server_mod.server' } }) }, { pythonPackages: ['json'] });
      expect(check(mod, 'server-command')).toMatchObject({ status: 'fail' });
      expect(check(mod, 'server-command').message).toMatch(/no_such_server_mod\.server not importable with \.venv\/bin\/python/);
      await p.write('broken_mod.py', 'raise RuntimeError("boom")\n');
      const broken = await runVerifyEnv({ ctx: p.ctx({ env: { ...p.env, MCP_SERVER_COMMAND: 'python -m broken_mod.sub' } }) }, { pythonPackages: ['json'] });
      expect(check(broken, 'server-command').message).toMatch(/importing it fails: broken_mod\.sub \(.*boom/);
      const missing = await runVerifyEnv({ ctx: p.ctx({ env: { ...p.env, MCP_SERVER_COMMAND: 'no-such-server-binary --stdio' } }) }, { pythonPackages: ['json'] });
      expect(check(missing, 'server-command')).toMatchObject({ status: 'fail', message: 'no-such-server-binary not found on PATH' });
    } finally {
      await p.cleanup();
    }
  });

  it.skipIf(dump.skip)(`warns without a virtual environment or a pre-commit hook; --strict makes that fail${dump.note}`, async () => {
    const p = await wellConfigured();
    try {
      await fs.rm(path.join(p.dir, '.venv'), { recursive: true });
      await fs.rm(path.join(p.dir, '.git', 'hooks', 'pre-commit'));
      const r = await runVerifyEnv({ ctx: p.ctx() }, { pythonPackages: ['json'] });
      expect(status(r, 'venv')).toBe('warn');
      expect(status(r, 'pre-commit')).toBe('warn');
      expect(r.ok).toBe(true);
      const strict = await runMain(['verify-env', '--strict', '--json', '--python-package', 'json'], { cwd: p.dir, env: p.env });
      expect(strict.code).toBe(1);
      expect(JSON.parse(strict.stdout).ok).toBe(false);
    } finally {
      await p.cleanup();
    }
  });

  it('fails when .env.local is readable by others, tracked by git, or the env files are not ignored', async () => {
    const p = await wellConfigured();
    try {
      await fs.chmod(path.join(p.dir, '.env.local'), 0o644);
      await fs.writeFile(path.join(p.dir, '.gitignore'), 'node_modules/\n');
      gitSync(p.dir, p.home, ['add', '-f', '.env.local']);
      const r = await runVerifyEnv({ ctx: p.ctx() });
      expect(check(r, 'env-local').status).toBe('fail');
      expect(check(r, 'env-local').message).toContain('0644');
      expect(check(r, 'env-local').message).toContain('tracked by git');
      expect(check(r, 'gitignore').message).toContain('.env, .env.local, .env.*.local');
      expect(check(r, 'secrets-in-git').status).toBe('fail');
      expect(JSON.stringify(r)).not.toContain(PASSWORD);
    } finally {
      await p.cleanup();
    }
  });

  it('finds the password in a tracked file and in the current HEAD tree, without printing it', async () => {
    const p = await wellConfigured();
    try {
      await p.write('config/settings.py', `DB_PASSWORD = "${PASSWORD}"\n`);
      gitSync(p.dir, p.home, ['add', 'config/settings.py']);
      gitSync(p.dir, p.home, ['commit', '-qm', 'oops']);
      await p.write('config/settings.py', 'DB_PASSWORD = os.environ["X"]\n');
      const r = await runMain(['verify-env', '--json'], { cwd: p.dir, env: p.env });
      const doc = JSON.parse(r.stdout);
      const c = doc.checks.find((x: { name: string }) => x.name === 'secrets-in-git');
      expect(c.status).toBe('fail');
      expect(c.message).toContain('config/settings.py (HEAD)');
      expect(r.stdout + r.stderr).not.toContain(PASSWORD);
    } finally {
      await p.cleanup();
    }
  });

  it('finds the password in the history after `git rm --cached`, says where and how to purge, without printing it', async () => {
    const p = await wellConfigured();
    try {
      const clean = await runMain(['verify-env', '--json'], { cwd: p.dir, env: p.env });
      expect(JSON.parse(clean.stdout).checks.find((x: { name: string }) => x.name === 'secrets-in-git')).toMatchObject({ status: 'pass', message: expect.stringMatching(/nowhere in the history/) });
      gitSync(p.dir, p.home, ['add', '-f', '.env.local']);
      gitSync(p.dir, p.home, ['commit', '-qm', 'oops']);
      gitSync(p.dir, p.home, ['rm', '-q', '--cached', '.env.local']);
      gitSync(p.dir, p.home, ['commit', '-qm', 'untrack']);
      const sha = gitSync(p.dir, p.home, ['rev-parse', '--short', 'HEAD~1']).trim();
      const r = await runMain(['verify-env', '--json'], { cwd: p.dir, env: p.env });
      const c = JSON.parse(r.stdout).checks.find((x: { name: string }) => x.name === 'secrets-in-git');
      expect(c.status).toBe('fail');
      expect(c.message).toMatch(new RegExp(`in the git history: \\.env\\.local \\(commits [0-9a-f]+, ${sha}\\)`));
      expect(c.hint).toMatch(/rotate-password.*git filter-repo --invert-paths --path \.env\.local.*push --force/);
      expect(r.stdout + r.stderr).not.toContain(PASSWORD);
    } finally {
      await p.cleanup();
    }
  });

  it('--explain shows masked values, the winning source and what it overrode', async () => {
    const p = await wellConfigured();
    try {
      const r = await runMain(['verify-env', '--explain'], { cwd: p.dir, env: { ...p.env, POSTGRES_DB: role } });
      expect(r.stdout).toMatch(/POSTGRES_PASSWORD +\*{8} \(24 chars\) +← \.env\.local:1/);
      expect(r.stdout).toMatch(/POSTGRES_DB +\S+ +← environment/);
      expect(r.stdout).toMatch(/overrides default: project_registry/);
      expect(r.stdout).not.toContain(PASSWORD);
      const j = await runMain(['verify-env', '--explain', '--json'], { cwd: p.dir, env: p.env });
      const row = JSON.parse(j.stdout).explain.find((x: { key: string }) => x.key === 'POSTGRES_PORT');
      expect(row).toMatchObject({ source: '.env:2', overridden: [{ source: 'default', value: '5432', same: false }] });
      // A lower source with the same value overrides nothing: it is "same as", not "overrides".
      expect(r.stdout).toMatch(/POSTGRES_DB +\S+ +← environment\n +same as \.env:4\n +overrides default: project_registry\n/);
      const same = await runMain(['verify-env', '--explain'], { cwd: p.dir, env: { ...p.env, MCP_SERVER_PORT: '8002' } });
      expect(same.stdout).toMatch(/MCP_SERVER_PORT +8002 +← environment\n +same as default\n/);
      expect(same.stdout).not.toMatch(/overrides default: 8002/);
    } finally {
      await p.cleanup();
    }
  });
});

describe('bad input', () => {
  it('reports every invalid .env value together with file:line and exits 2', async () => {
    const p = await tempProject({
      '.env': 'POSTGRES_PORT=99999\nPOSTGRES_PASSWORD=0123456789\nPOSTGRES_TEST_DB=ok_db\nPOSTGRES_TEST_DB=again\nthis has no equals\n',
      '.env.local': 'POSTGRES_PASSWORD=your_password_here\n',
    });
    try {
      const r = await runMain(['verify-env'], { cwd: p.dir, env: p.env });
      expect(r.code).toBe(2);
      for (const s of ['.env:1: POSTGRES_PORT', '.env:5: python-dotenv cannot parse this statement', '.env.local:1: POSTGRES_PASSWORD is an example value']) {
        expect(r.stdout).toContain(s);
      }
      // A duplicate is read as python-dotenv reads it (the last wins), with a warning naming both lines.
      expect(r.stdout + r.stderr).toContain('POSTGRES_TEST_DB is set on lines 3, 4: the last (line 4) wins');
      // The 10-character password in .env is overridden by .env.local, so .env.local's value is the one judged.
      const j = await runMain(['verify-env', '--json'], { cwd: p.dir, env: p.env });
      expect(j.code).toBe(2);
      expect(JSON.parse(j.stdout).checks.find((c: { name: string }) => c.name === 'config').status).toBe('fail');
      await p.write('.env.local', '');
      const short = await runMain(['verify-env'], { cwd: p.dir, env: p.env });
      expect(short.stdout).toContain('.env:2: POSTGRES_PASSWORD must be at least 16 characters');
      expect(short.stdout + short.stderr).not.toContain('0123456789');
    } finally {
      await p.cleanup();
    }
  });

  it('exits 2 with a usage message for an unknown command, an unknown flag, and a --cwd that does not exist', async () => {
    const p = await tempProject();
    try {
      const cmd = await runMain(['frobnicate'], { cwd: p.dir, env: p.env });
      expect(cmd.code).toBe(2);
      expect(cmd.stderr).toContain("unknown command 'frobnicate'");
      const flag = await runMain(['verify-env', '--frob'], { cwd: p.dir, env: p.env });
      expect(flag.code).toBe(2);
      expect(flag.stderr).toContain("unknown option '--frob'");
      const json = await runMain(['verify-env', '--frob', '--json'], { cwd: p.dir, env: p.env });
      expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, error: { code: 'usage' } });
      const cwd = await runMain(['-C', path.join(p.dir, 'nope'), 'verify-env'], { cwd: p.dir, env: p.env });
      expect(cwd.code).toBe(2);
      expect(cwd.stderr).toContain('does not exist');
      const none = await runMain([], { cwd: p.dir, env: p.env });
      expect(none.code).toBe(2);
      const help = await runMain(['--help'], { cwd: p.dir, env: p.env });
      expect(help.code).toBe(0);
      expect(help.stdout).toContain('verify-env');
    } finally {
      await p.cleanup();
    }
  });
});
