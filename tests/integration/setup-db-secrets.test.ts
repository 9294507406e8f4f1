import { spawn } from 'node:child_process';
import { promises as fs, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSetupDb } from '../../src/commands/setup-db/run.js';
import type { Cluster } from '../helpers/cluster.js';
import { InterruptedError } from '../../src/lib/cli/errors.js';
import { harness, privateCluster } from '../helpers/pg.js';
import { BIN, runCli } from '../helpers/project.js';
import { envLocalPassword, gitIn, psqlWithPgpass, setupDbDeps, setupProject, snapshot, tryLogin, type SetupProject } from '../helpers/setup-db.js';

// One private cluster with every statement logged; these tests also hold the advisory lock
// for seconds, which must not slow the shared cluster's other test files.
let cluster: Cluster;
beforeAll(async () => {
  cluster = await privateCluster({ log_statement: 'all', log_min_error_statement: 'error' });
});
afterAll(async () => {
  await cluster?.destroy();
});

const project = (files: Record<string, string> = {}) => setupProject({ info: cluster.info, files });

async function admin<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T[]> {
  const h = harness();
  const c = new pg.Client({ host: cluster.info.host, port: cluster.info.port, user: h.superuser, password: h.superuserPassword, database: 'postgres' });
  await c.connect();
  try {
    return (await c.query<T>(sql, params)).rows;
  } finally {
    await c.end();
  }
}

/** Every process command line seen while `work` runs (polled from /proc). */
async function watchCmdlines<T>(work: Promise<T>): Promise<{ result: T; cmdlines: Set<string> }> {
  const cmdlines = new Set<string>();
  let done = false;
  const poll = (async () => {
    while (!done) {
      for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
        try {
          cmdlines.add(readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' '));
        } catch {
          // The process ended meanwhile.
        }
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  const result = await work.finally(() => {
    done = true;
  });
  await poll;
  return { result, cmdlines };
}

describe('setup-db keeps the cleartext password out of argv, output and the server log', () => {
  it('with log_statement=all, for a first run and a rotation', async () => {
    const p = await project();
    // In a work tree, so that git runs too and its command lines are watched.
    gitIn(p, ['init', '-q']);
    try {
      const first = await watchCmdlines(runCli(['setup-db'], { cwd: p.dir, env: p.env }));
      expect(first.result.code, first.result.stderr).toBe(0);
      const pw1 = (await envLocalPassword(p))!;
      const second = await watchCmdlines(runCli(['setup-db', '--rotate-password', '--debug'], { cwd: p.dir, env: p.env }));
      expect(second.result.code, second.result.stderr).toBe(0);
      const pw2 = (await envLocalPassword(p))!;
      expect(pw2).not.toBe(pw1);
      expect(await tryLogin(p, pw2)).toBe(true);

      const cmdlines = [...first.cmdlines, ...second.cmdlines];
      expect(cmdlines.some((c) => c.includes(BIN) && c.includes('setup-db'))).toBe(true);
      for (const pw of [pw1, pw2]) {
        expect(cmdlines.filter((c) => c.includes(pw))).toEqual([]);
        for (const r of [first.result, second.result]) expect(r.stdout + r.stderr).not.toContain(pw);
      }
      const log = await fs.readFile(cluster.info.logFile, 'utf8');
      // Statements are logged (the setting works), but not the one that carries the verifier.
      expect(log).toContain(`CREATE DATABASE "${p.db}"`);
      expect(log).not.toContain(`CREATE ROLE "${p.user}"`);
      expect(log).not.toContain(pw1);
      expect(log).not.toContain(pw2);
      // The superuser admin also keeps the verifier out of the statement log.
      expect(log).not.toContain('SCRAM-SHA-256$');
      expect(second.result.stderr).toContain('debug: $ git');
    } finally {
      await admin(`DROP DATABASE IF EXISTS "${p.db}" WITH (FORCE)`);
      await admin(`DROP DATABASE IF EXISTS "${p.testDb}" WITH (FORCE)`);
      await admin(`DROP ROLE IF EXISTS "${p.user}"`);
      await p.cleanup();
    }
  });
});

describe('setup-db runs that overlap', () => {
  it('two runs started together end in the same state as one', async () => {
    const p = await project();
    try {
      const [a, b] = await Promise.all([runCli(['setup-db', '--json'], { cwd: p.dir, env: p.env }), runCli(['setup-db', '--json'], { cwd: p.dir, env: p.env })]);
      expect([a.code, b.code], a.stderr + b.stderr).toEqual([0, 0]);
      const docs = [JSON.parse(a.stdout), JSON.parse(b.stdout)];
      expect(docs.map((d) => d.changed).sort()).toEqual([false, true]);
      const pw = (await envLocalPassword(p))!;
      expect(await tryLogin(p, pw)).toBe(true);
      expect(docs.find((d) => !d.changed).role.password).toBe('kept');
      const lines = (await fs.readFile(p.pgpass, 'utf8')).split('\n').filter(Boolean);
      expect(lines).toEqual([`${p.host}:${p.port}:${p.db}:${p.user}:${pw}`, `${p.host}:${p.port}:${p.testDb}:${p.user}:${pw}`]);
      const rows = await admin<{ n: string }>('SELECT count(*) AS n FROM pg_database WHERE datname = ANY($1)', [[p.db, p.testDb]]);
      expect(rows[0]!.n).toBe('2');
    } finally {
      await admin(`DROP DATABASE IF EXISTS "${p.db}" WITH (FORCE)`);
      await admin(`DROP DATABASE IF EXISTS "${p.testDb}" WITH (FORCE)`);
      await admin(`DROP ROLE IF EXISTS "${p.user}"`);
      await p.cleanup();
    }
  });
});

describe('setup-db interrupted', () => {
  const previous = { pgpass: '# mine\nelsewhere:5432:*:me:keep\\:this\n', envLocal: 'MCP_LOG_LEVEL=DEBUG\n' };

  async function withPrevious(files: Record<string, string> = {}): Promise<SetupProject> {
    const p = await project(files);
    await fs.writeFile(p.pgpass, previous.pgpass, { mode: 0o600 });
    await p.write('.env.local', previous.envLocal, 0o600);
    return p;
  }

  async function cleanup(p: SetupProject) {
    await admin(`DROP DATABASE IF EXISTS "${p.db}" WITH (FORCE)`);
    await admin(`DROP DATABASE IF EXISTS "${p.testDb}" WITH (FORCE)`);
    await admin(`DROP ROLE IF EXISTS "${p.user}"`);
    await p.cleanup();
  }

  it('by SIGINT during a migration (after the credential step): exit 130, the files log in, the message says what changed, a re-run completes', async () => {
    const p = await withPrevious({ 'migrations/001_slow.sql': 'SELECT pg_sleep(30);\nCREATE TABLE slow (x int);\n' });
    try {
      const child = spawn(process.execPath, [BIN, 'setup-db'], { cwd: p.dir, env: { CI: 'true', ...p.env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += String(d)));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      // Wait until the slow migration runs as the app role: the role and databases exist by then.
      const deadline = Date.now() + 30_000;
      while ((await admin("SELECT 1 FROM pg_stat_activity WHERE usename = $1 AND query LIKE '%pg_sleep%'", [p.user])).length === 0) {
        if (Date.now() > deadline) throw new Error(`the slow migration never started: ${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const t0 = Date.now();
      child.kill('SIGINT');
      expect(await exited, stderr).toBe(130);
      expect(Date.now() - t0).toBeLessThan(10_000);
      expect(stderr).toContain('interrupted during: apply');
      expect(stderr).toContain('its transaction was rolled back');
      expect(stderr).toContain('done before that: write the new password');
      expect(stderr).toContain('write the credential files');
      expect(await admin('SELECT 1 FROM pg_roles WHERE rolname = $1', [p.user])).toHaveLength(1);

      // The credential step finished before the migrations: every file holds a password that logs in.
      expect((await fs.readFile(p.pgpass, 'utf8')).startsWith(previous.pgpass)).toBe(true);
      expect((await p.read('.env.local')).startsWith(previous.envLocal)).toBe(true);
      expect(await tryLogin(p, (await envLocalPassword(p))!)).toBe(true);
      expect((await psqlWithPgpass(p, p.db)).stdout).toBe(`${p.user}\n`);
      expect(Object.keys(await snapshot(p.home)).filter((n) => n.includes('.tmp'))).toEqual([]);
      expect(Object.keys(await snapshot(p.dir)).filter((n) => n.includes('.tmp'))).toEqual([]);
      const c = new pg.Client({ host: cluster.info.host, port: cluster.info.port, user: harness().superuser, password: harness().superuserPassword, database: p.db });
      await c.connect();
      const applied = (await c.query<{ version: string }>('SELECT version FROM registry.schema_migrations ORDER BY 1')).rows.map((r) => r.version);
      await c.end();
      expect(applied).toEqual(['000_registry']);

      await p.write('migrations/001_slow.sql', 'CREATE TABLE slow (x int);\n');
      const again = await runCli(['setup-db'], { cwd: p.dir, env: p.env });
      expect(again.code, again.stderr).toBe(0);
      const pgpass = await fs.readFile(p.pgpass, 'utf8');
      expect(pgpass.startsWith(previous.pgpass)).toBe(true);
      expect((await p.read('.env.local')).startsWith(previous.envLocal)).toBe(true);
      for (const db of [p.db, p.testDb]) expect((await psqlWithPgpass(p, db, 'SELECT count(*) FROM slow')).stdout).toBe('0\n');
    } finally {
      await cleanup(p);
    }
  });

  it('in-process, aborted between steps: InterruptedError (130), the files already log in', async () => {
    const p = await withPrevious();
    const controller = new AbortController();
    try {
      const ctx = p.ctx({ signal: controller.signal });
      const run = runSetupDb(await setupDbDeps(p, { ctx, events: (e) => e.type === 'progress' && e.text.startsWith('create database') && controller.abort() }), {});
      await expect(run).rejects.toBeInstanceOf(InterruptedError);
      await expect(run).rejects.toMatchObject({ exitCode: 130 });
      expect(await tryLogin(p, (await envLocalPassword(p))!)).toBe(true);
      expect((await fs.readFile(p.pgpass, 'utf8')).startsWith(previous.pgpass)).toBe(true);
      const r = await runSetupDb(await setupDbDeps(p), {});
      expect(r.changed).toBe(true);
      expect(await tryLogin(p, (await envLocalPassword(p))!)).toBe(true);
      expect(path.basename(r.passwordStoredIn[0]!)).toBe('.pgpass');
    } finally {
      await cleanup(p);
    }
  });
});
