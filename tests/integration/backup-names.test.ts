// Backup names under concurrency and hostile database names; leftovers of killed runs; signals; foreign files.
import { execFileSync, spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseBackupName } from '../../src/lib/backup-files.js';
import { adminQuery, harness } from '../helpers/pg.js';
import { BIN, runCli, runMain } from '../helpers/project.js';
import { filesIn, makeApp, pgDumpWrapper, type App } from './backup-fixtures.js';
import { needsClientTools } from '../helpers/pg-major.js';

/** pg_dump on PATH must be able to dump the test server (PG_MAJOR=17 with Debian's pg_dump 15 cannot). */
const dump = await needsClientTools();

describe.skipIf(dump.skip)(`backup names${dump.note}`, () => {
  let app: App;
  beforeAll(async () => {
    app = await makeApp({ seed: true });
  });
  afterAll(async () => {
    await app?.cleanup();
  });

  it('6 concurrent backups × 3 rounds: every backup has its own file and a .sha256 that sha256sum -c accepts', async () => {
    const dir = path.join(app.project.dir, 'bk-conc');
    const paths: string[] = [];
    for (let round = 0; round < 3; round++) {
      const runs = await Promise.all(Array.from({ length: 6 }, () => runCli(['backup', '--json', '--dir', 'bk-conc'], { cwd: app.project.dir, env: app.env })));
      for (const r of runs) {
        expect(r.code, r.stderr).toBe(0);
        paths.push(JSON.parse(r.stdout).backups[0].path);
      }
    }
    expect(new Set(paths).size).toBe(18);
    const names = await filesIn(dir);
    expect(names.filter((n) => n.endsWith('.sql.gz')).length).toBe(18);
    expect(names.filter((n) => n.endsWith('.sha256')).length).toBe(18);
    expect(names.filter((n) => n.startsWith('.'))).toEqual([]);
    const sums = names.filter((n) => n.endsWith('.sha256'));
    const out = execFileSync('sha256sum', ['-c', ...sums], { cwd: dir, encoding: 'utf8' });
    expect(out.trim().split('\n').filter((l) => l.endsWith(': OK')).length).toBe(18);
  }, 120_000);

  it('any database name stays inside --dir, decodes back, and one failing database does not stop the others', async () => {
    const weird = ['x/../../../../ESCAPED', 'a b.c', 'naïve-ü', '..', 'nofolder/x'];
    const broken = `${app.db}_broken`;
    for (const d of weird) {
      await adminQuery(`CREATE DATABASE "${d}" OWNER ${app.role}`);
      app.databases.push(d);
    }
    await adminQuery(`CREATE DATABASE ${broken} OWNER ${app.role}`);
    app.databases.push(broken);
    // A table the app role may not read: pg_dump of that database fails.
    await adminQuery('CREATE TABLE secret (a int); REVOKE ALL ON secret FROM PUBLIC', [], broken);
    const r = await runMain(['backup', '--all-projects', '--dir', 'bk/a', '--json'], { cwd: app.project.dir, env: app.env });
    // Where `bk/a` + `x/../../../../ESCAPED_<stamp>` would land, and the folders in between.
    for (const d of [path.resolve(app.project.dir, 'bk/a/x/../../../..'), path.dirname(path.dirname(app.project.dir)), app.project.dir, path.join(app.project.dir, 'bk')]) {
      expect((await filesIn(d)).filter((n) => n.startsWith('ESCAPED')), d).toEqual([]);
    }
    expect(r.code, r.stderr).toBe(1);
    const doc = JSON.parse(r.stdout);
    const byDb = Object.fromEntries(doc.backups.map((b: { database: string }) => [b.database, b]));
    expect(byDb[broken].ok).toBe(false);
    expect(byDb[broken].error.message).toMatch(/permission denied/);
    for (const d of [...weird, app.db]) {
      expect(byDb[d]?.ok, d).toBe(true);
      expect(path.dirname(byDb[d].path)).toBe(path.join(app.project.dir, 'bk', 'a'));
      expect(parseBackupName(path.basename(byDb[d].path))?.database).toBe(d);
    }
    // And back: a weird name restores into a new database.
    const rr = await runMain(['backup', 'restore', byDb['a b.c'].path, '--db', `${app.db}_from_weird`], { cwd: app.project.dir, env: app.env });
    expect(rr.code, rr.stderr).toBe(0);
  }, 120_000);

  it("sweeps a killed run's temporary file and scratch database, never a live run's", async () => {
    const dir = path.join(app.project.dir, 'bk-sweep');
    await fs.mkdir(dir, { recursive: true });
    const dead = await new Promise<number>((res) => {
      const p = spawn('true');
      p.on('exit', () => res(p.pid!));
    });
    const old = new Date(Date.now() - 60_000);
    const deadTmp = path.join(dir, `.x_20250101_000000.sql.gz.mcpctl-${dead}-ab12cd34.tmp`);
    const liveTmp = path.join(dir, `.x_20250101_000000.sql.gz.mcpctl-${process.pid}-ab12cd35.tmp`);
    for (const f of [deadTmp, liveTmp]) {
      await fs.writeFile(f, 'partial');
      await fs.utimes(f, old, old);
    }
    const scratch = 'mcpctl_restorecheck_0123456789';
    await adminQuery(`CREATE DATABASE ${scratch} OWNER ${app.role}`);
    app.databases.push(scratch);
    const r = await runMain(['backup', '--dir', 'bk-sweep', '--json'], { cwd: app.project.dir, env: app.env });
    expect(r.code, r.stderr).toBe(0);
    expect(await filesIn(dir)).toContain(path.basename(liveTmp));
    expect(await filesIn(dir)).not.toContain(path.basename(deadTmp));
    expect((await adminQuery('SELECT 1 FROM pg_database WHERE datname = $1', [scratch])).length).toBe(0);
    expect(JSON.parse(r.stdout).swept.sort()).toEqual([path.basename(deadTmp), scratch].sort());
  });

  for (const [sig, code] of [['SIGHUP', 129], ['SIGTERM', 143], ['SIGINT', 130]] as const) {
    it(`${sig} during a backup: exit ${code}, no temporary or final file left`, async () => {
      const w = await pgDumpWrapper(app.project, 'if [ "$1" = --version ]; then exec "$REAL" "$@"; fi\n"$REAL" "$@" && exec sleep 30');
      const dirName = `bk-${sig}`;
      const dir = path.join(app.project.dir, dirName);
      const child = spawn(process.execPath, [BIN, 'backup', '--dir', dirName], { cwd: app.project.dir, env: { CI: 'true', ...app.env, ...w.env }, stdio: 'ignore' });
      const exited = new Promise<number | null>((res) => child.on('exit', (c) => res(c)));
      // The observed event: the temporary file exists.
      for (;;) {
        if ((await filesIn(dir)).some((n) => n.endsWith('.tmp'))) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      child.kill(sig);
      expect(await exited).toBe(code);
      expect(await filesIn(dir)).toEqual([]);
    }, 60_000);
  }

  it('backup list shows foreign dumps (old script, pg_dump -Ft named .dump) with their format, local-time stamps, and no checksum', async () => {
    const dir = path.join(app.project.dir, 'bk-foreign');
    await fs.mkdir(dir);
    await fs.writeFile(path.join(dir, 'workflow_mcp_20250101_120000.sql.gz'), gzipSync('CREATE TABLE z (a int);\n'));
    const h = harness();
    execFileSync('pg_dump', ['-Ft', '-h', h.host, '-p', String(h.port), '-U', app.role, '-f', path.join(dir, 'handmade.dump'), app.db], { env: { ...process.env, PGPASSWORD: app.password } });
    await fs.writeFile(path.join(dir, 'notes.txt'), 'not a dump');
    const mine = await runMain(['backup', '--dir', 'bk-foreign', '--json'], { cwd: app.project.dir, env: app.env });
    expect(mine.code).toBe(0);
    const r = await runCli(['backup', 'list', '--dir', 'bk-foreign', '--json'], { cwd: app.project.dir, env: { ...app.env, TZ: 'America/New_York' } });
    expect(r.code, r.stderr).toBe(0);
    const list = JSON.parse(r.stdout).backups as { file: string; origin: string; format: string; compression: string; checksum: string; time: string; database?: string }[];
    const by = Object.fromEntries(list.map((b) => [path.basename(b.file), b]));
    expect(Object.keys(by).sort()).toEqual([path.basename(JSON.parse(mine.stdout).backups[0].path), 'handmade.dump', 'workflow_mcp_20250101_120000.sql.gz'].sort());
    expect(by['handmade.dump']).toMatchObject({ origin: 'foreign', format: 'tar', checksum: 'missing' });
    expect(by['workflow_mcp_20250101_120000.sql.gz']).toMatchObject({ origin: 'foreign', format: 'sql', compression: 'gzip', time: '2025-01-01T17:00:00.000Z' });
    expect(by['workflow_mcp_20250101_120000.sql.gz']?.database).toBeUndefined();
    const human = await runCli(['backup', 'list', '--dir', 'bk-foreign'], { cwd: app.project.dir, env: app.env });
    expect(human.stdout + human.stderr).toMatch(/\(foreign\).*tar.*no checksum.*handmade\.dump/);
  });
});
