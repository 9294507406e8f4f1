/**
 * setup-db in a GitHub Actions job (no runner here): the ::add-mask:: line comes before any other
 * output, and --github-env appends credentials that log in, read back by a reader that follows
 * GitHub's documented $GITHUB_ENV rules.
 */
import { describe, expect, it } from 'vitest';
import { parseDotenv } from '../../src/lib/config/dotenv.js';
import { isUrlKey } from '../../src/lib/config/url-keys.js';
import { adminQuery } from '../helpers/pg.js';
import { parseGitHubEnvFile } from '../helpers/github-files.js';
import { runMain } from '../helpers/project.js';
import { envLocalPassword, setupProjectsPerTest, tryLogin, type SetupProject } from '../helpers/setup-db.js';

const newProject = setupProjectsPerTest();
const project = () => newProject({ files: { '.env': 'DATABASE_URL=postgresql+asyncpg://user:pw@localhost:5432/db\n' } });

const setupDb = (p: SetupProject, args: string[], env: Record<string, string>) => runMain(['setup-db', ...args], { cwd: p.dir, env: { ...p.env, ...env } });

describe('setup-db in GitHub Actions', () => {
  it('masks the generated password first, then --github-env appends POSTGRES_PASSWORD and the URL keys of .env.local', async () => {
    const p = await project();
    const githubEnv = await p.write('github_env', 'EARLIER_STEP=kept\n');
    const env = { GITHUB_ACTIONS: 'true', GITHUB_ENV: githubEnv };
    const r = await setupDb(p, ['--github-env'], env);
    expect(r.code, r.stderr).toBe(0);
    const password = (await envLocalPassword(p))!;
    const lines = r.stdout.split('\n');
    const firstOther = lines.findIndex((l) => !l.startsWith('::add-mask::'));
    expect(lines.slice(0, firstOther)).toContain(`::add-mask::${password}`);
    expect(lines.slice(firstOther).join('\n') + r.stderr).not.toContain(password);
    expect(r.stdout).toMatch(/Appended POSTGRES_PASSWORD.* to \$GITHUB_ENV/);

    const vars = parseGitHubEnvFile(await p.read('github_env'));
    expect(vars.get('EARLIER_STEP')).toBe('kept');
    expect(vars.get('POSTGRES_PASSWORD')).toBe(password);
    expect(await tryLogin(p, vars.get('POSTGRES_PASSWORD')!)).toBe(true);
    // Exactly the credentials .env.local holds: the password and every URL key written there.
    const local = parseDotenv(await p.read('.env.local')).entries.filter((e) => e.key === 'POSTGRES_PASSWORD' || isUrlKey(e.key));
    expect([...vars.keys()].filter((k) => k !== 'EARLIER_STEP').sort()).toEqual(local.map((e) => e.key).sort());
    for (const e of local) expect(vars.get(e.key)).toBe(e.value);

    // The second day (a re-run in the same job) appends again; the last assignment wins and still logs in.
    const again = await setupDb(p, ['--github-env', '--json'], env);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ githubEnv: { file: githubEnv, keys: expect.arrayContaining(['POSTGRES_PASSWORD']) } });
    expect(again.stderr.split('\n')).toContain(`::add-mask::${password}`);
    expect(parseGitHubEnvFile(await p.read('github_env')).get('POSTGRES_PASSWORD')).toBe(password);
  });

  it('--github-env without $GITHUB_ENV is a usage error before any change; --dry-run appends nothing; outside Actions nothing is masked', async () => {
    const p = await project();
    const r = await setupDb(p, ['--github-env'], { GITHUB_ACTIONS: 'true' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--github-env needs \$GITHUB_ENV/);
    expect(await adminQuery('SELECT 1 FROM pg_roles WHERE rolname = $1', [p.user])).toHaveLength(0);

    const githubEnv = await p.write('github_env', '');
    const dry = await setupDb(p, ['--github-env', '--dry-run'], { GITHUB_ENV: githubEnv });
    expect(dry.code, dry.stderr).toBe(0);
    expect(await p.read('github_env')).toBe('');
    expect(dry.stdout + dry.stderr).not.toContain('::add-mask::');
  });
});
