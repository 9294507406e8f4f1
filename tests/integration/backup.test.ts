import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBackup } from '../../src/commands/backup/run.js';
import { hashFile, parseBackupName } from '../../src/commands/backup/files.js';
import { adminQuery } from '../helpers/pg.js';
import { initRepo } from '../helpers/git.js';
import { runMain, tempProject } from '../helpers/project.js';
import { describeDb, filesIn, makeApp, type App } from './backup-fixtures.js';
import { needsClientTools } from '../helpers/pg-major.js';

/** pg_dump on PATH must be able to dump the test server (PG_MAJOR=17 with Debian's pg_dump 15 cannot). */
const dump = await needsClientTools();

describe.skipIf(dump.skip)(`backup round trip${dump.note}`, () => {
  let app: App;
  beforeAll(async () => {
    app = await makeApp({ seed: true });
  });
  afterAll(async () => {
    await app?.cleanup();
  });

  it.each([
    ['gzip', 'sql', '.sql.gz', 'gzip'],
    ['gzip', 'sql', '.sql.gz', 'zlib'],
    ['zstd', 'sql', '.sql.zst', ''],
    ['none', 'sql', '.sql', ''],
    ['gzip', 'custom', '.dump', ''],
  ] as const)('--compress %s --format %s writes %s (%s) that restores to equal catalogs and contents', async (compress, format, ext, gzipWith) => {
    const dir = `bk-${compress}-${format}-${gzipWith}`;
    // The JSON document as the tests read it: every backup written, with its path and checksum.
    let doc: { ok: boolean; backups: { path: string; sha256: string }[] };
    if (gzipWith) {
      // The gzip implementation is the core's option (measured by the benchmark), not a CLI flag.
      doc = (await runBackup({ ctx: app.project.ctx({ env: app.env }), config: await app.config(), events: () => {} }, { compress, format, dir, gzipWith })) as typeof doc;
    } else {
      const r = await runMain(['backup', '--compress', compress, '--format', format, '--dir', dir, '--json'], { cwd: app.project.dir, env: app.env });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      doc = JSON.parse(r.stdout) as typeof doc;
    }
    expect(doc.ok).toBe(true);
    const b = doc.backups[0]!;
    expect(b.path.endsWith(ext)).toBe(true);
    expect(parseBackupName(path.basename(b.path))).toMatchObject({ database: app.db });
    // Only the backup and its checksum: no temporary file is left.
    expect(await filesIn(path.join(app.project.dir, dir))).toEqual([path.basename(b.path), path.basename(b.path) + '.sha256'].sort());
    expect(await hashFile(b.path)).toBe(b.sha256);
    expect((await fs.readFile(b.path + '.sha256', 'utf8')).trim()).toBe(`${b.sha256}  ${path.basename(b.path)}`);
    expect((await fs.stat(b.path)).mode & 0o777).toBe(0o600);
    // sha256sum agrees with the checksum file.
    execFileSync('sha256sum', ['-c', path.basename(b.path) + '.sha256'], { cwd: path.dirname(b.path) });

    const target = `${app.db}_${compress}_${format}_${gzipWith}`.slice(0, 63);
    app.databases.push(target);
    const rr = await runMain(['backup', 'restore', b.path, '--db', target, '--json'], { cwd: app.project.dir, env: app.env });
    expect(rr.code, rr.stderr).toBe(0);
    expect(JSON.parse(rr.stdout)).toMatchObject({ ok: true, database: target, mode: 'created', checksum: 'ok' });
    const owner = await adminQuery<{ o: string }>('SELECT pg_get_userbyid(datdba) AS o FROM pg_database WHERE datname = $1', [target]);
    expect(owner[0]!.o).toBe(app.role);
    expect(await describeDb(app, target)).toEqual(await describeDb(app, app.db));
  });

  it('warns when the backup folder is inside a git work tree and not ignored', async () => {
    const repo = await tempProject();
    try {
      initRepo(repo.dir, repo.home);
      const env = { ...app.env, HOME: repo.home, GIT_CONFIG_NOSYSTEM: '1' };
      const r = await runMain(['backup', '--json'], { cwd: repo.dir, env });
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).warnings).toEqual([expect.stringContaining('add "backups/" to .gitignore')]);
      expect(r.stderr).toContain('backups/ is inside the git work tree and not ignored');
      await repo.write('.gitignore', 'backups/\n');
      const ignored = await runMain(['backup', '--json'], { cwd: repo.dir, env });
      expect(ignored.code).toBe(0);
      expect(JSON.parse(ignored.stdout).warnings).toEqual([]);
      expect(ignored.stderr).toBe('');
    } finally {
      await repo.cleanup();
    }
  });

  it('--verify restores into a scratch database, compares every count, and drops it', async () => {
    const r = await runMain(['backup', '--verify', '--dir', 'bk-verify', '--json'], { cwd: app.project.dir, env: app.env });
    expect(r.code, r.stderr).toBe(0);
    const [b] = JSON.parse(r.stdout).backups;
    expect(b.verify).toMatchObject({ ok: true, tables: 4, rows: 3700, differences: [] });
    expect(b.verify.scratchDatabase).toMatch(/^mcpctl_restorecheck_[0-9a-f]{10}$/);
    expect(await adminQuery('SELECT 1 FROM pg_database WHERE datname = $1', [b.verify.scratchDatabase])).toEqual([]);
  });

  it('prints a human summary with path, size and sha256, and lists the backups', async () => {
    const r = await runMain(['backup', '--dir', 'bk-human'], { cwd: app.project.dir, env: app.env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`✓ ${app.db} → .*bk-human/${app.db}_\\d{8}_\\d{6}\\.sql\\.gz`));
    expect(r.stdout).toMatch(/sha256 [0-9a-f]{64}/);
    const l = await runMain(['backup', 'list', '--dir', 'bk-human'], { cwd: app.project.dir, env: app.env });
    expect(l.code).toBe(0);
    expect(l.stdout).toMatch(/DATABASE\s+TIME \(UTC\)\s+SIZE\s+FORMAT\s+CHECKSUM\s+FILE/);
    expect(l.stdout).toContain(`${app.db} `);
    expect(l.stdout).toMatch(/\bok\b/);
    const empty = await runMain(['backup', 'list', '--dir', 'nothing-here'], { cwd: app.project.dir, env: app.env });
    expect(empty.stdout).toContain('no backups in');
  });

  it('backs up with only the password file (no POSTGRES_PASSWORD)', async () => {
    const { POSTGRES_PASSWORD: _, ...env } = app.env;
    const h = { host: env.POSTGRES_HOST!, port: env.POSTGRES_PORT! };
    await fs.writeFile(app.project.pgpass, `${h.host}:${h.port}:${app.db}:${app.role}:${app.password}\n`, { mode: 0o600 });
    try {
      const r = await runMain(['backup', '--dir', 'bk-pgpass', '--json'], { cwd: app.project.dir, env });
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).backups[0].size).toBeGreaterThan(1000);
    } finally {
      await fs.rm(app.project.pgpass, { force: true });
    }
  });

  it('--all-projects backs up every database the role owns; one failing does not stop the others', async () => {
    const solo = await makeApp();
    try {
      const second = `${solo.db}_two`;
      const broken = `${solo.db}_broken`;
      solo.databases.push(second, broken);
      await solo.query(`CREATE DATABASE ${second}`);
      await solo.query(`CREATE DATABASE ${broken}`);
      await solo.query('CREATE TABLE t AS SELECT generate_series(1, 10) AS n', second);
      // A table the app role cannot read: pg_dump itself fails on this database.
      await adminQuery('CREATE TABLE secret (x int)', [], broken);
      const r = await runMain(['backup', '--all-projects', '--dir', 'bk-all', '--json'], { cwd: solo.project.dir, env: solo.env });
      expect(r.code).toBe(1);
      const doc = JSON.parse(r.stdout);
      expect(doc.ok).toBe(false);
      const by = Object.fromEntries(doc.backups.map((b: { database: string }) => [b.database, b]));
      expect(Object.keys(by).sort()).toEqual([solo.db, broken, second].sort());
      expect(by[solo.db].ok).toBe(true);
      expect(by[second].ok).toBe(true);
      expect(by[broken].ok).toBe(false);
      expect(by[broken].error.message).toMatch(/pg_dump exited with status 1:[\s\S]*permission denied/);
      const files = await filesIn(path.join(solo.project.dir, 'bk-all'));
      expect(files.filter((f) => f.startsWith(broken + '_'))).toEqual([]);
      expect(files.filter((f) => !f.endsWith('.sha256'))).toHaveLength(2);
      expect(files.some((f) => f.endsWith('.tmp'))).toBe(false);
    } finally {
      await solo.cleanup();
    }
  });

  it('review A11: --all-projects reports databases that refuse connections (with the reason, human and --json), exit 1, the others backed up', async () => {
    const solo = await makeApp();
    try {
      const closed = `${solo.db}_closed`;
      const revoked = `${solo.db}_revoked`;
      const full = `${solo.db}_full`;
      solo.databases.push(closed, revoked, full);
      for (const d of [closed, revoked, full]) await solo.query(`CREATE DATABASE ${d}`);
      await adminQuery(`ALTER DATABASE ${closed} ALLOW_CONNECTIONS false`);
      await adminQuery(`REVOKE CONNECT ON DATABASE ${revoked} FROM PUBLIC, ${solo.role}`);
      await adminQuery(`ALTER DATABASE ${full} CONNECTION LIMIT 0`);
      const r = await runMain(['backup', '--all-projects', '--dir', 'bk-refused', '--json'], { cwd: solo.project.dir, env: solo.env });
      expect(r.code, r.stderr).toBe(1);
      const doc = JSON.parse(r.stdout);
      expect(doc.ok).toBe(false);
      const by = Object.fromEntries(doc.backups.map((b: { database: string }) => [b.database, b]));
      expect(Object.keys(by).sort()).toEqual([solo.db, closed, full, revoked].sort());
      expect(by[solo.db]).toMatchObject({ ok: true });
      expect(by[closed]).toMatchObject({ ok: false, skipped: true, error: { message: expect.stringMatching(/not backed up: it does not allow connections/) } });
      expect(by[revoked]).toMatchObject({ ok: false, skipped: true, error: { message: expect.stringMatching(/CONNECT privilege revoked/) } });
      expect(by[full]).toMatchObject({ ok: false, skipped: true, error: { message: expect.stringMatching(/connection limit is 0/) } });
      const files = await filesIn(path.join(solo.project.dir, 'bk-refused'));
      expect(files.filter((f) => !f.endsWith('.sha256'))).toEqual([expect.stringMatching(new RegExp(`^${solo.db}_\\d{8}_\\d{6}\\.sql\\.gz$`))]);
      const human = await runMain(['backup', '--all-projects', '--dir', 'bk-refused'], { cwd: solo.project.dir, env: solo.env });
      expect(human.code).toBe(1);
      expect(human.stderr).toContain(`${closed}: not backed up: it does not allow connections`);
      expect(human.stdout + human.stderr).toMatch(/3 of 4 databases not backed up \(3 not attempted/);
    } finally {
      await solo.cleanup();
    }
  });

  it('--keep prunes only that database\'s older backups, after a success', async () => {
    const dir = path.join(app.project.dir, 'bk-keep');
    await fs.mkdir(dir);
    const old = ['20200101_000000', '20210101_000000', '20220101_000000'].map((t) => `${app.db}_${t}.sql.gz`);
    const other = `${app.db}x_20200101_000000.sql.gz`;
    for (const f of [...old, other]) {
      await fs.writeFile(path.join(dir, f), 'old');
      await fs.writeFile(path.join(dir, f + '.sha256'), 'x');
    }
    // Two runs in one second get distinct names, never replacing a file.
    const now = () => new Date('2030-01-01T00:00:00Z');
    const deps = { ctx: app.project.ctx({ env: app.env, now }), config: await app.config(), events: () => {} };
    const first = await runBackup(deps, { dir: 'bk-keep' });
    const second = await runBackup(deps, { dir: 'bk-keep', keep: 2 });
    expect(path.basename(first.backups[0]!.path!)).toBe(`${app.db}_20300101_000000.sql.gz`);
    expect(path.basename(second.backups[0]!.path!)).toBe(`${app.db}_20300101_000000-1.sql.gz`);
    expect(second.backups[0]!.pruned.map((p) => path.basename(p)).sort()).toEqual(old);
    expect(await filesIn(dir)).toEqual(
      [`${app.db}_20300101_000000.sql.gz`, `${app.db}_20300101_000000-1.sql.gz`, other].flatMap((f) => [f, f + '.sha256']).sort(),
    );
  });
});
