import { execFile, execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import pg from 'pg';
import { afterEach } from 'vitest';
import { parseDotenv } from '../../src/lib/config/dotenv.js';
import { loadConfig } from '../../src/lib/config/load.js';
import type { Context } from '../../src/lib/cli/context.js';
import { createPrompter } from '../../src/lib/cli/prompts.js';
import { setupDbConfigFlags, type SetupDbDeps, type SetupDbEvent } from '../../src/commands/setup-db/run.js';
import { dropAll, harness, uniqueName } from './pg.js';
import { pgEnv, tempProject, type TempProject } from './project.js';

/** A temp project wired to a cluster with unique role/database names for setup-db. */
export interface SetupProject extends TempProject {
  user: string;
  db: string;
  testDb: string;
  port: number;
  host: string;
}

export async function setupProject(opts: { files?: Record<string, string>; info?: { host: string; port: number }; env?: Record<string, string> } = {}): Promise<SetupProject> {
  const h = harness();
  const info = opts.info ?? h;
  const id = uniqueName('sd');
  const p = await tempProject(opts.files ?? {});
  const names = { user: `${id}_u`, db: `${id}_db`, testDb: `${id}_test` };
  Object.assign(
    p.env,
    pgEnv(info, {
      POSTGRES_USER: names.user,
      POSTGRES_DB: names.db,
      POSTGRES_TEST_DB: names.testDb,
      SETUP_POSTGRES_USER: h.superuser,
      SETUP_POSTGRES_PASSWORD: h.superuserPassword,
      ...opts.env,
    }),
  );
  return { ...p, ...names, host: info.host, port: info.port };
}

/** POSTGRES_PASSWORD as written in the project's .env.local. */
export async function envLocalPassword(p: TempProject): Promise<string | undefined> {
  const text = await p.read('.env.local');
  return parseDotenv(text).entries.find((e) => e.key === 'POSTGRES_PASSWORD')?.value;
}

export async function mode(file: string): Promise<number> {
  return (await fs.stat(file)).mode & 0o777;
}

/** The real psql, with nothing but the password file (-w: never prompt). */
export function psqlWithPgpass(p: SetupProject, database: string, sql = 'SELECT current_user'): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'psql',
      ['-w', '-X', '-h', p.host, '-p', String(p.port), '-U', p.user, '-d', database, '-Atc', sql],
      { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: p.home, PGPASSFILE: p.pgpass, PGSSLMODE: 'disable' } },
      (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout: String(stdout), stderr: String(stderr) }),
    );
  });
}

/** Can `password` log in as the app user? (pg's code, e.g. 28P01, when not.) */
export async function tryLogin(p: SetupProject, password: string, database = p.db): Promise<true | string> {
  const c = new pg.Client({ host: p.host, port: p.port, user: p.user, password, database });
  try {
    await c.connect();
    await c.end();
    return true;
  } catch (e) {
    return (e as { code?: string }).code ?? (e as Error).message;
  }
}

export function gitIn(p: TempProject, args: string[]): string {
  return execFileSync('git', args, {
    cwd: p.dir,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: p.home, GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 'T', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 'T', GIT_COMMITTER_EMAIL: 't@example.com', LC_ALL: 'C' },
  });
}

/** Files of a folder with their bytes (to prove nothing was written). */
export async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of await fs.readdir(dir).catch(() => [] as string[])) {
    const st = await fs.stat(`${dir}/${name}`);
    if (st.isFile()) out[name] = `${(st.mode & 0o777).toString(8)}:${await fs.readFile(`${dir}/${name}`, 'utf8')}`;
  }
  return out;
}

/** `project()` for a test file: each project's role, databases and folder are removed after its test. */
export function setupProjectsPerTest(): (opts?: Parameters<typeof setupProject>[0]) => Promise<SetupProject> {
  const made: SetupProject[] = [];
  afterEach(async () => {
    for (const p of made.splice(0)) {
      await dropAll({ databases: [p.db, p.testDb], roles: [p.user] });
      await p.cleanup();
    }
  });
  return async (opts = {}) => {
    const p = await setupProject(opts);
    made.push(p);
    return p;
  };
}

/**
 * What the setup-db adapter gives the core, for a test that calls `runSetupDb`: the project's
 * configuration loaded as the adapter loads it, and a prompter that cannot ask (no terminal).
 */
export async function setupDbDeps(p: TempProject, o: { ctx?: Context; events?: (e: SetupDbEvent) => void } = {}): Promise<SetupDbDeps> {
  const ctx = o.ctx ?? p.ctx();
  const config = await loadConfig({ cwd: ctx.cwd, env: ctx.env, secrets: ctx.secrets, ...setupDbConfigFlags(undefined, undefined) });
  return { ctx, config, events: o.events ?? (() => undefined), prompter: createPrompter({ ctx, yes: false }) };
}
