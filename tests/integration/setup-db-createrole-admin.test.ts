// A non-superuser admin, as hosted PostgreSQL services give (CREATEROLE CREATEDB): CREATE
// DATABASE … OWNER needs it to be a member of the app role. Runs on every major of the matrix:
// membership works differently from PostgreSQL 16 (SET/INHERIT options, the creator's ADMIN option).
import { describe, expect, it } from 'vitest';
import { adminQuery, dropAll } from '../helpers/pg.js';
import { runMain } from '../helpers/project.js';
import { envLocalPassword, psqlWithPgpass, setupProjectsPerTest, type SetupProject } from '../helpers/setup-db.js';

const project = setupProjectsPerTest();
const ADMIN_PASSWORD = 'weak-admin-password-123';

async function withWeakAdmin(p: SetupProject, fn: (env: Record<string, string>, admin: string) => Promise<void>) {
  const admin = `${p.user}_adm`;
  await adminQuery(`CREATE ROLE "${admin}" LOGIN CREATEROLE CREATEDB PASSWORD '${ADMIN_PASSWORD}'`);
  try {
    await fn({ ...p.env, SETUP_POSTGRES_USER: admin, SETUP_POSTGRES_PASSWORD: ADMIN_PASSWORD }, admin);
  } finally {
    await dropAll({ roles: [admin] });
  }
}

const owners = (p: SetupProject) =>
  adminQuery<{ datname: string; owner: string }>('SELECT datname, pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = ANY($1) ORDER BY datname', [[p.db, p.testDb]]);

describe('setup-db with a CREATEROLE CREATEDB admin', () => {
  it('sets up a fresh project, runs again without change, and --reset recreates the databases', async () => {
    const p = await project();
    await withWeakAdmin(p, async (env, admin) => {
      const r = await runMain(['setup-db', '--json'], { cwd: p.dir, env });
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).steps.map((s: { kind: string }) => s.kind)).toContain('grant-membership');
      expect(await owners(p)).toEqual([
        { datname: p.db, owner: p.user },
        { datname: p.testDb, owner: p.user },
      ]);
      const m = await adminQuery<{ member: boolean; usage: boolean }>(`SELECT pg_has_role($1, $2, 'MEMBER') AS member, pg_has_role($1, $2, 'USAGE') AS usage`, [admin, p.user]);
      expect(m).toEqual([{ member: true, usage: true }]);
      expect(await psqlWithPgpass(p, p.db, 'SELECT current_user, count(*) FROM registry.schema_migrations')).toMatchObject({ code: 0, stdout: `${p.user}|1\n` });
      const password = await envLocalPassword(p);

      const again = await runMain(['setup-db', '--json'], { cwd: p.dir, env });
      expect(again.code, again.stderr).toBe(0);
      expect(JSON.parse(again.stdout).steps.map((s: { kind: string }) => s.kind)).not.toContain('grant-membership');
      expect(await envLocalPassword(p)).toBe(password);

      const reset = await runMain(['setup-db', '--reset', '--confirm', p.db, '--yes'], { cwd: p.dir, env });
      expect(reset.code, reset.stderr).toBe(0);
      expect(await psqlWithPgpass(p, p.db, 'SELECT current_user')).toMatchObject({ code: 0, stdout: `${p.user}\n` });
    });
  });

  it('an app role made by someone else that the admin may not grant (16+) is refused before any change, with the GRANT to run', async () => {
    const appPassword = 'the-roles-current-password-42';
    const p = await project({ files: { '.env.local': `POSTGRES_PASSWORD=${appPassword}\n` } });
    const v = Number((await adminQuery<{ v: string }>(`SELECT current_setting('server_version_num') AS v`))[0]!.v);
    await adminQuery(`CREATE ROLE "${p.user}" LOGIN CREATEDB PASSWORD '${appPassword}'`);
    await withWeakAdmin(p, async (env, admin) => {
      const r = await runMain(['setup-db', '--json'], { cwd: p.dir, env });
      if (v < 160000) {
        // Up to 15, CREATEROLE may grant any role that is not a superuser.
        expect(r.code, r.stderr).toBe(0);
        expect(await owners(p)).toHaveLength(2);
        return;
      }
      expect(r.code, r.stdout).toBe(1);
      const err = JSON.parse(r.stdout).error;
      expect(err.message).toContain(`the admin role "${admin}" cannot make databases owned by "${p.user}"`);
      expect(err.hint).toContain(`GRANT "${p.user}" TO "${admin}" WITH INHERIT TRUE, SET TRUE`);
      expect(await owners(p)).toEqual([]);
      expect(await envLocalPassword(p)).toBe(appPassword);
      // The fix the hint gives, run as a superuser, makes the same command work.
      await adminQuery(`GRANT "${p.user}" TO "${admin}" WITH INHERIT TRUE, SET TRUE`);
      const fixed = await runMain(['setup-db'], { cwd: p.dir, env });
      expect(fixed.code, fixed.stderr).toBe(0);
    });
  });
});
