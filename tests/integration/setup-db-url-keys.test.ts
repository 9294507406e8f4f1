// setup-db writes the URL keys a project declares into .env.local; drivers no one here wrote —
// asyncpg, and SQLAlchemy's URL parser (Debian's python3-asyncpg, python3-sqlalchemy, visible to
// /usr/bin/python3) — log in with them, with passwords full of URL-reserved characters.
import { execFile } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { parseDotenv } from '../../src/lib/config/dotenv.js';
import { loadConfig } from '../../src/lib/config/load.js';
import { Prng } from '../../src/lib/prng.js';
import { dropAll } from '../helpers/pg.js';
import { runCli } from '../helpers/project.js';
import { envLocalPassword, setupProject, tryLogin, type SetupProject } from '../helpers/setup-db.js';

const PYTHON = '/usr/bin/python3';
const LOGIN = `
import asyncio, json, sys
import asyncpg
from sqlalchemy.engine import make_url

async def login(**kw):
    c = await asyncpg.connect(ssl=False, **kw)
    try:
        r = await c.fetchrow("SELECT current_user AS u, current_database() AS d")
        return {"u": r["u"], "d": r["d"]}
    except Exception as e:
        return {"error": str(e)}
    finally:
        await c.close()

async def main():
    out = {}
    for key, url in json.loads(sys.stdin.read()).items():
        res = {}
        # asyncpg from the URL itself, the +driver suffix stripped as SQLAlchemy does.
        u = make_url(url)
        dsn = url.replace("postgresql+" + u.drivername.split("+")[1] + "://", "postgresql://", 1) if "+" in u.drivername else url
        try:
            res["asyncpg"] = await login(dsn=dsn)
        except Exception as e:
            res["asyncpg"] = {"error": type(e).__name__ + ": " + str(e)}
        # SQLAlchemy's URL parser, its parts handed to asyncpg (what create_async_engine does).
        try:
            res["sqlalchemy"] = await login(user=u.username, password=u.password, host=u.host, port=u.port, database=u.database)
        except Exception as e:
            res["sqlalchemy"] = {"error": type(e).__name__ + ": " + str(e)}
        res["driver"] = u.drivername
        out[key] = res
    print(json.dumps(out))

asyncio.run(main())
`;

/** Logs in with every URL through the real Python drivers (URLs on stdin: never in argv). */
function pythonLogins(urls: Record<string, string>): Promise<Record<string, { asyncpg: unknown; sqlalchemy: unknown; driver: string }>> {
  return new Promise((resolve, reject) => {
    const child = execFile(PYTHON, ['-c', LOGIN], { env: { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8' } }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${PYTHON} failed (needs python3-asyncpg and python3-sqlalchemy): ${stderr}`));
      else resolve(JSON.parse(stdout));
    });
    child.stdin!.end(JSON.stringify(urls));
  });
}

function urlKeys(text: string): Record<string, string> {
  return Object.fromEntries(parseDotenv(text).entries.filter((e) => e.key.endsWith('DATABASE_URL')).map((e) => [e.key, e.value]));
}

let p: SetupProject | undefined;
afterEach(async () => {
  if (p) await dropAll({ databases: [p.db, p.testDb], roles: [p.user] });
  await p?.cleanup();
  p = undefined;
});

/** Passwords with every URL-reserved character, one hand-picked and two from a seeded generator. */
function passwords(): string[] {
  const rng = new Prng('url-keys');
  const alphabet = '@:/%#?&=+ ;[]!$\'"\\' + 'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const gen = () => Array.from({ length: 24 }, () => alphabet[rng.int(alphabet.length)]).join('');
  return ['p@ss:w/rd%41#x?y=z&Q9k2Lm', gen(), gen()];
}

describe('setup-db writes the declared URL keys', () => {
  it.each(passwords().map((pw, i) => [i, pw]))('password %i: every declared URL key logs in with asyncpg and through SQLAlchemy; rotation updates them', async (_i, password) => {
    p = await setupProject();
    await p.write(
      '.env.template',
      [
        '# the server reads these',
        `REGISTRY_DATABASE_URL=postgresql+asyncpg://user:password@localhost:5432/${p.testDb}`,
        'DATABASE_URL=postgresql://user:password@localhost/',
        'LEGACY_DATABASE_URL=',
        '',
      ].join('\n'),
    );
    const first = await runCli(['setup-db'], { cwd: p.dir, env: { ...p.env, POSTGRES_PASSWORD: password } });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout + first.stderr).not.toContain(password);
    const urls = urlKeys(await p.read('.env.local'));
    expect(Object.keys(urls).sort()).toEqual(['DATABASE_URL', 'LEGACY_DATABASE_URL', 'REGISTRY_DATABASE_URL']);
    expect(urls.REGISTRY_DATABASE_URL!.startsWith(`postgresql+asyncpg://${p.user}:${encodeURIComponent(password)}@${p.host}:${p.port}/${p.testDb}`)).toBe(true);
    expect(urls.DATABASE_URL!.startsWith('postgresql://')).toBe(true);
    const logins = await pythonLogins(urls);
    expect(logins.REGISTRY_DATABASE_URL).toEqual({ asyncpg: { u: p.user, d: p.testDb }, sqlalchemy: { u: p.user, d: p.testDb }, driver: 'postgresql+asyncpg' });
    expect(logins.DATABASE_URL).toEqual({ asyncpg: { u: p.user, d: p.db }, sqlalchemy: { u: p.user, d: p.db }, driver: 'postgresql' });
    expect(logins.LEGACY_DATABASE_URL).toMatchObject({ asyncpg: { u: p.user, d: p.db } });

    // The URL keys are outputs: the next run reads POSTGRES_* and warns about nothing.
    const cfg = await loadConfig({ cwd: p.dir, env: p.env });
    expect(cfg.configuredByUrl).toBe(false);
    expect(cfg.warnings).toEqual([]);

    const rotated = await runCli(['setup-db', '--rotate-password'], { cwd: p.dir, env: p.env });
    expect(rotated.code, rotated.stderr).toBe(0);
    const newPassword = (await envLocalPassword(p))!;
    expect(newPassword).not.toBe(password);
    const after = urlKeys(await p.read('.env.local'));
    expect(after.DATABASE_URL).toContain(`:${encodeURIComponent(newPassword)}@`);
    const again = await pythonLogins(after);
    expect(again.REGISTRY_DATABASE_URL).toMatchObject({ asyncpg: { u: p.user, d: p.testDb }, sqlalchemy: { u: p.user, d: p.testDb } });
    expect(await tryLogin(p, password)).not.toBe(true);
  });

  it('a project configured by DATABASE_URL alone: the URL keys written are not read back (the connection is pinned)', async () => {
    p = await setupProject();
    const { POSTGRES_HOST, POSTGRES_PORT, POSTGRES_USER, POSTGRES_DB, ...rest } = p.env;
    void POSTGRES_HOST;
    void POSTGRES_PORT;
    void POSTGRES_USER;
    void POSTGRES_DB;
    // The declared URL names the test database: it must not become POSTGRES_DB on the next run.
    await p.write('.env', `DATABASE_URL=postgresql+asyncpg://${p.user}@${p.host}:${p.port}/${p.db}\n`);
    await p.write('.env.example', `TEST_DATABASE_URL=postgresql+asyncpg://x:y@localhost/${p.testDb}\n`);
    const r = await runCli(['setup-db'], { cwd: p.dir, env: rest });
    expect(r.code, r.stderr).toBe(0);
    const local = await p.read('.env.local');
    expect(local).toMatch(new RegExp(`^POSTGRES_DB=${p.db}$`, 'm'));
    const cfg = await loadConfig({ cwd: p.dir, env: rest });
    expect(cfg.configuredByUrl).toBe(false);
    expect(cfg.values.POSTGRES_DB).toBe(p.db);
    const logins = await pythonLogins(urlKeys(local));
    expect(logins.TEST_DATABASE_URL).toMatchObject({ asyncpg: { u: p.user, d: p.testDb } });
    expect(logins.DATABASE_URL).toMatchObject({ asyncpg: { u: p.user, d: p.db } });
    const second = await runCli(['setup-db', '--json'], { cwd: p.dir, env: rest });
    expect(second.code, second.stderr).toBe(0);
    expect(await p.read('.env.local')).toBe(local);
  });
});

describe('URL keys shaped after a template', () => {
  it("DATABASE_URL names POSTGRES_DB whatever the placeholder says; a key naming a database setup-db does not create is warned about", async () => {
    p = await setupProject();
    await p.write('.env.example', 'DATABASE_URL=postgresql+asyncpg://user:password@localhost:5432/codebase_mcp\nREGISTRY_DATABASE_URL=postgresql+asyncpg://user:password@localhost:5432/codebase_mcp_registry\n');
    const r = await runCli(['setup-db'], { cwd: p.dir, env: p.env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/REGISTRY_DATABASE_URL names the database "codebase_mcp_registry" \(as \.env\.example declares it\), which setup-db does not create/);
    expect(r.stderr).not.toMatch(/^warning: DATABASE_URL/m);
    const urls = urlKeys(await p.read('.env.local'));
    const logins = await pythonLogins(urls);
    expect(logins.DATABASE_URL).toMatchObject({ asyncpg: { u: p.user, d: p.db }, driver: 'postgresql+asyncpg' });
    expect(urls.REGISTRY_DATABASE_URL).toMatch(/\/codebase_mcp_registry$/);
    // What setup-db wrote is what verify-env expects: no disagreement on the next run.
    expect((await loadConfig({ cwd: p.dir, env: p.env })).warnings).toEqual([]);
  });
});

describe('URL keys and the never-locked-out rule', () => {
  it.each(['set-password', 'write-files'])('kill -9 of --rotate-password at the %s step: the next plain setup-db leaves URL keys that log in', async (stepKind) => {
    const { spawn } = await import('node:child_process');
    const { BIN } = await import('../helpers/project.js');
    p = await setupProject();
    await p.write('.env.template', `DATABASE_URL=postgresql+asyncpg://user:password@localhost:5432/${p.db}\n`);
    expect((await runCli(['setup-db'], { cwd: p.dir, env: p.env })).code).toBe(0);
    const child = spawn(process.execPath, [BIN, 'setup-db', '--rotate-password', '--debug'], { cwd: p.dir, env: { CI: 'true', ...p.env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    // Killed on an observed event: the --debug line announcing the step.
    await new Promise<void>((resolve) => {
      child.stderr!.on('data', (d: Buffer) => {
        stderr += String(d);
        if (new RegExp(`step \\d+/\\d+ ${stepKind}:`).test(stderr)) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.on('exit', () => resolve());
    });
    await new Promise((r) => child.on('close', r));
    expect(stderr).toMatch(new RegExp(`step \\d+/\\d+ ${stepKind}:`));
    const again = await runCli(['setup-db'], { cwd: p.dir, env: p.env });
    expect(again.code, again.stderr).toBe(0);
    const password = (await envLocalPassword(p))!;
    expect(await tryLogin(p, password)).toBe(true);
    const urls = urlKeys(await p.read('.env.local'));
    expect(urls.DATABASE_URL).toContain(`:${encodeURIComponent(password)}@`);
    expect((await pythonLogins(urls)).DATABASE_URL).toMatchObject({ asyncpg: { u: p.user, d: p.db }, sqlalchemy: { u: p.user, d: p.db } });
  });
});
