import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { backupFileName, backupsToPrune, checkChecksum, hashFile, hashFileAside, listBackupFiles, parseBackupName, backupStamp, writeChecksum } from '../../src/commands/backup/files.js';
import { compareCounts } from '../../src/commands/backup/verify.js';
import { mapLimit, requireDbName } from '../../src/commands/backup/databases.js';
import { howEnded, libpqEnv, requireDumpNotOlder } from '../../src/commands/backup/pg-tools.js';
import { archiveFormat, sniffCompression } from '../../src/commands/backup/load.js';
import { gzipSync } from 'node:zlib';
import { UsageError } from '../../src/lib/cli/errors.js';

const t = new Date('2026-01-26T09:30:15Z');

describe('backup file names', () => {
  it('formats UTC timestamps and every extension', () => {
    expect(backupStamp(t)).toBe('20260126_093015');
    expect(backupFileName('app_db', t, 'sql', 'gzip')).toBe('app_db_20260126_093015.sql.gz');
    expect(backupFileName('app_db', t, 'sql', 'zstd')).toBe('app_db_20260126_093015.sql.zst');
    expect(backupFileName('app_db', t, 'sql', 'none')).toBe('app_db_20260126_093015.sql');
    expect(backupFileName('app_db', t, 'custom', 'gzip', 2)).toBe('app_db_20260126_093015-2.dump');
  });

  it('parses names back, database names with underscores included, and rejects strangers', () => {
    expect(parseBackupName('my_app_db_20260126_093015-3.sql.zst')).toEqual({ database: 'my_app_db', time: t, format: 'sql', compression: 'zstd', seq: 3 });
    expect(parseBackupName('x_20260126_093015.dump')).toMatchObject({ database: 'x', format: 'custom', compression: 'none', seq: 0 });
    for (const bad of ['x_20260126_093015.sql.gz.sha256', '.x_20260126_093015.sql.gz.mcpctl-ab.tmp', 'x_20261301_000000.sql', 'x_2026012_093015.sql', 'notes.txt', '_20260126_093015.sql']) {
      expect(parseBackupName(bad), bad).toBeUndefined();
    }
  });

  it('prunes only the named database, keeping the newest n', () => {
    const e = (name: string) => ({ ...parseBackupName(name)!, name, file: `/b/${name}`, size: 1 });
    const all = ['a_20200101_000000.sql.gz', 'a_20210101_000000.sql', 'a_20210101_000000-1.sql.gz', 'ab_20190101_000000.sql.gz', 'a_20220101_000000.dump'].map(e);
    expect(backupsToPrune(all, 'a', 2).map((x) => x.name)).toEqual(['a_20210101_000000.sql', 'a_20200101_000000.sql.gz']);
    expect(backupsToPrune(all, 'a', 10)).toEqual([]);
  });

  it('writes, lists and checks checksums (ok, mismatch, missing)', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mcpctl-bf-'));
    try {
      const a = path.join(dir, 'a_20260126_093015.sql');
      const b = path.join(dir, 'b_20260126_093015.sql');
      await fs.writeFile(a, 'hello');
      await fs.writeFile(b, 'world');
      await fs.writeFile(path.join(dir, 'ignore.txt'), '');
      await writeChecksum(a, '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824');
      expect(await fs.readFile(a + '.sha256', 'utf8')).toBe('2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824  a_20260126_093015.sql\n');
      expect((await checkChecksum(a)).state).toBe('ok');
      expect((await checkChecksum(b)).state).toBe('missing');
      await fs.writeFile(a, 'hellO');
      expect((await checkChecksum(a)).state).toBe('mismatch');
      expect((await listBackupFiles(dir)).map((x) => x.name)).toEqual(['a_20260126_093015.sql', 'b_20260126_093015.sql']);
      expect(await listBackupFiles(path.join(dir, 'missing'))).toEqual([]);
      expect(await sniffCompression(a)).toBe('none');
      await fs.writeFile(b, Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0]));
      expect(await sniffCompression(b)).toBe('zstd');
      await fs.writeFile(b, gzipSync('x'));
      expect(await sniffCompression(b)).toBe('gzip');
      expect(archiveFormat(Buffer.from('PGDMP...'))).toBe('custom');
      const tar = Buffer.alloc(512);
      tar.write('toc.dat');
      tar.write('ustar\0', 257);
      expect(archiveFormat(tar)).toBe('tar');
      expect(archiveFormat(Buffer.from('--\n-- PostgreSQL database dump\n'))).toBe('sql');
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

describe('database names in file names', () => {
  it('encodes every name into one safe part that decodes back exactly (seeded)', async () => {
    const { Prng } = await import('../../src/commands/baseline/prng.js');
    const { decodeDbName, encodeDbName } = await import('../../src/commands/backup/files.js');
    const prng = new Prng('db-names');
    const alphabet = ['a', 'Z', '_', '-', '.', '/', ' ', '%', '$', '..', 'ü', '日', '\\', '\n', '😀'];
    const seen = new Map<string, string>();
    for (let i = 0; i < 2000; i++) {
      const name = Array.from({ length: 1 + prng.int(12) }, () => alphabet[prng.int(alphabet.length)]).join('');
      const enc = encodeDbName(name);
      expect(enc).toMatch(/^[A-Za-z0-9_%-]+$/);
      expect(decodeDbName(enc)).toBe(name);
      expect(parseBackupName(backupFileName(name, t, 'sql', 'gzip', 1))?.database).toBe(name);
      if (seen.has(enc)) expect(seen.get(enc)).toBe(name);
      seen.set(enc, name);
    }
    expect(encodeDbName('x/../../ESCAPED')).toBe('x%2F%2E%2E%2F%2E%2E%2FESCAPED');
    expect(decodeDbName('old$name')).toBe('old$name');
    expect(decodeDbName('bad%zz')).toBeUndefined();
  });
});

describe('backup helpers', () => {
  it('compares table counts both ways', () => {
    expect(compareCounts([{ table: 'a', rows: 1 }], [{ table: 'a', rows: 1 }])).toEqual([]);
    expect(compareCounts([{ table: 'a', rows: 1 }, { table: 'b', rows: 2 }], [{ table: 'a', rows: 0 }, { table: 'c', rows: 5 }])).toEqual([
      { table: 'a', source: 1, restored: 0 },
      { table: 'b', source: 2, restored: -1 },
      { table: 'c', source: -1, restored: 5 },
    ]);
  });

  it('gives libpq its target and the password in the environment only, dropping stray PG* variables', () => {
    const env = libpqEnv({ PATH: '/bin', PGHOST: 'evil', PGPASSFILE: '/p', PGSERVICE: 's' }, { host: 'h', port: 5433, user: 'u', database: 'd', sslmode: 'require', password: 'secret-value-123456' });
    expect(env).toMatchObject({ PATH: '/bin', PGHOST: 'h', PGPORT: '5433', PGUSER: 'u', PGDATABASE: 'd', PGSSLMODE: 'require', PGPASSWORD: 'secret-value-123456', PGPASSFILE: '/p' });
    expect(env.PGSERVICE).toBeUndefined();
    expect(libpqEnv({}, { host: 'h', port: 1, user: 'u', database: 'd', sslmode: 'prefer' }).PGPASSWORD).toBeUndefined();
  });

  it('refuses a pg_dump older than the server, naming both', () => {
    expect(() => requireDumpNotOlder({ major: 14, minor: 2, patch: 0, raw: '14.2' }, 16)).toThrow(/pg_dump 14\.2 is older than the server \(PostgreSQL 16\)/);
    expect(() => requireDumpNotOlder({ major: 14, minor: 2, patch: 0, raw: '14.2' }, 16)).toThrow(UsageError);
    expect(() => requireDumpNotOlder({ major: 16, minor: 0, patch: 0, raw: '16.0' }, 16)).not.toThrow();
    expect(howEnded({ signal: 'SIGKILL' })).toBe('was killed by SIGKILL');
    expect(howEnded({ exitCode: 1 })).toBe('exited with status 1');
  });

  it('validates database names and bounds concurrency', async () => {
    expect(() => requireDbName('ok_db-1', '--db')).not.toThrow();
    // Names travel in PGDATABASE (never argv, never a connection string): any PostgreSQL name is fine.
    for (const ok of ['-rf', 'a=b', 'x/../../y', 'naïve café', 'host=evil dbname=x']) expect(() => requireDbName(ok, '--db')).not.toThrow();
    for (const bad of ['', 'x'.repeat(64), 'a\0b']) expect(() => requireDbName(bad, '--db')).toThrow(UsageError);
    let running = 0;
    let peak = 0;
    const out = await mapLimit([1, 2, 3, 4, 5], 2, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      return n * 2;
    });
    expect(out).toEqual([2, 4, 6, 8, 10]);
    expect(peak).toBe(2);
  });
});

describe('hashFileAside (restore\'s checksum in a worker thread)', () => {
  it('gives hashFile\'s digest for a small file and for one large enough for the worker; a missing file rejects', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mcpctl-hash-'));
    try {
      const small = path.join(dir, 'small');
      const large = path.join(dir, 'large');
      await fs.writeFile(small, 'abc');
      await fs.writeFile(large, Buffer.alloc(17 << 20, 'mcpctl '));
      expect(await hashFileAside(small)).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
      expect(await hashFileAside(large)).toBe(await hashFile(large));
      await expect(hashFileAside(path.join(dir, 'missing'))).rejects.toMatchObject({ code: 'ENOENT' });
      const ac = new AbortController();
      const aborted = hashFileAside(large, ac.signal);
      ac.abort();
      await expect(aborted).rejects.toThrow();
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
