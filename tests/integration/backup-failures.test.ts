import { execFileSync } from 'node:child_process';
import { promises as fs, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBackup } from '../../src/core/backup.js';
import { InterruptedError } from '../../src/lib/errors.js';
import { adminQuery } from '../helpers/pg.js';
import { runCli, runMain } from '../helpers/project.js';
import { filesIn, makeApp, pgDumpWrapper, type App } from './backup-fixtures.js';
import { needsClientTools } from '../helpers/pg-major.js';

/** pg_dump on PATH must be able to dump the test server (PG_MAJOR=17 with Debian's pg_dump 15 cannot). */
const dump = await needsClientTools();

describe.skipIf(dump.skip)(`backup failures leave no file that looks complete${dump.note}`, () => {
  let app: App;
  beforeAll(async () => {
    app = await makeApp({ seed: true });
  });
  afterAll(async () => {
    await app?.cleanup();
  });

  it('pg_dump killed mid-stream: exit 1, no final and no temporary file, older backups kept despite --keep', async () => {
    // The wrapper passes on real output, then dies by SIGKILL: what was streamed is a valid prefix.
    const w = await pgDumpWrapper(app.project, 'if [ "$1" = --version ]; then exec "$REAL" "$@"; fi\n"$REAL" "$@" | { head -c 60000; kill -9 $$; }');
    const dir = path.join(app.project.dir, 'bk-killed');
    await fs.mkdir(dir);
    const old = `${app.db}_20200101_000000.sql.gz`;
    await fs.writeFile(path.join(dir, old), 'old');
    const r = await runMain(['backup', '--dir', 'bk-killed', '--keep', '1'], { cwd: app.project.dir, env: { ...app.env, ...w.env } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/pg_dump was killed by SIGKILL/);
    expect(await filesIn(dir)).toEqual([old]);
  });

  it('a failure inside pg_dump: exit 1 with pg_dump\'s own error text', async () => {
    const w = await pgDumpWrapper(app.project, 'if [ "$1" = --version ]; then exec "$REAL" "$@"; fi\necho "pg_dump: error: simulated failure" >&2\n"$REAL" "$@" | head -c 1000\nexit 1');
    const r = await runMain(['backup', '--dir', 'bk-fail', '--compress', 'zstd'], { cwd: app.project.dir, env: { ...app.env, ...w.env } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('pg_dump exited with status 1:');
    expect(r.stderr).toContain('pg_dump: error: simulated failure');
    expect(await filesIn(path.join(app.project.dir, 'bk-fail'))).toEqual([]);
  });

  it('a wrong password: exit 1 before anything is written', async () => {
    const r = await runMain(['backup', '--dir', 'bk-pw'], { cwd: app.project.dir, env: { ...app.env, POSTGRES_PASSWORD: 'definitely-not-it-123' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/password authentication failed/);
    expect(await filesIn(path.join(app.project.dir, 'bk-pw'))).toEqual([]);
  });

  it('an unwritable folder (its parent is a regular file): exit 1', async () => {
    await fs.writeFile(path.join(app.project.dir, 'plainfile'), 'x');
    const r = await runMain(['backup', '--dir', 'plainfile/backups'], { cwd: app.project.dir, env: app.env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/backup folder .*plainfile\/backups is not writable: ENOTDIR/);
    expect((await fs.stat(path.join(app.project.dir, 'plainfile'))).isFile()).toBe(true);
  });

  it('a pg_dump older than the server: exit 2 naming both versions', async () => {
    const w = await pgDumpWrapper(app.project, 'if [ "$1" = --version ]; then echo "pg_dump (PostgreSQL) 13.9"; exit 0; fi\nexec "$REAL" "$@"');
    const r = await runMain(['backup', '--dir', 'bk-old', '--json'], { cwd: app.project.dir, env: { ...app.env, ...w.env } });
    expect(r.code, r.stdout + r.stderr).toBe(2);
    const doc = JSON.parse(r.stdout);
    expect(doc.error.message).toMatch(/pg_dump 13\.9 is older than the server \(PostgreSQL 1[4-9]\)/);
    expect(await filesIn(path.join(app.project.dir, 'bk-old'))).toEqual([]);
  });

  it('a disk that fills (1 MiB tmpfs): exit 1, no final and no temporary file', async (t) => {
    const dir = path.join(app.project.dir, 'bk-full');
    await fs.mkdir(dir);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir], { stdio: 'ignore' });
    } catch {
      t.skip(); // not root, or mounting refused in this container
      return;
    }
    try {
      await app.query('CREATE TABLE IF NOT EXISTS big AS SELECT g, md5(g::text) || md5((g + 1)::text) AS t FROM generate_series(1, 40000) g');
      const r = await runMain(['backup', '--dir', 'bk-full', '--compress', 'none'], { cwd: app.project.dir, env: app.env });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/no space left on device/);
      expect(await filesIn(dir)).toEqual([]);
    } finally {
      execFileSync('umount', [dir]);
      await app.query('DROP TABLE IF EXISTS big');
    }
  });

  it('interrupted (ctx.signal): InterruptedError, and the temporary file is removed', async () => {
    const w = await pgDumpWrapper(app.project, 'if [ "$1" = --version ]; then exec "$REAL" "$@"; fi\nsleep 5 >/dev/null 2>&1 &\nwait\nexec "$REAL" "$@"');
    const ac = new AbortController();
    const deps = { ctx: app.project.ctx({ env: { ...app.env, ...w.env }, signal: ac.signal }), config: await app.config() };
    setTimeout(() => ac.abort(), 700);
    await expect(runBackup(deps, { dir: 'bk-int' })).rejects.toBeInstanceOf(InterruptedError);
    expect(await filesIn(path.join(app.project.dir, 'bk-int'))).toEqual([]);
  });

  it('interrupted during --verify: the scratch database is dropped, the finished backup kept', async () => {
    const marker = path.join(app.project.dir, 'psql-started');
    const w = await pgDumpWrapper(app.project, `if [ "$1" = --version ]; then exec "$REAL" "$@"; fi\ntouch ${marker}\nsleep 5 >/dev/null 2>&1 &\nwait\nexec "$REAL" "$@"`, 'psql');
    const ac = new AbortController();
    const deps = { ctx: app.project.ctx({ env: { ...app.env, ...w.env }, signal: ac.signal }), config: await app.config() };
    const running = runBackup(deps, { dir: 'bk-int-verify', verify: true });
    const started = Date.now();
    while (!(await fs.stat(marker).then(() => true, () => false)) && Date.now() - started < 30_000) await new Promise((r) => setTimeout(r, 50));
    const during = await adminQuery<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE 'mcpctl_restorecheck_%' AND pg_get_userbyid(datdba) = $1`, [app.role]);
    expect(during).toHaveLength(1);
    ac.abort();
    await expect(running).rejects.toBeInstanceOf(InterruptedError);
    expect(await adminQuery('SELECT 1 FROM pg_database WHERE datname = $1', [during[0]!.datname])).toEqual([]);
    const files = await filesIn(path.join(app.project.dir, 'bk-int-verify'));
    expect(files.filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(files.filter((f) => f.endsWith('.sql.gz'))).toHaveLength(1);
  });

  it('the password never appears in any process\'s argv, nor in --debug output', async () => {
    const w = await pgDumpWrapper(app.project, 'if [ "$1" = --version ]; then exec "$REAL" "$@"; fi\nsleep 1 >/dev/null 2>&1 &\nwait\nexec "$REAL" "$@"');
    const run = runCli(['backup', '--dir', 'bk-ps', '--debug', '--verify'], { cwd: app.project.dir, env: { ...app.env, ...w.env } });
    let done = false;
    let seen = 0;
    const leaks: string[] = [];
    void run.then(() => (done = true));
    while (!done) {
      for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
        let cmd: string;
        try {
          cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        } catch {
          continue;
        }
        if (/pg_dump|psql|mcpctl/.test(cmd)) seen++;
        if (cmd.includes(app.password)) leaks.push(cmd.replace(/\0/g, ' '));
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const r = await run;
    expect(r.code, r.stderr).toBe(0);
    expect(seen).toBeGreaterThan(0);
    expect(leaks).toEqual([]);
    expect(r.stderr).toMatch(/debug: \$ pg_dump --no-password --no-owner --no-acl/);
    expect(r.stdout + r.stderr).not.toContain(app.password);
  });
});
