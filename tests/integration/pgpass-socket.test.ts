/**
 * The reproduction: POSTGRES_HOST is a socket directory that is not libpq's default and
 * the password file holds only a `localhost` entry. psql -w finds no password there; mcpctl
 * verify-db must agree (it used to pass). With a literal-path entry both log in.
 */
import { promises as fs } from 'node:fs';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminQuery, dropAll, harness, uniqueName } from '../helpers/pg.js';
import { runMain, tempProject, type TempProject } from '../helpers/project.js';

const h = harness();
const user = uniqueName('sock');
const password = 'socket-dir-password-0123456789';
let p: TempProject;

beforeAll(async () => {
  await adminQuery(`CREATE ROLE "${user}" LOGIN PASSWORD '${password}'`);
  p = await tempProject({ '.env': `POSTGRES_HOST=${h.socketDir}\nPOSTGRES_PORT=${h.port}\nPOSTGRES_USER=${user}\nPOSTGRES_DB=postgres\n` });
});
afterAll(async () => {
  await p.cleanup();
  await dropAll({ roles: [user] });
});

const psql = () =>
  execa('psql', ['-w', '-X', '-At', '-h', h.socketDir, '-p', String(h.port), '-U', user, '-d', 'postgres', '-c', 'select 1'], {
    env: { PATH: process.env.PATH!, PGPASSFILE: p.pgpass, LC_ALL: 'C' },
    extendEnv: false,
    reject: false,
  });
const verifyAuth = () => runMain(['verify-db', '--json', '--only', 'auth'], { cwd: p.dir, env: p.env });

describe('a socket-directory host that is not libpq\'s default', () => {
  it('a localhost-only entry: psql -w finds no password, and neither does mcpctl', async () => {
    await fs.writeFile(p.pgpass, `localhost:${h.port}:*:${user}:${password}\n`, { mode: 0o600 });
    const ps = await psql();
    expect(ps.exitCode).not.toBe(0);
    expect(ps.stderr).toContain('no password supplied');
    const r = await verifyAuth();
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).checks[0].status).toBe('fail');
  });

  it('a literal-path entry: both log in', async () => {
    await fs.writeFile(p.pgpass, `${h.socketDir}:${h.port}:*:${user}:${password}\n`, { mode: 0o600 });
    expect((await psql()).stdout).toBe('1');
    const r = await verifyAuth();
    expect(r.code, r.stdout).toBe(0);
    expect(JSON.parse(r.stdout).checks[0].message).toContain('password file');
  });
});
