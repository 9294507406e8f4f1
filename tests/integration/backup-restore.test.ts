import { promises as fs } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashFile, writeChecksum } from '../../src/commands/backup/files.js';
import { adminQuery, harness } from '../helpers/pg.js';
import { runMain } from '../helpers/project.js';
import { makeApp, type App } from './backup-fixtures.js';
import { needsClientTools } from '../helpers/pg-major.js';

/** pg_dump on PATH must be able to dump the test server (PG_MAJOR=17 with Debian's pg_dump 15 cannot). */
const dump = await needsClientTools();

const exists = async (db: string) => (await adminQuery('SELECT 1 FROM pg_database WHERE datname = $1', [db])).length === 1;

describe.skipIf(dump.skip)(`backup restore${dump.note}`, () => {
  let app: App;
  let file: string;
  beforeAll(async () => {
    app = await makeApp();
    await app.query('CREATE TABLE notes (id int PRIMARY KEY, body text); INSERT INTO notes SELECT g, $$n$$ || g FROM generate_series(1, 50) g');
    const r = await runMain(['backup', '--json'], { cwd: app.project.dir, env: app.env });
    expect(r.code, r.stderr).toBe(0);
    file = JSON.parse(r.stdout).backups[0].path;
  });
  afterAll(async () => {
    await app?.cleanup();
  });

  const copyWith = async (name: string, mutate: (b: Buffer) => Buffer, rehash: boolean) => {
    const p = path.join(path.dirname(file), name);
    await fs.writeFile(p, mutate(await fs.readFile(file)));
    if (rehash) await writeChecksum(p, await hashFile(p));
    else await fs.copyFile(file + '.sha256', p + '.sha256');
    return p;
  };

  it('refuses a file that does not match its checksum (exit 1, nothing created)', async () => {
    const bad = await copyWith(`${app.db}_20250101_000000.sql.gz`, (b) => {
      b[Math.floor(b.length / 2)]! ^= 0xff;
      return b;
    }, false);
    const target = `${app.db}_corrupt`;
    const r = await runMain(['backup', 'restore', bad, '--db', target], { cwd: app.project.dir, env: app.env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/does not match its checksum/);
    expect(await exists(target)).toBe(false);
    // Nor a scratch database: one made while the checksum was computed is dropped.
    expect(await adminQuery(`SELECT datname FROM pg_database WHERE datname LIKE 'mcpctl_restore_%' AND pg_get_userbyid(datdba) = $1`, [app.role])).toEqual([]);
    const l = await runMain(['backup', 'list', '--json'], { cwd: app.project.dir, env: app.env });
    expect(l.code).toBe(1);
    const states = Object.fromEntries(JSON.parse(l.stdout).backups.map((b: { file: string; checksum: string }) => [path.basename(b.file), b.checksum]));
    expect(states).toEqual({ [path.basename(bad)]: 'mismatch', [path.basename(file)]: 'ok' });
    await fs.rm(bad);
    await fs.rm(bad + '.sha256');
  });

  it('a truncated file with a matching checksum fails in the decompressor and leaves nothing', async () => {
    const cut = await copyWith(`${app.db}_20250102_000000.sql.gz`, (b) => b.subarray(0, b.length - 200), true);
    const target = `${app.db}_cut`;
    const r = await runMain(['backup', 'restore', cut, '--db', target], { cwd: app.project.dir, env: app.env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/restore failed/);
    expect(await exists(target)).toBe(false);
    await fs.rm(cut);
    await fs.rm(cut + '.sha256');
  });

  it('a failing statement rolls the whole restore back (ON_ERROR_STOP, one transaction)', async () => {
    const sql = path.join(app.project.dir, 'broken.sql.gz');
    await fs.writeFile(sql, gzipSync('CREATE TABLE ok_one (a int);\nINSERT INTO ok_one VALUES (1);\nSELECT no_such_function();\n'));
    await app.query('CREATE TABLE keep_me (a int)', app.db);
    const target = `${app.db}_empty`;
    await app.query(`CREATE DATABASE ${target}`);
    app.databases.push(target);
    const r = await runMain(['backup', 'restore', sql, '--db', target], { cwd: app.project.dir, env: app.env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no_such_function/);
    expect(r.stderr).toMatch(/no \.sha256 beside it|checksum/i);
    expect(await app.query(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'`, target)).toEqual([{ n: 0 }]);
    await app.query('DROP TABLE keep_me', app.db);
  });

  it('a database that holds tables: exit 3 without confirmation, unchanged; replaced with --confirm', async () => {
    await app.query('INSERT INTO notes VALUES (1000, $$after the backup$$)');
    const none = await runMain(['backup', 'restore', file], { cwd: app.project.dir, env: app.env });
    expect(none.code).toBe(3);
    expect(none.stderr).toContain(`--confirm ${app.db}`);
    const wrong = await runMain(['backup', 'restore', file, '--confirm', 'other', '--yes'], { cwd: app.project.dir, env: app.env });
    expect(wrong.code).toBe(3);
    expect(await app.query('SELECT count(*)::int AS n FROM notes')).toEqual([{ n: 51 }]);

    // Another session on the database: the swap cannot happen, and nothing changes.
    const h = harness();
    const busy = new pg.Client({ host: h.host, port: h.port, user: app.role, password: app.password, database: app.db });
    await busy.connect();
    try {
      const r = await runMain(['backup', 'restore', file, '--confirm', app.db], { cwd: app.project.dir, env: app.env });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/close the other connections/);
    } finally {
      await busy.end();
    }
    expect(await app.query('SELECT count(*)::int AS n FROM notes')).toEqual([{ n: 51 }]);
    expect(await adminQuery(`SELECT datname FROM pg_database WHERE datname LIKE 'mcpctl_restore_%' AND pg_get_userbyid(datdba) = $1`, [app.role])).toEqual([]);

    const ok = await runMain(['backup', 'restore', file, '--confirm', app.db, '--json'], { cwd: app.project.dir, env: app.env });
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ mode: 'replaced', database: app.db, checksum: 'ok' });
    expect(await app.query('SELECT count(*)::int AS n FROM notes')).toEqual([{ n: 50 }]);
  });

  it('usage errors: a missing file, two --db (exit 2)', async () => {
    const a = await runMain(['backup', 'restore', 'nope.sql.gz'], { cwd: app.project.dir, env: app.env });
    expect(a.code).toBe(2);
    const b = await runMain(['backup', 'restore', file, '--db', 'a', '--db', 'b'], { cwd: app.project.dir, env: app.env });
    expect(b.code).toBe(2);
  });
});
