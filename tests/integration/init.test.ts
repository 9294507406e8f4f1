// mcpctl init: .env from the shipped template, migrations/, .gitignore; an existing .env refused.
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDotenv } from '../../src/lib/config/dotenv.js';
import { CONFIG_KEYS, KEYS, type KeyDef } from '../../src/lib/config/keys.js';
import { REPO_ROOT, runCli, runMain, tempProject } from '../helpers/project.js';

describe('mcpctl init', () => {
  it('writes .env from the template (every key, no secret), migrations/ and .gitignore; a second run is refused with nothing changed', async () => {
    const p = await tempProject({ '.gitignore': 'node_modules/\n*.pyc' });
    try {
      const r = await runCli(['init'], { cwd: p.dir, env: p.env });
      expect(r.code).toBe(0);
      const env = await p.read('.env');
      expect(env).toBe(await fs.readFile(path.join(REPO_ROOT, '.env.template'), 'utf8'));
      const keys = parseDotenv(env).entries.map((e) => e.key);
      for (const k of CONFIG_KEYS) if (!(KEYS[k] as KeyDef).envOnly) expect(keys).toContain(k);
      expect(parseDotenv(env).entries.find((e) => e.key === 'POSTGRES_PASSWORD')?.value).toBe('');
      expect((await fs.stat(path.join(p.dir, '.env'))).mode & 0o777).toBe(0o600);
      expect((await fs.stat(path.join(p.dir, 'migrations'))).isDirectory()).toBe(true);
      // The old lines byte for byte, the missing newline added, then the new lines.
      expect(await p.read('.gitignore')).toBe('node_modules/\n*.pyc\n# env files (secrets) and backups\n.env\n.env.local\n.env.*.local\nbackups/\n');
      expect(r.stderr + r.stdout).toMatch(/mcpctl setup-db/);

      await p.write('.env', 'POSTGRES_DB=mine\n');
      const again = await runCli(['init', '--json'], { cwd: p.dir, env: p.env });
      expect(again.code).toBe(3);
      expect(JSON.parse(again.stdout).error).toMatchObject({ code: 'refused' });
      expect(again.stderr).toMatch(/already exists; nothing was changed/);
      expect(again.stderr).toMatch(/--force/);
      expect(await p.read('.env')).toBe('POSTGRES_DB=mine\n');

      const forced = await runMain(['init', '--force', '--json'], { cwd: p.dir, env: p.env });
      expect(forced.code).toBe(0);
      const doc = JSON.parse(forced.stdout);
      expect(doc.steps.map((s: { action: string }) => s.action)).toEqual(['overwritten', 'unchanged', 'updated']);
      expect(await p.read('.env.bak')).toBe('POSTGRES_DB=mine\n');
      // The kept copy may hold secrets: git must not pick it up.
      expect((await p.read('.gitignore')).split('\n')).toContain('.env.bak');
      expect(await p.read('.gitignore')).toContain('backups/\n');
      expect((await p.read('.gitignore')).match(/^\.env$/gm)).toHaveLength(1);
    } finally {
      await p.cleanup();
    }
  });

  it('then verify-env finds the .env and the configuration valid', async () => {
    const p = await tempProject();
    try {
      expect((await runMain(['init'], { cwd: p.dir, env: p.env })).code).toBe(0);
      const v = await runMain(['verify-env', '--json'], { cwd: p.dir, env: p.env });
      const checks = JSON.parse(v.stdout).checks as { name: string; status: string }[];
      expect(checks.find((c) => c.name === 'env-file')?.status).toBe('pass');
      expect(checks.find((c) => c.name === 'config')?.status).toBe('pass');
    } finally {
      await p.cleanup();
    }
  });

  it('a .gitignore whose negation un-ignores the env files: git ignores them after init', async () => {
    const p = await tempProject({ '.gitignore': 'backups/\n.env\n.env.local\n!/.env*\n' });
    try {
      execFileSync('git', ['init', '-q'], { cwd: p.dir });
      expect((await runMain(['init'], { cwd: p.dir, env: p.env })).code).toBe(0);
      await p.write('.env.local', 'POSTGRES_PASSWORD=x\n');
      // git itself is the judge: check-ignore exits 0 for an ignored path.
      for (const f of ['.env', '.env.local', '.env.test.local']) expect(() => execFileSync('git', ['check-ignore', '-q', f], { cwd: p.dir })).not.toThrow();
    } finally {
      await p.cleanup();
    }
  });

  it('refuses a migrations path that is a file, before writing anything', async () => {
    const p = await tempProject({ migrations: 'not a folder' });
    try {
      const r = await runMain(['init'], { cwd: p.dir, env: p.env });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/is not a folder; nothing was changed/);
      await expect(fs.stat(path.join(p.dir, '.env'))).rejects.toThrow();
    } finally {
      await p.cleanup();
    }
  });

  it('the template that ships is listed in package.json "files"', async () => {
    const pkg = JSON.parse(await fs.readFile(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { files: string[] };
    expect(pkg.files).toContain('.env.template');
  });
});
