// Restore under hostile files and kill -9: nothing client-side runs, nothing half lands.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminQuery, harness } from '../helpers/pg.js';
import { BIN, runMain } from '../helpers/project.js';
import { filesIn, makeApp, pgDumpWrapper, type App } from './backup-fixtures.js';
import { needsClientTools } from '../helpers/pg-major.js';

/** pg_dump on PATH must be able to dump the test server (PG_MAJOR=17 with Debian's pg_dump 15 cannot). */
const dump = await needsClientTools();

const exists = async (db: string) => (await adminQuery('SELECT 1 FROM pg_database WHERE datname = $1', [db])).length === 1;
const dbsOf = async (role: string) =>
  (await adminQuery<{ datname: string }>('SELECT datname FROM pg_database WHERE datdba = (SELECT oid FROM pg_roles WHERE rolname = $1) ORDER BY 1', [role])).map((r) => r.datname);

/** Polls `probe` until it returns a value (an observed event, not a guess about time). */
async function until<T>(probe: () => Promise<T | undefined>, what: string, said: () => string = () => '', ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; mcpctl said:\n${said()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('backup restore: hostile files', () => {
  let app: App;
  let marker: string;
  beforeAll(async () => {
    app = await makeApp();
    marker = path.join(os.tmpdir(), `mcpctl-pwned-${randomBytes(4).toString('hex')}`);
  });
  afterAll(async () => {
    await fs.rm(marker, { force: true });
    await app?.cleanup();
  });

  const write = async (name: string, sql: string) => {
    const p = path.join(app.project.dir, name);
    await fs.writeFile(p, gzipSync(sql));
    return p;
  };

  it('a shell command hidden in a plain backup is refused, naming the line: no marker file, no database created or changed', async () => {
    await app.query('CREATE TABLE IF NOT EXISTS victim_rows (a int); INSERT INTO victim_rows VALUES (1)');
    const before = await dbsOf(app.role);
    const f = await write('evil_20260101_000000.sql.gz', `CREATE TABLE t(x int);\nINSERT INTO t VALUES (1);\n\\! id > ${marker}\n`);
    const r = await runMain(['backup', 'restore', f, '--db', 'evil'], { cwd: app.project.dir, env: app.env });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/line 3 holds the psql command \\!/);
    expect(await fs.stat(marker).then(() => true, () => false)).toBe(false);
    expect(await dbsOf(app.role)).toEqual(before);
    expect(await app.query('SELECT count(*)::int AS n FROM victim_rows')).toEqual([{ n: 1 }]);
  });

  // Review A1: psql lexes E'' U&"x" x'00' N'x' b'01' :x as non-identifiers, so it counts the BEGIN of
  // CREATE <prefix> FUNCTION f() BEGIN; keeps reading one statement and runs the `\!` line as a command.
  for (const prefix of ["E''", 'U&"x"', "x'00'", "N'x'", "b'01'", ':x']) {
    it(`review A1: CREATE ${prefix} FUNCTION … BEGIN; then COPY: refused, no marker file, no database created or changed`, async () => {
      const before = await dbsOf(app.role);
      const f = await write('a1_20260101_000000.sql.gz', `CREATE TABLE t(x int);\nCREATE ${prefix} FUNCTION f() BEGIN;\nCOPY t FROM stdin;\n\\! id > ${marker}\n\\.\n`);
      const r = await runMain(['backup', 'restore', f, '--db', `${app.db}_a1`], { cwd: app.project.dir, env: app.env });
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/refusing to restore: line 3 starts COPY inside an unfinished statement/);
      expect(await fs.stat(marker).then(() => true, () => false)).toBe(false);
      expect(await dbsOf(app.role)).toEqual(before);
      expect(await exists(`${app.db}_a1`)).toBe(false);
    });
  }

  it('review A3: a .sql.gz expanding to one 32 MiB line restores (streamed, not held); a 2 MiB word outside quotes is refused', async () => {
    const long = `${app.db}_long`;
    const f = await write('long_20260101_000000.sql.gz', `CREATE TABLE big_line (n int);\nINSERT INTO big_line VALUES (length('${'x'.repeat(32 << 20)}'));\n`);
    const r = await runMain(['backup', 'restore', f, '--db', long], { cwd: app.project.dir, env: app.env });
    expect(r.code, r.stderr).toBe(0);
    expect(await app.query('SELECT n FROM big_line', long)).toEqual([{ n: 32 << 20 }]);
    const w = await write('word_20260101_000000.sql.gz', `SELECT 1;\nSELECT ${'a'.repeat(2 << 20)};\n`);
    const r2 = await runMain(['backup', 'restore', w, '--db', `${app.db}_word`], { cwd: app.project.dir, env: app.env });
    expect(r2.code).toBe(1);
    expect(r2.stderr).toMatch(/line 2 holds a word, number or COPY line longer than 1048576 bytes/);
    expect(await exists(`${app.db}_word`)).toBe(false);
  }, 120_000);

  it('\\connect then DROP DATABASE of another project: refused, the other database survives', async () => {
    const victim = `${app.db}_victim`;
    await app.query(`CREATE DATABASE ${victim}`);
    app.databases.push(victim);
    const f = await write('x.sql.gz', `SELECT 1;\n\\connect ${app.db}\nDROP DATABASE ${victim} WITH (FORCE);\n`);
    const r = await runMain(['backup', 'restore', f, '--db', `${app.db}_t2`], { cwd: app.project.dir, env: app.env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/line 2 holds the psql command \\connect/);
    expect(await exists(victim)).toBe(true);
    expect(await exists(`${app.db}_t2`)).toBe(false);
  });

  it('COMMIT in the file (which would let DROP DATABASE run outside the transaction) is refused', async () => {
    const victim = `${app.db}_victim2`;
    await app.query(`CREATE DATABASE ${victim}`);
    app.databases.push(victim);
    const f = await write('y.sql.gz', `CREATE TABLE a (x int);\nCOMMIT;\nDROP DATABASE ${victim};\n`);
    const r = await runMain(['backup', 'restore', f, '--db', `${app.db}_t3`], { cwd: app.project.dir, env: app.env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/line 2 starts a COMMIT statement/);
    expect(await exists(victim)).toBe(true);
    expect(await exists(`${app.db}_t3`)).toBe(false);
  });

  it('a file whose name is not an mcpctl backup with a checksum needs --db (exit 2, nothing created)', async () => {
    const before = await dbsOf(app.role);
    const f = await write('workflow_mcp_20250101_120000.sql.gz', 'CREATE TABLE z (a int);\n');
    const r = await runMain(['backup', 'restore', f], { cwd: app.project.dir, env: app.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/without its \.sha256, its name is not trusted/);
    expect(r.stderr).toMatch(/--db/);
    expect(await dbsOf(app.role)).toEqual(before);
  });

  it.skipIf(dump.skip)(`tar and custom archives (any name) go through pg_restore and land whole${dump.note}`, async () => {
    await app.query('CREATE TABLE arch (id int PRIMARY KEY, s text); INSERT INTO arch SELECT g, md5(g::text) FROM generate_series(1, 500) g');
    const h = harness();
    const env = { ...process.env, PGPASSWORD: app.password };
    for (const [flag, name] of [['-Ft', 'old.dump'], ['-Fc', 'other.tar']] as const) {
      const file = path.join(app.project.dir, name);
      await new Promise<void>((res, rej) => {
        const p = spawn('pg_dump', [flag, '-h', h.host, '-p', String(h.port), '-U', app.role, '-f', file, app.db], { env, stdio: 'inherit' });
        p.on('exit', (c) => (c === 0 ? res() : rej(new Error(`pg_dump ${c}`))));
      });
      const target = `${app.db}_${flag.slice(2).toLowerCase()}`;
      const r = await runMain(['backup', 'restore', file, '--db', target, '--json'], { cwd: app.project.dir, env: app.env });
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ database: target, format: flag === '-Ft' ? 'tar' : 'custom', mode: 'created' });
      expect(await app.query('SELECT count(*)::int AS n FROM arch', target)).toEqual([{ n: 500 }]);
    }
  });
});

describe.skipIf(dump.skip)(`backup restore: kill -9 or a signal to mcpctl commits nothing${dump.note}`, () => {
  let app: App;
  let file: string;
  beforeAll(async () => {
    app = await makeApp();
    await app.query("CREATE TABLE big (id int, s text); INSERT INTO big SELECT g, repeat('x', 200) FROM generate_series(1, 400000) g");
    const r = await runMain(['backup', '--json'], { cwd: app.project.dir, env: app.env });
    expect(r.code, r.stderr).toBe(0);
    file = JSON.parse(r.stdout).backups[0].path;
  }, 240_000);
  afterAll(async () => {
    await app?.cleanup();
  });

  /**
   * Starts mcpctl as a real process and SIGKILLs it once rows are arriving in a database named
   * `target` or matching `scratch` (observed in pg_stat_progress_copy), then waits for its
   * sessions there to end. Returns the database the rows were arriving in.
   */
  async function killDuringCopy(args: string[], target: string, scratch = 'mcpctl\\_restore\\_%', signal: NodeJS.Signals = 'SIGKILL'): Promise<string> {
    return (await signalDuringCopy(args, target, scratch, signal)).db;
  }
  async function signalDuringCopy(args: string[], target: string, scratch: string, signal: NodeJS.Signals): Promise<{ db: string; code: number | null }> {
    // --debug: what the run said is part of any failure message (a slow or stuck run shows where).
    const child = spawn(process.execPath, [BIN, '--debug', ...args], { cwd: app.project.dir, env: { CI: 'true', ...app.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let said = '';
    for (const s of [child.stdout!, child.stderr!]) s.on('data', (b: Buffer) => (said += b.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const db = await until(async () => {
      const rows = await adminQuery<{ datname: string }>(
        `SELECT datname FROM pg_stat_progress_copy WHERE (datname = $1 OR datname LIKE $2) AND command = 'COPY FROM' AND tuples_processed > 0`,
        [target, scratch],
      );
      return rows[0]?.datname;
    }, 'rows arriving', () => said);
    child.kill(signal);
    const code = await Promise.race([exited, new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`mcpctl still running 60 s after ${signal}:\n${said}`)), 60_000))]);
    // psql reads end of input and ends; its session (and transaction) goes with it, and so does
    // the connection that marked a scratch database as held.
    const gone = async () => (await adminQuery(`SELECT 1 FROM pg_stat_activity WHERE datname = $1 OR application_name LIKE '%' || $1`, [db])).length === 0;
    await until(async () => ((await gone()) ? true : undefined), 'psql to end', () => said);
    return { db, code };
  }

  it('a new target: no target database appears; the scratch database is swept by the next run', async () => {
    const target = `${app.db}_k1`;
    const scratch = await killDuringCopy(['backup', 'restore', file, '--db', target], target);
    expect(await exists(target)).toBe(false);
    expect(scratch).toMatch(/^mcpctl_restore_/);
    expect(await exists(scratch)).toBe(true);
    const r = await runMain(['backup', 'restore', file, '--db', target, '--json'], { cwd: app.project.dir, env: app.env });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).swept).toContain(scratch);
    expect(await exists(scratch)).toBe(false);
    expect(await app.query('SELECT count(*)::int AS n FROM big', target)).toEqual([{ n: 400000 }]);
  }, 240_000);

  it('an existing empty target: still empty after the kill (the open transaction rolled back)', async () => {
    const target = `${app.db}_k2`;
    await app.query(`CREATE DATABASE ${target}`);
    app.databases.push(target);
    expect(await killDuringCopy(['backup', 'restore', file, '--db', target], target)).toBe(target);
    expect(await app.query(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'`, target)).toEqual([{ n: 0 }]);
  }, 240_000);

  for (const [sig, code] of [['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    it(`${sig} during a restore: exit ${code}, the scratch database dropped at once, no target`, async () => {
      const target = `${app.db}_${sig.toLowerCase()}`;
      const r = await signalDuringCopy(['backup', 'restore', file, '--db', target], target, 'mcpctl\\_restore\\_%', sig);
      expect(r.code).toBe(code);
      expect(await exists(target)).toBe(false);
      expect(await exists(r.db)).toBe(false);
    }, 240_000);
  }

  it("leftovers of killed runs (backup --verify's scratch copy, a backup's temporary file) are swept by the next backup", async () => {
    const dirName = 'bk-killed';
    const dir = path.join(app.project.dir, dirName);
    // A backup killed while its temporary file is being written; the pg_dump wrapper then
    // lingers (so the file is there to see) and tells us its pid so that we can end it.
    const pidFile = path.join(app.project.dir, 'wrapper.pid');
    const w = await pgDumpWrapper(app.project, `if [ "$1" = --version ]; then exec "$REAL" "$@"; fi\necho $$ > ${pidFile}\n"$REAL" "$@" && exec sleep 30`);
    const child = spawn(process.execPath, [BIN, 'backup', '--dir', dirName], { cwd: app.project.dir, env: { CI: 'true', ...app.env, ...w.env }, stdio: 'ignore' });
    const tmp = await until(async () => (await filesIn(dir)).find((n) => n.endsWith('.tmp')), 'a temporary file');
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    try {
      process.kill(Number(await fs.readFile(pidFile, 'utf8')), 'SIGKILL');
    } catch {
      /* already gone */
    }
    expect(await filesIn(dir)).toContain(tmp);
    // Then a backup --verify (elsewhere, so it cannot sweep that file) killed while its scratch copy fills.
    const scratch = await killDuringCopy(['backup', '--verify', '--dir', 'bk-verify'], '', 'mcpctl\\_restorecheck\\_%');
    expect(await exists(scratch)).toBe(true);
    const r = await runMain(['backup', '--dir', dirName, '--json'], { cwd: app.project.dir, env: app.env });
    expect(r.code, r.stderr).toBe(0);
    expect(await exists(scratch)).toBe(false);
    expect((await filesIn(dir)).filter((n) => n.startsWith('.'))).toEqual([]);
    expect(JSON.parse(r.stdout).swept.sort()).toEqual([scratch, tmp].sort());
  }, 240_000);
});
