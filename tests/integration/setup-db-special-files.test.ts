/**
 * The password file and .env.local as symlinks and special files: a link to a regular file is
 * written through (atomically, in the target's folder, the link kept); a FIFO, folder or dangling
 * link is refused with exit 1 before any change (no role, no file). A password file inside the
 * git work tree that git does not ignore gets a warning.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { parseDotenv } from '../../src/lib/config/dotenv.js';
import { lookupPgpass } from '../../src/lib/config/pgpass.js';
import { adminQuery } from '../helpers/pg.js';
import { runMain } from '../helpers/project.js';
import { gitIn, mode, setupProjectsPerTest, type SetupProject } from '../helpers/setup-db.js';

const project = setupProjectsPerTest();
const setupDb = (p: SetupProject, args: string[] = [], env: Record<string, string> = {}) => runMain(['setup-db', ...args], { cwd: p.dir, env: { ...p.env, ...env } });
const roleExists = async (role: string) => (await adminQuery('SELECT 1 FROM pg_roles WHERE rolname = $1', [role])).length === 1;

describe('setup-db writes through symlinks to regular files', () => {
  it('keeps a symlinked password file and .env.local as links and updates their targets (0600, atomically)', async () => {
    const p = await project();
    const elsewhere = path.join(p.home, 'dotfiles');
    await fs.mkdir(elsewhere);
    const pgTarget = path.join(elsewhere, 'pgpass');
    const envTarget = path.join(elsewhere, 'project.env.local');
    await fs.writeFile(pgTarget, '# managed by my dotfiles\n', { mode: 0o600 });
    await fs.writeFile(envTarget, '# shared settings\nMCP_LOG_LEVEL=DEBUG\n', { mode: 0o600 });
    await fs.symlink(pgTarget, p.pgpass);
    await fs.symlink(envTarget, path.join(p.dir, '.env.local'));

    const r = await setupDb(p);
    expect(r.code, r.stderr).toBe(0);
    expect((await fs.lstat(p.pgpass)).isSymbolicLink()).toBe(true);
    expect((await fs.lstat(path.join(p.dir, '.env.local'))).isSymbolicLink()).toBe(true);
    const envText = await fs.readFile(envTarget, 'utf8');
    const password = parseDotenv(envText).entries.find((e) => e.key === 'POSTGRES_PASSWORD')!.value;
    expect(envText.startsWith('# shared settings\nMCP_LOG_LEVEL=DEBUG\n')).toBe(true);
    const pgText = await fs.readFile(pgTarget);
    expect(pgText.toString().startsWith('# managed by my dotfiles\n')).toBe(true);
    expect(lookupPgpass(pgText, { host: p.host, port: p.port, database: p.db, user: p.user })).toBe(password);
    expect(await mode(pgTarget)).toBe(0o600);
    expect(await mode(envTarget)).toBe(0o600);
    // No temporary file left beside either target.
    expect((await fs.readdir(elsewhere)).sort()).toEqual(['pgpass', 'project.env.local']);
  });
});

describe('setup-db refuses special files before any change', () => {
  for (const which of ['password file', '.env.local'] as const) {
    for (const kind of ['fifo', 'folder', 'dangling link', 'link to a fifo', 'looping link'] as const) {
      it(`${which} that is a ${kind}: exit 1, clear message, no role, nothing written`, async () => {
        const p = await project();
        const file = which === 'password file' ? p.pgpass : path.join(p.dir, '.env.local');
        const aside = path.join(p.home, 'aside');
        if (kind === 'fifo') await execa('mkfifo', [file]);
        if (kind === 'folder') await fs.mkdir(file);
        if (kind === 'dangling link') await fs.symlink(path.join(p.home, 'missing'), file);
        if (kind === 'looping link') {
          await fs.symlink(aside, file);
          await fs.symlink(file, aside);
        }
        if (kind === 'link to a fifo') {
          await execa('mkfifo', [aside]);
          await fs.symlink(aside, file);
        }
        const r = await setupDb(p);
        expect(r.code, r.stderr).toBe(1);
        expect(r.stderr).toContain(`refusing to write ${file}`);
        expect(r.stderr).toMatch(kind === 'dangling link' ? /does not exist/ : kind === 'folder' ? /a folder/ : kind === 'looping link' ? /loops/ : /FIFO/);
        expect(r.stderr).toContain('nothing was changed');
        expect(await roleExists(p.user)).toBe(false);
        // The special file is still what it was.
        const st = await fs.lstat(file);
        expect(kind === 'fifo' ? st.isFIFO() : kind === 'folder' ? st.isDirectory() : st.isSymbolicLink()).toBe(true);
        const other = which === 'password file' ? path.join(p.dir, '.env.local') : p.pgpass;
        await expect(fs.lstat(other)).rejects.toThrow();
      });
    }
  }
});

describe('odd paths to the credential files', () => {
  it('a password file path through a folder link that loops: exit 1, nothing changed (not an internal error)', async () => {
    const p = await project();
    await fs.symlink(path.join(p.home, 'b'), path.join(p.home, 'a'));
    await fs.symlink(path.join(p.home, 'a'), path.join(p.home, 'b'));
    const file = path.join(p.home, 'a', 'pgpass');
    const r = await setupDb(p, [], { PGPASSFILE: file });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(`refusing to write ${file}: a folder on its path is a symbolic link that loops; nothing was changed`);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(await roleExists(p.user)).toBe(false);
  });

  it('a hard-linked .env.local and password file: updated, with a warning that the other names keep the old content', async () => {
    const p = await project();
    expect((await setupDb(p)).code).toBe(0);
    const envLocal = path.join(p.dir, '.env.local');
    await fs.link(envLocal, path.join(p.home, 'env-copy'));
    await fs.link(p.pgpass, path.join(p.home, 'pgpass-copy'));
    const r = await setupDb(p, ['--rotate-password']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`${envLocal} has 1 other hard link: mcpctl replaces the file atomically, so the other names keep the old content`);
    expect(r.stderr).toContain(`${p.pgpass} has 1 other hard link`);
    const password = parseDotenv(await fs.readFile(envLocal, 'utf8')).entries.find((e) => e.key === 'POSTGRES_PASSWORD')!.value;
    expect(lookupPgpass(await fs.readFile(p.pgpass), { host: p.host, port: p.port, database: p.db, user: p.user })).toBe(password);
    // A run that changes nothing says nothing about the links.
    const again = await setupDb(p);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toMatch(/hard link/);
  });
});

describe('a password file inside the git work tree', () => {
  it('warns when git does not ignore it (as backup does for its folder), and not when it does', async () => {
    const p = await project();
    gitIn(p, ['init', '-q']);
    const inside = path.join(p.dir, 'secrets', 'pgpass');
    await fs.mkdir(path.dirname(inside));
    const r = await setupDb(p, [], { PGPASSFILE: inside });
    expect(r.code, r.stderr).toBe(0);
    const warning = 'the password file secrets/pgpass is inside the git work tree and not ignored: add "secrets/pgpass" to .gitignore';
    // Said once (it was once printed twice: sent as it happened and again from the result).
    expect(r.stderr.split(warning).length - 1).toBe(1);
    const json = await setupDb(p, ['--json'], { PGPASSFILE: inside });
    expect(json.code, json.stderr).toBe(0);
    expect(json.stderr.split(warning).length - 1).toBe(1);
    expect((JSON.parse(json.stdout) as { warnings: string[] }).warnings).toEqual([expect.stringContaining(warning)]);
    await fs.appendFile(path.join(p.dir, '.gitignore'), 'secrets/\n');
    const again = await setupDb(p, [], { PGPASSFILE: inside });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toContain('inside the git work tree and not ignored');
  });
});
